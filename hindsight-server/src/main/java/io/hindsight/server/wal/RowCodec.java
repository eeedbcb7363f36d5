package io.hindsight.server.wal;

import io.hindsight.server.schema.JsonText;
import io.hindsight.server.schema.Row;
import io.hindsight.server.schema.Table;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BiPredicate;

/** A compact binary form of rows for the log: typed values, no field names repeated in JSON. */
public final class RowCodec {
  private static final byte NULL = 0;
  private static final byte STRING = 1;
  private static final byte LONG = 2;
  private static final byte DOUBLE = 3;
  private static final byte TRUE = 4;
  private static final byte FALSE = 5;
  private static final byte JSON = 6;
  private static final byte MAP = 7;

  private RowCodec() {}

  public static void encode(Row row, GrowableBuffer out) {
    putHeader(out, row.table(), row.endpoint(), row.tsMicros(), row.values().size());
    for (Map.Entry<String, Object> e : row.values().entrySet()) {
      putString(out, e.getKey());
      putValue(out, e.getValue());
    }
  }

  /**
   * Writes rows as {@link #encode} does, value by value as they are decided, without a map of
   * them; the time and the count of values are filled in when the row ends. Not thread-safe.
   */
  public static final class RowWriter {
    private final GrowableBuffer out;
    /** Where the row begun last starts; -1 when none is open. */
    private int start = -1;
    private int tsAt;
    private int values;
    /**
     * The key last written at each position and its encoded bytes: rows of an endpoint name their
     * keys with the same String objects (constants and schema columns), so each is encoded once.
     */
    private String[] keyAt = new String[32];
    private byte[][] encodedKeyAt = new byte[32][];

    public RowWriter(GrowableBuffer out) {
      this.out = out;
    }

    public void begin(Table table, String endpoint) {
      if (start >= 0) {
        throw new IllegalStateException("the row begun before was neither ended nor abandoned");
      }
      start = out.size();
      putHeader(out, table, endpoint, 0, 0); // the time and the count of values are filled in at the end
      tsAt = out.size() - 12;
      values = 0;
    }

    public void put(String key, Object value) {
      int at = values++;
      if (at < keyAt.length && keyAt[at] == key) {
        out.put(encodedKeyAt[at]);
      } else {
        int from = out.size();
        putString(out, key);
        if (at >= keyAt.length) {
          keyAt = Arrays.copyOf(keyAt, at * 2);
          encodedKeyAt = Arrays.copyOf(encodedKeyAt, at * 2);
        }
        keyAt[at] = key;
        encodedKeyAt[at] = out.copyOfRange(from, out.size());
      }
      putValue(out, value);
    }

    public void end(long tsMicros) {
      out.putIntAt(tsAt, (int) (tsMicros >>> 32));
      out.putIntAt(tsAt + 4, (int) tsMicros);
      out.putIntAt(tsAt + 8, values);
      start = -1;
    }

    public void abandon() {
      out.truncate(start);
      start = -1;
    }
  }

  /** A row's table, endpoint, time and count of values, as {@link #decodeHeader} reads them. */
  private static void putHeader(GrowableBuffer out, Table table, String endpoint, long tsMicros, int values) {
    out.put((byte) table.ordinal());
    putString(out, endpoint);
    out.putLong(tsMicros);
    out.putInt(values);
  }

  public static Row decode(ByteBuffer in) {
    Table table = Table.values()[in.get()];
    String endpoint = getString(in);
    long ts = in.getLong();
    int n = in.getInt();
    Map<String, Object> values = new LinkedHashMap<>(n * 2);
    for (int i = 0; i < n; i++) {
      String key = getString(in);
      values.put(key, getValue(in));
    }
    return new Row(table, endpoint, ts, values);
  }

  /**
   * Maps encoded key names to column indexes for {@link #decodeTo}. Rows of an endpoint mostly
   * list their keys in the same order, so the key last seen at each position is remembered and a
   * byte comparison usually replaces decoding and hashing the name. Not thread-safe.
   */
  public static final class KeyIndex {
    private final Map<String, Integer> byName;
    private byte[][] keyAt = new byte[16][];
    private int[] indexAt = new int[16];

    public KeyIndex(Map<String, Integer> byName) {
      this.byName = byName;
    }

    /** The index of a column by name, or -1. */
    public int column(String name) {
      return byName.getOrDefault(name, -1);
    }

