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

  @Test
  void acceptsEveryEdgeOfWellFormedUtf8AndRefusesTheBytesJustOutside() {
    int[][] good = {
      {0xC2, 0x80}, {0xDF, 0xBF}, // U+0080, U+07FF
      {0xE0, 0xA0, 0x80}, {0xE1, 0x80, 0x80}, {0xEC, 0xBF, 0xBF}, {0xED, 0x9F, 0xBF}, {0xEF, 0xBF, 0xBF},
      {0xF0, 0x90, 0x80, 0x80}, {0xF1, 0xBF, 0xBF, 0xBF}, {0xF4, 0x8F, 0xBF, 0xBF}, // U+10000 .. U+10FFFF
      {0x7F}
    };
    for (int[] g : good) {
      assertThat(Utf8CheckingInputStream.problem(bytes("", g))).as(java.util.Arrays.toString(g)).isNull();
    }
    int[][] bad = {
      {0xC1, 0xBF}, {0xC2, 0x7F}, {0xC2, 0xC0}, {0xE0, 0x9F, 0x80}, {0xED, 0xA0, 0x80}, {0xEF, 0xC0, 0x80},
      {0xF0, 0x8F, 0x80, 0x80}, {0xF4, 0x90, 0x80, 0x80}, {0xF5, 0x80, 0x80, 0x80}, {0xE0, 0xA0, 0xC0}
    };
    for (int[] b : bad) {
      assertThat(Utf8CheckingInputStream.problem(bytes("", b))).as(java.util.Arrays.toString(b)).contains("not well-formed");
    }
  }

  @Test
  void findsEveryNonAsciiOrNulByteAtEveryPlaceInALongRunOfAscii() {
    for (int b = 0; b < 256; b++) {
      for (int at = 0; at < 24; at++) {
        byte[] text = "abcdefghijklmnopqrstuvwx".getBytes(StandardCharsets.US_ASCII);
        text[at] = (byte) b;
        String problem = Utf8CheckingInputStream.problem(text);
        if (b >= 0x01 && b <= 0x7F) {
          assertThat(problem).as("byte 0x%02X at %d", b, at).isNull();
        } else if (b >= 0xC2 && b <= 0xF4) {
          // a lead byte: the ASCII byte after it is the one that cannot continue it
          String expected = at == text.length - 1 ? "cut off at the end" : String.format("0x%02X at offset %d", text[at + 1], at + 1);
          assertThat(problem).as("byte 0x%02X at %d", b, at).contains(expected);
        } else {
          assertThat(problem).as("byte 0x%02X at %d", b, at).contains(String.format("0x%02X at offset %d", b, at));
        }
      }
    }
  }

  @Test
  void refusesANulByteInsideARunOfAscii() {
    assertThat(Utf8CheckingInputStream.problem(bytes("ab", 0x00, 'c')))
        .startsWith("byte 0x00 at offset 2: JSON text holds no NUL bytes");
  }

  @Test
  void countsOffsetsAcrossMultiByteCharactersAndAsciiRuns() {
    // "x", "é" (2 bytes), "abc": the bad byte is the seventh.
    assertThat(Utf8CheckingInputStream.problem(bytes("x", 0xC3, 0xA9, 'a', 'b', 'c', 0xFF))).contains("0xFF at offset 6");
  }

  @Test
  void checksBytesReadOneAtATime() throws IOException {
    byte[] utf8 = TEXT.getBytes(StandardCharsets.UTF_8);
    InputStream in = new Utf8CheckingInputStream(new ByteArrayInputStream(utf8));
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    int b;
    while ((b = in.read()) >= 0) {
      out.write(b);
    }
    assertThat(out.toByteArray()).isEqualTo(utf8);

    InputStream bad = new Utf8CheckingInputStream(new ByteArrayInputStream(bytes("a", 0xFF)));
    assertThat(bad.read()).isEqualTo('a');
    assertThatThrownBy(bad::read).isInstanceOf(CharConversionException.class).hasMessageContaining("0xFF at offset 1");

    InputStream nul = new Utf8CheckingInputStream(new ByteArrayInputStream(bytes("", 0x00)));
    assertThatThrownBy(nul::read).isInstanceOf(CharConversionException.class).hasMessageContaining("byte 0x00 at offset 0");

    InputStream cut = new Utf8CheckingInputStream(new ByteArrayInputStream(bytes("", 0xC3)));
    assertThat(cut.read()).isEqualTo(0xC3);
    assertThatThrownBy(cut::read).isInstanceOf(CharConversionException.class).hasMessageContaining("cut off");
  }

  @Test
  void aReadOfNoBytesInTheMiddleOfACharacterIsNotTheEnd() throws IOException {
    InputStream in = new Utf8CheckingInputStream(new ByteArrayInputStream(bytes("", 0xC3, 0xA9)));
    byte[] buf = new byte[4];
    assertThat(in.read(buf, 0, 1)).isEqualTo(1);
    assertThat(in.read(buf, 1, 0)).isZero();
    assertThat(in.read(buf, 1, 3)).isEqualTo(1);
    assertThat(in.read(buf, 2, 2)).isEqualTo(-1);
  }
}
