package io.hindsight;

import java.math.BigDecimal;
import java.math.BigInteger;

/**
 * Writes Smile, Jackson's binary JSON, for {@link BodyFormat#SMILE}: the header {@code :)\n} with
 * no shared names or values (so records written apart can be joined into one body and a body can be
 * cut between records), then tokens: a string is a length byte and its UTF-8, a number its binary
 * value, so nothing is escaped or printed as decimal text.
 */
final class SmileOut extends BodyOut {
  /** The header: {@code :)\n} and a byte of version 0 with no sharing and no raw binary. */
  static final byte[] HEADER = {':', ')', '\n', 0};

  static final int EMPTY_STRING = 0x20;
  static final int NULL = 0x21;
  static final int FALSE = 0x22;
  static final int TRUE = 0x23;
  static final int INT_32 = 0x24;
  static final int INT_64 = 0x25;
  static final int BIG_INTEGER = 0x26;
  static final int FLOAT_64 = 0x29;
  static final int BIG_DECIMAL = 0x2A;
  static final int TINY_ASCII = 0x40; // + bytes - 1, for 1..32 bytes
  static final int SHORT_ASCII = 0x60; // + bytes - 33, for 33..64 bytes
  static final int TINY_UNICODE = 0x80; // + bytes - 2, for 2..33 bytes
  static final int SHORT_UNICODE = 0xA0; // + bytes - 34, for 34..64 bytes
  static final int SMALL_INT = 0xC0; // + zigzag, for -16..15
  static final int LONG_ASCII = 0xE0; // ended by END_STRING, as LONG_UNICODE
  static final int LONG_UNICODE = 0xE4;
  static final int START_ARRAY = 0xF8;
  static final int END_ARRAY = 0xF9;
  static final int START_OBJECT = 0xFA;
  static final int END_OBJECT = 0xFB;
  static final int END_STRING = 0xFC;
  static final int KEY_LONG = 0x34;
  static final int KEY_ASCII = 0x80; // + bytes - 1, for 1..64 bytes
  static final int KEY_UNICODE = 0xC0; // + bytes - 2, for 2..56 bytes
  static final int MAX_SHORT_STRING = 64;
  static final int MAX_SHORT_UNICODE_KEY = 56;

  SmileOut(int initialCapacity) {
    super(initialCapacity);
  }

  @Override
  BodyFormat format() {
    return BodyFormat.SMILE;
  }

  @Override
  BodyOut beginBody() {
    bytes(HEADER, 0, HEADER.length);
    return put(START_ARRAY);
  }

  @Override
  BodyOut endBody() {
    return put(END_ARRAY);
  }

  @Override
  BodyOut beginObject() {
    return put(START_OBJECT);
  }

  @Override
  BodyOut endObject() {
    return put(END_OBJECT);
  }

  @Override
  BodyOut beginArray() {
    return put(START_ARRAY);
  }

  @Override
  BodyOut endArray() {
    return put(END_ARRAY);
  }

  @Override
  BodyOut next() {
    return this; // Smile needs no separators
  }

  @Override
  BodyOut field(String name) {
    int n = name.length();
    if (n == 0 || n > MAX_SHORT_STRING) {
      return key(name);
    }
    ensure(n + 1);
    buf[len++] = (byte) (KEY_ASCII + n - 1);
    for (int i = 0; i < n; i++) {
      buf[len++] = (byte) name.charAt(i);
    }
    return this;
  }

  @Override
  BodyOut key(CharSequence name) {
    int token = len;
    put(0);
    boolean ascii = utf8(name);
    int n = len - token - 1;
    if (n == 0) {
      buf[token] = (byte) EMPTY_STRING;
    } else if (ascii && n <= MAX_SHORT_STRING) {
      buf[token] = (byte) (KEY_ASCII + n - 1);
    } else if (!ascii && n <= MAX_SHORT_UNICODE_KEY) {
      buf[token] = (byte) (KEY_UNICODE + n - 2);
    } else {
      buf[token] = (byte) KEY_LONG;
      put(END_STRING);
    }
    return this;
  }

  @Override
  BodyOut string(CharSequence s) {
    int token = len;
    put(0);
    boolean ascii = utf8(s);
    int n = len - token - 1;
    if (n == 0) {
      buf[token] = (byte) EMPTY_STRING;
    } else if (n <= MAX_SHORT_STRING) {
      buf[token] = (byte) (ascii
          ? (n <= 32 ? TINY_ASCII + n - 1 : SHORT_ASCII + n - 33)
          : (n <= 33 ? TINY_UNICODE + n - 2 : SHORT_UNICODE + n - 34));
    } else {
      buf[token] = (byte) (ascii ? LONG_ASCII : LONG_UNICODE);
      put(END_STRING);
    }
    return this;
  }

