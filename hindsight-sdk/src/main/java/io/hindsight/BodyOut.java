package io.hindsight;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * Writes records into a growable byte buffer in one {@link BodyFormat}. Callers write tokens
 * ({@link #beginObject}, {@link #field}, {@link #string}, {@link #next} between members or
 * elements, ...) and never the format's own punctuation, so one record-writing method serves both
 * formats. Only the snapshot types of {@link Values} are written; the SDK has no JSON dependency
 * on purpose (STYLE: JDK only).
 */
abstract class BodyOut {
  byte[] buf;
  int len;

  BodyOut(int initialCapacity) {
    buf = new byte[Math.max(16, initialCapacity)];
  }

  abstract BodyFormat format();

  /** Starts a request body: an array of records. */
  abstract BodyOut beginBody();

  /** Ends a request body begun with {@link #beginBody}. */
  abstract BodyOut endBody();

  abstract BodyOut beginObject();

  abstract BodyOut endObject();

  abstract BodyOut beginArray();

  abstract BodyOut endArray();

  /** Separates two members of an object or two elements of an array. */
  abstract BodyOut next();

  /** A member's name known to need no escaping (ASCII letters, digits, {@code _ . -}). */
  abstract BodyOut field(String name);

  /** A member's name, any text. */
  abstract BodyOut key(CharSequence name);

  abstract BodyOut string(CharSequence s);

  abstract BodyOut number(long v);

  abstract BodyOut number(double v);

  /** A {@link BigInteger} or {@link BigDecimal}, exactly. */
  abstract BodyOut bigNumber(Number v);

  abstract BodyOut bool(boolean b);

  abstract BodyOut nul();

  final int size() {
    return len;
  }

  final void reset() {
    len = 0;
  }

  final void truncate(int size) {
    len = size;
  }

  final byte[] toByteArray() {
    return Arrays.copyOf(buf, len);
  }

  final byte[] buffer() {
    return buf;
  }

  final void ensure(int extra) {
    if (len + extra > buf.length) {
      buf = Arrays.copyOf(buf, Math.max(buf.length * 2, len + extra));
    }
  }

  final BodyOut put(int b) {
    ensure(1);
    buf[len++] = (byte) b;
    return this;
  }

  /** Appends bytes already written in this format (a record, a cached fragment). */
  final BodyOut bytes(byte[] b, int off, int n) {
    ensure(n);
    System.arraycopy(b, off, buf, len, n);
    len += n;
    return this;
  }

  /** Writes a value of the snapshot types of {@link Values}. */
  final BodyOut value(Object v) {
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
      return bigNumber((Number) v);
    }
    if (v instanceof Map) {
      beginObject();
      boolean first = true;
      for (Map.Entry<?, ?> e : ((Map<?, ?>) v).entrySet()) {
        if (!first) {
          next();
        }
        first = false;
        key(String.valueOf(e.getKey())).value(e.getValue());
      }
      return endObject();
    }
    if (v instanceof List) {
      beginArray();
      List<?> list = (List<?>) v;
      for (int i = 0, n = list.size(); i < n; i++) {
        if (i > 0) {
          next();
        }
        value(list.get(i));
      }
      return endArray();
    }
    if (v instanceof double[]) {
      double[] a = (double[]) v;
      beginArray();
      for (int i = 0; i < a.length; i++) {
        if (i > 0) {
          next();
        }
        number(a[i]);
      }
      return endArray();
    }
    if (v instanceof long[]) {
      long[] a = (long[]) v;
      beginArray();
      for (int i = 0; i < a.length; i++) {
        if (i > 0) {
          next();
        }
        number(a[i]);
      }
      return endArray();
    }
    if (v instanceof boolean[]) {
      boolean[] a = (boolean[]) v;
      beginArray();
      for (int i = 0; i < a.length; i++) {
        if (i > 0) {
          next();
        }
        bool(a[i]);
      }
      return endArray();
    }
    if (v instanceof CharSequence) {
      return string((CharSequence) v);
    }
    throw new IllegalArgumentException("not a snapshot value: " + v.getClass().getName());
  }
}
