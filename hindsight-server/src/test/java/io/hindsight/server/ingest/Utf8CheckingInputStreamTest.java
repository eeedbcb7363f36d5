package io.hindsight.server.ingest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.CharConversionException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class Utf8CheckingInputStreamTest {
  private static final String TEXT = "{\"name\":\"Zoë\",\"city\":\"Kraków\",\"note\":\"日本語 ok\",\"emoji\":\"😀\"}";

  /** Hands out at most {@code chunk} bytes a read, so characters are cut between reads. */
  private static InputStream chunked(byte[] bytes, int chunk) {
    return new ByteArrayInputStream(bytes) {
      @Override
      public synchronized int read(byte[] b, int off, int len) {
        return super.read(b, off, Math.min(len, chunk));
      }
    };
  }

  private static byte[] readAll(InputStream in) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    byte[] buf = new byte[64];
    int n;
    while ((n = in.read(buf, 0, buf.length)) >= 0) {
      out.write(buf, 0, n);
    }
    return out.toByteArray();
  }

  private static byte[] bytes(String ascii, int... tail) {
    byte[] head = ascii.getBytes(StandardCharsets.US_ASCII);
    byte[] all = new byte[head.length + tail.length];
    System.arraycopy(head, 0, all, 0, head.length);
    for (int i = 0; i < tail.length; i++) {
      all[head.length + i] = (byte) tail[i];
    }
    return all;
  }

  @Test
  void passesWellFormedTextWhateverTheReadSizes() throws IOException {
    byte[] utf8 = TEXT.getBytes(StandardCharsets.UTF_8);
    for (int chunk = 1; chunk <= 9; chunk++) {
      assertThat(readAll(new Utf8CheckingInputStream(chunked(utf8, chunk)))).isEqualTo(utf8);
    }
    assertThat(Utf8CheckingInputStream.problem(utf8)).isNull();
  }

  @Test
  void namesTheOffsetOfTheFirstBadByteAfterARunOfAscii() {
    assertThat(Utf8CheckingInputStream.problem(bytes("{\"a\":\"b", 0xFF)))
        .contains("byte 0xFF at offset 7");
    assertThatThrownBy(() -> readAll(new Utf8CheckingInputStream(chunked(bytes("abcdef", 0xC0, 0xAF), 4))))
        .isInstanceOf(CharConversionException.class)
        .hasMessageContaining("byte 0xC0 at offset 6");
  }

  @Test
  void refusesOverlongFormsSurrogatesAndCodePointsAboveTheUnicodeRange() {
    assertThat(Utf8CheckingInputStream.problem(bytes("x", 0xE0, 0x80, 0xAF))).contains("0x80 at offset 2");
    assertThat(Utf8CheckingInputStream.problem(bytes("x", 0xED, 0xA0, 0x80))).contains("0xA0 at offset 2");
    assertThat(Utf8CheckingInputStream.problem(bytes("x", 0xF4, 0x90, 0x80, 0x80))).contains("0x90 at offset 2");
    assertThat(Utf8CheckingInputStream.problem(bytes("x", 0x80))).contains("0x80 at offset 1");
  }

  @Test
  void refusesACharacterCutOffAtTheEnd() {
    assertThat(Utf8CheckingInputStream.problem(bytes("ok", 0xE6, 0x97))).contains("cut off at the end");
    assertThatThrownBy(() -> readAll(new Utf8CheckingInputStream(chunked(bytes("ok", 0xF0, 0x9F, 0x98), 2))))
        .isInstanceOf(CharConversionException.class)
        .hasMessageContaining("cut off");
  }
}
