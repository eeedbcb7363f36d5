package io.hindsight;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.time.ZonedDateTime;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collection;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.DoubleAdder;
import java.util.concurrent.atomic.LongAdder;

/**
 * Checks that a logged value is JSON-compatible and takes an immutable snapshot of it, so the
 * caller may change its own objects after {@code log} returns.
 *
 * <p>A snapshot contains only: {@code null}, {@link Boolean}, {@link Long}, {@link Double},
 * {@link BigInteger}, {@link BigDecimal}, {@link String}, unmodifiable {@code List<Object>},
 * unmodifiable {@code Map<String, Object>}, and clones of primitive arrays.
 */
final class Values {
  /**
   * Deepest nesting of a record, counted as the server does (the record object is level 1, its
   * {@code data} object level 2, so a logged list or map starts at level 3).
   */
  static final int MAX_DEPTH = 64;

  /** Depth at which a top-level logged container sits inside the record. */
  static final int TOP_LEVEL_DEPTH = 3;

  private Values() {}

  /** Snapshot of any allowed value; throws {@link IllegalArgumentException} otherwise. */
  static Object snapshot(String key, Object value) {
    return snapshot(key, value, TOP_LEVEL_DEPTH, new Object[MAX_DEPTH + 1], 0);
  }

  static double checkDouble(String key, double d) {
    if (Double.isNaN(d) || Double.isInfinite(d)) {
      throw new IllegalArgumentException(
          "value of key '" + key + "' is " + d + ", which JSON cannot represent; log null or a"
              + " finite number instead (e.g. check Double.isFinite before logging)");
    }
    return d;
  }

  private static Object snapshot(String path, Object value, int depth, Object[] stack, int top) {
    if (value == null || value instanceof String || value instanceof Boolean) {
      return value;
    }
    if (value instanceof Number) {
      return number(path, (Number) value);
    }
    if (value instanceof CharSequence || value instanceof Character || value instanceof UUID) {
      return value.toString();
    }
    if (value instanceof Enum) {
      return ((Enum<?>) value).name();
    }
    if (value instanceof Instant) {
      return Timestamps.rfc3339((Instant) value);
    }
    if (value instanceof LocalDate
        || value instanceof LocalDateTime
        || value instanceof OffsetDateTime
        || value instanceof ZonedDateTime) {
      return value.toString();
    }
    if (value instanceof Map || value instanceof Collection || value instanceof Object[]) {
      if (depth > MAX_DEPTH) {
        throw new IllegalArgumentException(
            "value of key '" + rootKey(path) + "' nests deeper than " + MAX_DEPTH + " levels at "
                + path + " (the record and its data object count as the first two levels);"
                + " flatten it or log the deep part as a string");
      }
      for (int i = 0; i < top; i++) {
        if (stack[i] == value) {
          throw new IllegalArgumentException(
              "value of key '" + rootKey(path) + "' contains itself at " + path
                  + " (a cycle); JSON cannot represent cycles, log a tree instead");
        }
      }
      stack[top] = value;
      try {
        if (value instanceof Map) {
          Map<?, ?> map = (Map<?, ?>) value;
          LinkedHashMap<String, Object> copy = new LinkedHashMap<>(Math.max(4, map.size() * 2));
          for (Map.Entry<?, ?> e : map.entrySet()) {
            Object k = e.getKey();
            if (!(k instanceof String)) {
              throw new IllegalArgumentException(
                  "value of key '" + rootKey(path) + "' has a map key " + describe(k) + " at " + path
                      + "; JSON object keys must be strings, convert the keys to String");
            }
            String childPath = path + "." + k;
            copy.put((String) k, snapshot(childPath, e.getValue(), depth + 1, stack, top + 1));
          }
          return Collections.unmodifiableMap(copy);
        }
        Collection<?> items =
            value instanceof Collection ? (Collection<?>) value : List.of((Object[]) value);
        ArrayList<Object> copy = new ArrayList<>(items.size());
        int i = 0;
        for (Object item : items) {
          copy.add(snapshot(path + "[" + i + "]", item, depth + 1, stack, top + 1));
          i++;
        }
        return Collections.unmodifiableList(copy);
      } finally {
        stack[top] = null;
      }
    }
    if (value.getClass().isArray()) {
      return primitiveArray(path, value, depth);
    }
    throw new IllegalArgumentException(
        "value of key '" + rootKey(path) + "' at " + path + " is a " + value.getClass().getName()
            + ", which is not JSON-compatible; log a String, Number, Boolean, Enum, Instant, Map,"
            + " List or array, or convert the object (e.g. log its fields one by one)");
  }

