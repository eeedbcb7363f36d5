package io.hindsight;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * A small JSON writer into a growable UTF-8 byte buffer. It writes only the snapshot types of
 * {@link Values}; the SDK has no JSON dependency on purpose (STYLE: JDK only).
 */
final class JsonOut {
  private static final byte[] HEX = "0123456789abcdef".getBytes(StandardCharsets.US_ASCII);

  private byte[] buf;
  private int len;

  JsonOut(int initialCapacity) {
    buf = new byte[Math.max(16, initialCapacity)];
  }

  int size() {
    return len;
  }

  void reset() {
    len = 0;
  }

  void truncate(int size) {
    len = size;
  }

  byte[] toByteArray() {
    return Arrays.copyOf(buf, len);
  }

  byte[] buffer() {
    return buf;
  }

  private void ensure(int extra) {
    if (len + extra > buf.length) {
      buf = Arrays.copyOf(buf, Math.max(buf.length * 2, len + extra));
    }
  }

  JsonOut raw(char c) {
    ensure(1);
    buf[len++] = (byte) c;
    return this;
  }

  /** Appends ASCII text as is (field names, numbers). */
  JsonOut ascii(String s) {
    int n = s.length();
    ensure(n);
    for (int i = 0; i < n; i++) {
      buf[len++] = (byte) s.charAt(i);
    }
    return this;
  }

  JsonOut bytes(byte[] b, int off, int n) {
    ensure(n);
    System.arraycopy(b, off, buf, len, n);
    len += n;
    return this;
  }

  /** {@code "name":} for a field name known to need no escaping. */
  JsonOut field(String name) {
    raw('"').ascii(name).raw('"').raw(':');
    return this;
  }

  JsonOut string(CharSequence s) {
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

  JsonOut number(long v) {
    if (v >= 0 && v < 10) {
      return raw((char) ('0' + v));
    }
    return ascii(Long.toString(v));
  }

  JsonOut number(double v) {
    if (v == Math.rint(v) && Math.abs(v) < 1e15) {
      // 3.0 rather than 3.0E0 forms; keep a decimal point so the server types it as double
      ascii(Long.toString((long) v)).ascii(".0");
      return this;
    }
    return ascii(Double.toString(v));
  }

  JsonOut bool(boolean b) {
    return ascii(b ? "true" : "false");
  }

  JsonOut nul() {
    return ascii("null");
  }

  /** Writes a value of the snapshot types of {@link Values}. */
  JsonOut value(Object v) {
    if (v == null) {
      return nul();
    }
    if (v instanceof String) {
      return string((String) v);
    }
    if (v instanceof Long) {
      return number((Long) v);
    }
    if (v instanceof Double) {
      return number((Double) v);
    }
    if (v instanceof Boolean) {
      return bool((Boolean) v);
    }
    if (v instanceof Integer || v instanceof Short || v instanceof Byte) {
      return number(((Number) v).longValue());
    }
    if (v instanceof Float) {
      return number(Values.floatToDouble((Float) v));
    }
    if (v instanceof BigInteger || v instanceof BigDecimal) {
      String s = v instanceof BigDecimal ? ((BigDecimal) v).toString() : v.toString();
      return ascii(s);
    }
    if (v instanceof Map) {
      raw('{');
      boolean first = true;
      for (Map.Entry<?, ?> e : ((Map<?, ?>) v).entrySet()) {
        if (!first) {
          raw(',');
        }
        first = false;
        string(String.valueOf(e.getKey())).raw(':').value(e.getValue());
      }
      return raw('}');
    }
    if (v instanceof List) {
      raw('[');
      List<?> list = (List<?>) v;
      for (int i = 0, n = list.size(); i < n; i++) {
        if (i > 0) {
          raw(',');
        }
        value(list.get(i));
      }
      return raw(']');
    }
    if (v instanceof double[]) {
      double[] a = (double[]) v;
      raw('[');
      for (int i = 0; i < a.length; i++) {
        if (i > 0) {
          raw(',');
        }
        number(a[i]);
      }
      return raw(']');
    }
    if (v instanceof long[]) {
      long[] a = (long[]) v;
      raw('[');
      for (int i = 0; i < a.length; i++) {
        if (i > 0) {
          raw(',');
        }
        number(a[i]);
      }
      return raw(']');
    }
    if (v instanceof boolean[]) {
      boolean[] a = (boolean[]) v;
      raw('[');
      for (int i = 0; i < a.length; i++) {
        if (i > 0) {
          raw(',');
        }
        bool(a[i]);
      }
      return raw(']');
    }
    if (v instanceof CharSequence) {
      return string((CharSequence) v);
    }
    throw new IllegalArgumentException("not a snapshot value: " + v.getClass().getName());
  }
}
