package io.hindsight;

import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;

/** Writes JSON (UTF-8) for {@link BodyFormat#JSON}. */
final class JsonOut extends BodyOut {
  private static final byte[] HEX = "0123456789abcdef".getBytes(StandardCharsets.US_ASCII);

  JsonOut(int initialCapacity) {
    super(initialCapacity);
  }

  @Override
  BodyFormat format() {
    return BodyFormat.JSON;
  }

  @Override
  BodyOut beginBody() {
    return put('[');
  }

  @Override
  BodyOut endBody() {
    return put(']');
  }

  @Override
  BodyOut beginObject() {
    return put('{');
  }

  @Override
  BodyOut endObject() {
    return put('}');
  }

  @Override
  BodyOut beginArray() {
    return put('[');
  }

  @Override
  BodyOut endArray() {
    return put(']');
  }

  @Override
  BodyOut next() {
    return put(',');
  }

  /** Appends ASCII text as is (field names, numbers). */
  private JsonOut ascii(String s) {
    int n = s.length();
    ensure(n);
    for (int i = 0; i < n; i++) {
      buf[len++] = (byte) s.charAt(i);
    }
    return this;
  }

  @Override
  BodyOut field(String name) {
    put('"');
    ascii(name);
    ensure(2);
    buf[len++] = '"';
    buf[len++] = ':';
    return this;
  }

  @Override
  BodyOut key(CharSequence name) {
    return string(name).put(':');
  }

  @Override
  BodyOut string(CharSequence s) {
    int n = s.length();
    ensure(n + 2);
    buf[len++] = '"';
    for (int i = 0; i < n; i++) {
      char c = s.charAt(i);
      if (c >= 0x20 && c < 0x80 && c != '"' && c != '\\') {
        if (len == buf.length) {
          ensure(n - i + 1);
        }
        buf[len++] = (byte) c;
      } else {
        escapeOrEncode(s, i, c);
        if (Character.isHighSurrogate(c) && i + 1 < n && Character.isLowSurrogate(s.charAt(i + 1))) {
          i++;
        }
      }
    }
    ensure(1);
    buf[len++] = '"';
    return this;
  }

  private void escapeOrEncode(CharSequence s, int i, char c) {
    ensure(12);
    switch (c) {
      case '"':
        buf[len++] = '\\';
        buf[len++] = '"';
        return;
      case '\\':
        buf[len++] = '\\';
        buf[len++] = '\\';
        return;
      case '\n':
        buf[len++] = '\\';
        buf[len++] = 'n';
        return;
      case '\r':
        buf[len++] = '\\';
        buf[len++] = 'r';
        return;
      case '\t':
        buf[len++] = '\\';
        buf[len++] = 't';
        return;
      default:
        break;
    }
    if (c < 0x20) {
      unicodeEscape(c);
    } else if (c < 0x800) {
      buf[len++] = (byte) (0xC0 | (c >> 6));
      buf[len++] = (byte) (0x80 | (c & 0x3F));
    } else if (Character.isHighSurrogate(c)
        && i + 1 < s.length()
        && Character.isLowSurrogate(s.charAt(i + 1))) {
      int cp = Character.toCodePoint(c, s.charAt(i + 1));
      buf[len++] = (byte) (0xF0 | (cp >> 18));
      buf[len++] = (byte) (0x80 | ((cp >> 12) & 0x3F));
      buf[len++] = (byte) (0x80 | ((cp >> 6) & 0x3F));
      buf[len++] = (byte) (0x80 | (cp & 0x3F));
    } else if (Character.isSurrogate(c)) {
      unicodeEscape(c); // a lone surrogate: escaped, so the body stays valid UTF-8
    } else {
      buf[len++] = (byte) (0xE0 | (c >> 12));
      buf[len++] = (byte) (0x80 | ((c >> 6) & 0x3F));
      buf[len++] = (byte) (0x80 | (c & 0x3F));
    }
  }

  private void unicodeEscape(char c) {
    buf[len++] = '\\';
    buf[len++] = 'u';
    buf[len++] = HEX[(c >> 12) & 0xF];
    buf[len++] = HEX[(c >> 8) & 0xF];
    buf[len++] = HEX[(c >> 4) & 0xF];
    buf[len++] = HEX[c & 0xF];
  }

  @Override
  BodyOut number(long v) {
    if (v >= 0 && v < 10) {
      return put((char) ('0' + v));
    }
    return ascii(Long.toString(v));
  }

  @Override
  BodyOut number(double v) {
    if (v == Math.rint(v) && Math.abs(v) < 1e15) {
      // 3.0 rather than 3.0E0 forms; keep a decimal point so the server types it as double
      return ascii(Long.toString((long) v)).ascii(".0");
    }
    return ascii(Double.toString(v));
  }

  @Override
  BodyOut bool(boolean b) {
    return ascii(b ? "true" : "false");
  }

  @Override
  BodyOut nul() {
    return ascii("null");
  }

  @Override
  BodyOut bigNumber(Number v) {
    return ascii(v instanceof BigDecimal ? ((BigDecimal) v).toString() : v.toString());
  }
}