    /** The column index of the key of {@code length} bytes at {@code offset}, or -1. */
    int indexOf(byte[] buf, int offset, int length, int position) {
      if (position < keyAt.length) {
        byte[] last = keyAt[position];
        if (last != null && Arrays.equals(last, 0, last.length, buf, offset, offset + length)) {
          return indexAt[position];
        }
      } else {
        keyAt = Arrays.copyOf(keyAt, Math.max(position + 1, keyAt.length * 2));
        indexAt = Arrays.copyOf(indexAt, keyAt.length);
      }
      Integer at = byName.get(new String(buf, offset, length, StandardCharsets.UTF_8));
      int index = at == null ? -1 : at;
      keyAt[position] = Arrays.copyOfRange(buf, offset, offset + length);
      indexAt[position] = index;
      return index;
    }
  }

  /**
   * Takes a row's values by column index as {@link #decodeTo} reads them from the log's bytes. A
   * null value is not given.
   */
  public interface ValueSink {
    /** A string or JSON text as the UTF-8 bytes the log holds, valid only during the call. */
    void utf8(int column, byte[] buf, int offset, int length);

    void int64(int column, long value);

    void float64(int column, double value);

    void bool(int column, boolean value);

    void map(int column, Map<String, String> value);
  }

  /**
   * Hands a row's values to {@code sink} by column index, without building the row, the values
   * unboxed and strings as the log's UTF-8 bytes; names the index lacks are skipped (the writer's
   * schema already holds every logged column). Returns the ts.
   */
  public static long decodeTo(ByteBuffer in, KeyIndex index, ValueSink sink) {
    byte[] buf = in.array();
    int base = in.arrayOffset();
    in.get();
    skipBytes(in);
    long ts = in.getLong();
    int n = in.getInt();
    for (int i = 0; i < n; i++) {
      int length = in.getInt();
      int at = index.indexOf(buf, base + in.position(), length, i);
      in.position(in.position() + length);
      if (at < 0) {
        skipValue(in);
        continue;
      }
      byte tag = in.get();
      switch (tag) {
        case NULL -> {}
        case STRING, JSON -> {
          int bytes = in.getInt();
          sink.utf8(at, buf, base + in.position(), bytes);
          in.position(in.position() + bytes);
        }
        case LONG -> sink.int64(at, in.getLong());
        case DOUBLE -> sink.float64(at, Double.longBitsToDouble(in.getLong()));
        case TRUE -> sink.bool(at, true);
        case FALSE -> sink.bool(at, false);
        case MAP -> {
          in.position(in.position() - 1);
          @SuppressWarnings("unchecked")
          Map<String, String> m = (Map<String, String>) getValue(in);
          sink.map(at, m);
        }
        default -> throw new IllegalArgumentException("unknown value tag " + tag);
      }
    }
    return ts;
  }

  /** Reads a row's table, endpoint and time, leaving the buffer where it was. */
  public static Row decodeHeader(ByteBuffer in) {
    ByteBuffer d = in.duplicate();
    Table table = Table.values()[d.get()];
    String endpoint = getString(d);
    return new Row(table, endpoint, d.getLong(), Map.of());
  }

  /**
   * Whether {@code test} holds for a key of the row at {@code in} that has a value, given the row's
   * header; reads only the keys' names and leaves {@code in} after the row.
   */
  public static boolean anyKey(ByteBuffer in, BiPredicate<Row, String> test) {
    Row header = decodeHeader(in);
    in.get();
    skipBytes(in);
    in.getLong();
    int n = in.getInt();
    boolean found = false;
    for (int i = 0; i < n; i++) {
      String key = getString(in);
      boolean hasValue = in.get(in.position()) != NULL;
      skipValue(in);
      found = found || (hasValue && test.test(header, key));
    }
    return found;
  }

  /**
   * Whether an encoded row is of a table and endpoint and holds a string under a key, compared as
   * UTF-8 bytes: nothing of a row that does not match is decoded. Reads the header and the keys'
   * names up to the key, and leaves the buffer where it was.
   */
  public static final class StringMatch {
    private final Table table;
    private final byte[] endpoint;
    private final byte[] key;
    private final byte[] value;

    public StringMatch(Table table, String endpoint, String key, String value) {
      this.table = table;
      this.endpoint = endpoint.getBytes(StandardCharsets.UTF_8);
      this.key = key.getBytes(StandardCharsets.UTF_8);
      this.value = value.getBytes(StandardCharsets.UTF_8);
    }

    public boolean test(ByteBuffer in) {
      ByteBuffer d = in.duplicate();
      if (d.get() != table.ordinal() || !nextBytesEqual(d, endpoint)) {
        return false;
      }
      return toStringValue(d) && nextBytesEqual(d, value);
    }

    /** The hash of the value this matches, as {@link #valueHashIn} gives it for a row that holds the value. */
    public int valueHash() {
      return hash(value, 0, value.length);
    }

