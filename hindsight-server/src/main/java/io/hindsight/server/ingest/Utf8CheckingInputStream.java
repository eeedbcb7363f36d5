package io.hindsight.server.ingest;

import java.io.CharConversionException;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;

/**
 * Passes bytes through and fails on anything that is not well-formed UTF-8 (RFC 3629): overlong
 * forms, encoded surrogates, code points above U+10FFFF, stray continuation bytes, truncated
 * sequences. Jackson decodes some of these leniently (an overlong "/" becomes "/"), which would
 * let a filter-evading spelling into the store; this refuses them before parsing.
 */
final class Utf8CheckingInputStream extends FilterInputStream {
  private final Checker checker = new Checker();

  Utf8CheckingInputStream(InputStream in) {
    super(in);
  }

  @Override
  public int read() throws IOException {
    int b = super.read();
    if (b < 0) {
      checker.end();
    } else {
      checker.accept(b);
    }
    return b;
  }

  @Override
  public int read(byte[] buf, int off, int len) throws IOException {
    int n = super.read(buf, off, len);
    if (n < 0) {
      checker.end();
      return n;
    }
    checker.accept(buf, off, off + n);
    return n;
  }

  /** What is wrong with a whole buffer, or null if it is well-formed UTF-8. */
  static String problem(byte[] bytes) {
    Checker c = new Checker();
    try {
      c.accept(bytes, 0, bytes.length);
      c.end();
      return null;
    } catch (CharConversionException e) {
      return e.getMessage();
    }
  }

  private static final VarHandle LONGS = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);

  /**
   * Whether all eight bytes of {@code w} lie in 0x01..0x7F: a byte at 0x80 or above sets its top
   * bit in {@code w}, and only a zero byte borrows (and so sets a top bit) in {@code w - 0x01...01}.
   */
  static boolean plainAscii(long w) {
    return ((w | (w - 0x0101010101010101L)) & 0x8080808080808080L) == 0;
  }

  /** A byte-at-a-time UTF-8 state machine. */
  private static final class Checker {
    private long offset;
    /** Continuation bytes still expected. */
    private int pending;
    /** Bounds for the next continuation byte (narrowed after some lead bytes). */
    private int low = 0x80;
    private int high = 0xBF;

    /**
     * Checks {@code buf[from..to)}; runs of ASCII, nearly all of a JSON body, are passed over eight
     * bytes at a time.
     */
    void accept(byte[] buf, int from, int to) throws CharConversionException {
      int i = from;
      while (i < to) {
        if (pending == 0) {
          int start = i;
          while (i + 8 <= to && plainAscii((long) LONGS.get(buf, i))) {
            i += 8;
          }
          while (i < to && buf[i] > 0) {
            i++;
          }
          offset += i - start;
          if (i == to) {
            return;
          }
        }
        accept(buf[i++] & 0xFF);
      }
    }

    void accept(int b) throws CharConversionException {
      if (pending == 0) {
        if (b == 0) {
          throw nul();
        } else if (b < 0x80) {
          // ASCII, the common case
        } else if (b >= 0xC2 && b <= 0xDF) {
          pending = 1;
        } else if (b >= 0xE0 && b <= 0xEF) {
          pending = 2;
          low = b == 0xE0 ? 0xA0 : 0x80; // overlong
          high = b == 0xED ? 0x9F : 0xBF; // surrogates
        } else if (b >= 0xF0 && b <= 0xF4) {
          pending = 3;
          low = b == 0xF0 ? 0x90 : 0x80; // overlong
          high = b == 0xF4 ? 0x8F : 0xBF; // above U+10FFFF
        } else {
          throw bad(b);
        }
      } else {
        if (b < low || b > high) {
          throw bad(b);
        }
        low = 0x80;
        high = 0xBF;
        pending--;
      }
      offset++;
    }

    void end() throws CharConversionException {
      if (pending != 0) {
        throw new CharConversionException("a multi-byte character is cut off at the end (byte " + offset + ")");
      }
    }

    /**
     * JSON text never holds a NUL byte (control characters in strings are escaped); UTF-16 and
     * UTF-32 text is full of them, and Jackson would otherwise decode it.
     */
    private CharConversionException nul() {
      return new CharConversionException(
          "byte 0x00 at offset " + offset + ": JSON text holds no NUL bytes; the body looks like UTF-16 or UTF-32,"
              + " send UTF-8");
    }

    private CharConversionException bad(int b) {
      return new CharConversionException(
          String.format("byte 0x%02X at offset %d is not well-formed UTF-8 (overlong, surrogate or out of range)", b, offset));
    }
  }
}
