package io.hindsight.server.media;

import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import javax.imageio.ImageIO;

/** Small real media files a browser can show: a PNG, a WAV of silence, a text. */
public final class SampleMedia {
  private SampleMedia() {}

  /** A 40×30 PNG, half red and half blue. */
  public static Path png(Path file) throws IOException {
    BufferedImage image = new BufferedImage(40, 30, BufferedImage.TYPE_INT_RGB);
    Graphics2D g = image.createGraphics();
    g.setColor(Color.RED);
    g.fillRect(0, 0, 20, 30);
    g.setColor(Color.BLUE);
    g.fillRect(20, 0, 20, 30);
    g.dispose();
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ImageIO.write(image, "png", out);
    return write(file, out.toByteArray());
  }

  /** A quarter of a second of 8 kHz 16-bit mono silence. */
  public static Path wav(Path file) throws IOException {
    int samples = 2000;
    int dataBytes = samples * 2;
    ByteBuffer b = ByteBuffer.allocate(44 + dataBytes).order(ByteOrder.LITTLE_ENDIAN);
    b.put("RIFF".getBytes()).putInt(36 + dataBytes).put("WAVE".getBytes());
    b.put("fmt ".getBytes()).putInt(16).putShort((short) 1).putShort((short) 1).putInt(8000).putInt(16000)
        .putShort((short) 2).putShort((short) 16);
    b.put("data".getBytes()).putInt(dataBytes);
    return write(file, b.array());
  }

  public static Path text(Path file, String text) throws IOException {
    return write(file, text.getBytes(java.nio.charset.StandardCharsets.UTF_8));
  }

  private static Path write(Path file, byte[] bytes) throws IOException {
    Files.createDirectories(file.getParent());
    return Files.write(file, bytes);
  }
}