    /**
     * The hash of the string the row at {@code in} holds under this key, 0 if it holds none: rows
     * whose hash differs from {@link #valueHash} do not match. Leaves the buffer where it was.
     */
    public int valueHashIn(ByteBuffer in) {
      ByteBuffer d = in.duplicate();
      d.get();
      skipBytes(d);
      if (!toStringValue(d)) {
        return 0;
      }
      int len = d.getInt();
      return hash(d.array(), d.arrayOffset() + d.position(), len);
    }

    /**
     * Moves {@code d}, placed just after a row's endpoint, to the length-prefixed bytes of the
     * string under this key; false when the row holds no string there.
     */
    private boolean toStringValue(ByteBuffer d) {
      d.getLong();
      int n = d.getInt();
      for (int i = 0; i < n; i++) {
        if (nextBytesEqual(d, key)) {
          return d.get() == STRING;
        }
        skipValue(d);
      }
      return false;
    }

    private static int hash(byte[] bytes, int from, int length) {
      int h = 1;
      for (int i = from; i < from + length; i++) {
        h = 31 * h + bytes[i];
      }
      return h == 0 ? 1 : h;
    }

    /** Whether the length-prefixed bytes at {@code in} are {@code expected}; moves past them either way. */
    private static boolean nextBytesEqual(ByteBuffer in, byte[] expected) {
      int n = in.getInt();
      int at = in.arrayOffset() + in.position();
      in.position(in.position() + n);
      return n == expected.length && Arrays.equals(in.array(), at, at + n, expected, 0, n);
    }
  }

  /** Moves past one encoded row without building it. */
  public static void skip(ByteBuffer in) {
    in.get();
    skipBytes(in);
    in.getLong();
    int n = in.getInt();
    for (int i = 0; i < n; i++) {
      skipBytes(in);
      skipValue(in);
    }
  }

  private static void skipBytes(ByteBuffer in) {
    int n = in.getInt();
    in.position(in.position() + n);
  }

  private static void skipValue(ByteBuffer in) {
    byte tag = in.get();
    switch (tag) {
      case NULL:
      case TRUE:
      case FALSE:
        return;
      case STRING:
      case JSON:
        skipBytes(in);
        return;
      case LONG:
      case DOUBLE:
        in.getLong();
        return;
      case MAP:
        int n = in.getInt();
        for (int i = 0; i < 2 * n; i++) {
          skipBytes(in);
        }
        return;
      default:
        throw new IllegalArgumentException("unknown value tag " + tag);
    }
  }

  /** Encodes many rows. */
  public static void encodeAll(List<Row> rows, GrowableBuffer out) {
    out.putInt(rows.size());
    for (Row r : rows) {
      encode(r, out);
    }
  }

  @SuppressWarnings("unchecked")
  private static void putValue(GrowableBuffer out, Object v) {
    if (v == null) {
      out.put(NULL);
    } else if (v instanceof String) {
      out.put(STRING);
      putString(out, (String) v);
    } else if (v instanceof Long) {
      out.put(LONG);
      out.putLong((Long) v);
    } else if (v instanceof Double) {
      out.put(DOUBLE);
      out.putLong(Double.doubleToRawLongBits((Double) v));
    } else if (v instanceof Boolean) {
      out.put(((Boolean) v) ? TRUE : FALSE);
    } else if (v instanceof JsonText) {
      out.put(JSON);
      putString(out, ((JsonText) v).json());
    } else if (v instanceof Map) {
      out.put(MAP);
      Map<String, String> m = (Map<String, String>) v;
      out.putInt(m.size());
      for (Map.Entry<String, String> e : m.entrySet()) {
        putString(out, e.getKey());
        putString(out, e.getValue());
      }
    } else {
      throw new IllegalArgumentException("cannot encode " + v.getClass());
    }
  }

  private static Object getValue(ByteBuffer in) {
    byte tag = in.get();
    switch (tag) {
      case NULL:
        return null;
      case STRING:
        return getString(in);
      case LONG:
        return in.getLong();
      case DOUBLE:
        return Double.longBitsToDouble(in.getLong());
      case TRUE:
        return Boolean.TRUE;
      case FALSE:
        return Boolean.FALSE;
      case JSON:
        return new JsonText(getString(in));
      case MAP:
        int n = in.getInt();
        Map<String, String> m = new LinkedHashMap<>(n * 2);
        for (int i = 0; i < n; i++) {
          m.put(getString(in), getString(in));
        }
        return m;
      default:
        throw new IllegalArgumentException("unknown value tag " + tag);
    }
  }

  static void putString(GrowableBuffer out, String s) {
    out.putUtf8(s);
  }

  static String getString(ByteBuffer in) {
    int n = in.getInt();
    String s = new String(in.array(), in.arrayOffset() + in.position(), n, StandardCharsets.UTF_8);
    in.position(in.position() + n);
    return s;
  }
}