  /**
   * Appends {@code s} as UTF-8 and says whether it was all ASCII. A lone surrogate is written as
   * its three-byte form, which Jackson reads back as the same char, as JSON's {@code \\uD800} is.
   */
  private boolean utf8(CharSequence s) {
    int n = s.length();
    ensure(n);
    boolean ascii = true;
    for (int i = 0; i < n; i++) {
      char c = s.charAt(i);
      if (c < 0x80) {
        if (len == buf.length) {
          ensure(n - i);
        }
        buf[len++] = (byte) c;
        continue;
      }
      ascii = false;
      ensure(4 + n - i);
      if (c < 0x800) {
        buf[len++] = (byte) (0xC0 | (c >> 6));
        buf[len++] = (byte) (0x80 | (c & 0x3F));
      } else if (Character.isHighSurrogate(c) && i + 1 < n && Character.isLowSurrogate(s.charAt(i + 1))) {
        int cp = Character.toCodePoint(c, s.charAt(++i));
        buf[len++] = (byte) (0xF0 | (cp >> 18));
        buf[len++] = (byte) (0x80 | ((cp >> 12) & 0x3F));
        buf[len++] = (byte) (0x80 | ((cp >> 6) & 0x3F));
        buf[len++] = (byte) (0x80 | (cp & 0x3F));
      } else {
        buf[len++] = (byte) (0xE0 | (c >> 12));
        buf[len++] = (byte) (0x80 | ((c >> 6) & 0x3F));
        buf[len++] = (byte) (0x80 | (c & 0x3F));
      }
    }
    return ascii;
  }

  @Override
  BodyOut number(long v) {
    if (v >= -16 && v <= 15) {
      return put(SMALL_INT + (int) zigzag(v));
    }
    if (v == (int) v) {
      put(INT_32);
      return vint(zigzag(v));
    }
    put(INT_64);
    return vint(zigzag(v));
  }

  private static long zigzag(long v) {
    return (v << 1) ^ (v >> 63);
  }

  /**
   * An unsigned variable-length int: 7 bits a byte, most significant first, the last byte marked
   * by its high bit and holding 6 bits.
   */
  private BodyOut vint(long v) {
    int n = 1;
    for (long rest = v >>> 6; rest != 0; rest >>>= 7) {
      n++;
    }
    ensure(n);
    int last = len + n - 1;
    buf[last] = (byte) (0x80 | (v & 0x3F));
    long rest = v >>> 6;
    for (int i = last - 1; i >= len; i--) {
      buf[i] = (byte) (rest & 0x7F);
      rest >>>= 7;
    }
    len += n;
    return this;
  }

  /** The double's 64 bits in ten bytes of 7 bits, most significant first (the first holds one). */
  @Override
  BodyOut number(double v) {
    long bits = Double.doubleToRawLongBits(v);
    ensure(11);
    buf[len++] = (byte) FLOAT_64;
    for (int shift = 63; shift >= 0; shift -= 7) {
      buf[len++] = (byte) ((bits >>> shift) & 0x7F);
    }
    return this;
  }

  @Override
  BodyOut bigNumber(Number v) {
    if (v instanceof BigDecimal) {
      BigDecimal d = (BigDecimal) v;
      put(BIG_DECIMAL);
      vint(zigzag32(d.scale()));
      return binary7(d.unscaledValue().toByteArray());
    }
    put(BIG_INTEGER);
    return binary7(((BigInteger) v).toByteArray());
  }

  /** A 32-bit zigzag value, unsigned. */
  private static long zigzag32(int v) {
    return ((v << 1) ^ (v >> 31)) & 0xFFFF_FFFFL;
  }

  /** Bytes as Smile's "safe" binary: their count, then their bits in groups of 7 (the last right-aligned). */
  private BodyOut binary7(byte[] data) {
    vint(data.length);
    ensure(data.length * 8 / 7 + 2);
    int acc = 0;
    int bits = 0;
    for (byte b : data) {
      acc = (acc << 8) | (b & 0xFF);
      bits += 8;
      while (bits >= 7) {
        bits -= 7;
        buf[len++] = (byte) ((acc >>> bits) & 0x7F);
      }
    }
    if (bits > 0) {
      buf[len++] = (byte) (acc & ((1 << bits) - 1));
    }
    return this;
  }

  @Override
  BodyOut bool(boolean b) {
    return put(b ? TRUE : FALSE);
  }

  @Override
  BodyOut nul() {
    return put(NULL);
  }
}