  private static Object primitiveArray(String path, Object array, int depth) {
    if (depth > MAX_DEPTH) {
      throw new IllegalArgumentException(
          "value of key '" + rootKey(path) + "' nests deeper than " + MAX_DEPTH + " levels at "
              + path + "; flatten it");
    }
    if (array instanceof double[]) {
      double[] d = ((double[]) array).clone();
      for (int i = 0; i < d.length; i++) {
        checkDouble(path + "[" + i + "]", d[i]);
      }
      return d;
    }
    if (array instanceof float[]) {
      float[] f = (float[]) array;
      double[] d = new double[f.length];
      for (int i = 0; i < f.length; i++) {
        d[i] = checkDouble(path + "[" + i + "]", floatToDouble(f[i]));
      }
      return d;
    }
    if (array instanceof long[]) {
      return ((long[]) array).clone();
    }
    if (array instanceof int[]) {
      int[] a = (int[]) array;
      long[] l = new long[a.length];
      for (int i = 0; i < a.length; i++) {
        l[i] = a[i];
      }
      return l;
    }
    if (array instanceof short[]) {
      short[] a = (short[]) array;
      long[] l = new long[a.length];
      for (int i = 0; i < a.length; i++) {
        l[i] = a[i];
      }
      return l;
    }
    if (array instanceof byte[]) {
      // Bytes are data, not numbers: a list of signed numbers would be useless in SQL.
      return Base64.getEncoder().encodeToString((byte[]) array);
    }
    if (array instanceof boolean[]) {
      return ((boolean[]) array).clone();
    }
    if (array instanceof char[]) {
      return new String((char[]) array);
    }
    throw new IllegalArgumentException("unsupported array type " + array.getClass());
  }

  private static Object number(String path, Number n) {
    if (n instanceof Integer || n instanceof Long || n instanceof Short || n instanceof Byte) {
      return n.longValue();
    }
    if (n instanceof Double) {
      checkDouble(path, n.doubleValue());
      return n;
    }
    if (n instanceof Float) {
      return checkDouble(path, floatToDouble(n.floatValue()));
    }
    if (n instanceof BigInteger) {
      return n;
    }
    if (n instanceof BigDecimal) {
      return n;
    }
    if (n instanceof AtomicInteger || n instanceof AtomicLong || n instanceof LongAdder) {
      return n.longValue();
    }
    if (n instanceof DoubleAdder) {
      return checkDouble(path, n.doubleValue());
    }
    return checkDouble(path, n.doubleValue());
  }

  /** 0.1f becomes 0.1, not 0.10000000149011612: users logged the decimal they saw. */
  static double floatToDouble(float f) {
    if (Float.isNaN(f) || Float.isInfinite(f)) {
      return f;
    }
    return Double.parseDouble(Float.toString(f));
  }

  private static String rootKey(String path) {
    int end = path.length();
    for (int i = 0; i < path.length(); i++) {
      char c = path.charAt(i);
      if (c == '.' || c == '[') {
        end = i;
        break;
      }
    }
    return path.substring(0, end);
  }

  private static String describe(Object k) {
    return k == null ? "null" : "'" + k + "' of type " + k.getClass().getName();
  }

  /** A view of a snapshot value for user code: primitive arrays become lists. */
  static Object view(Object snapshot) {
    if (snapshot instanceof double[]) {
      double[] d = (double[]) snapshot;
      List<Object> out = new ArrayList<>(d.length);
      for (double v : d) {
        out.add(v);
      }
      return Collections.unmodifiableList(out);
    }
    if (snapshot instanceof long[]) {
      long[] d = (long[]) snapshot;
      List<Object> out = new ArrayList<>(d.length);
      for (long v : d) {
        out.add(v);
      }
      return Collections.unmodifiableList(out);
    }
    if (snapshot instanceof boolean[]) {
      boolean[] d = (boolean[]) snapshot;
      List<Object> out = new ArrayList<>(d.length);
      for (boolean v : d) {
        out.add(v);
      }
      return Collections.unmodifiableList(out);
    }
    return snapshot;
  }
}
