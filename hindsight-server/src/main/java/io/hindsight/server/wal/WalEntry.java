package io.hindsight.server.wal;

import io.hindsight.server.schema.Row;
import io.hindsight.server.schema.Table;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BiPredicate;

/**
 * What one accepted request writes to the log, atomically: its rows and, when the request carried
 * an {@code Idempotency-Key}, that key with the answer that was sent, so a retry after a restart
 * gets the same answer and stores nothing twice.
 *
 * <p>An entry of an audited endpoint ends with an 8-byte trailer: the audit log index of its first
 * row ({@code firstLeaf}; its other rows follow on), which the log thread writes in just before
 * the entry is written, so leaves are numbered in log order, the order of acknowledgment.
 *
 * <p>An entry read from the log keeps the bytes it was read from and decodes its rows only when
 * asked: starting up replays every entry, and most need no more than their header, their rows'
 * partitions and those bytes, which go to the lake writer as they are.
 */
public final class WalEntry {
  /** {@link #firstLeaf} of an entry that is not in an audit log. */
  public static final long NO_LEAF = -1;

  private final String idempotencyKey;
  private final byte[] response;
  private final long firstLeaf;
  private final int rowCount;
  /** The bytes the entry was read from, or null for a new entry. */
  private final byte[] encoded;
  /** Where the rows start in {@link #encoded}. */
  private final int rowsAt;
  private List<Row> rows;

  public WalEntry(String idempotencyKey, byte[] response, List<Row> rows, long firstLeaf) {
    this.idempotencyKey = idempotencyKey;
    this.response = response;
    this.rows = rows;
    this.firstLeaf = firstLeaf;
    this.rowCount = rows.size();
    this.encoded = null;
    this.rowsAt = 0;
  }

  public WalEntry(String idempotencyKey, byte[] response, List<Row> rows) {
    this(idempotencyKey, response, rows, NO_LEAF);
  }

  private WalEntry(String idempotencyKey, byte[] response, long firstLeaf, int rowCount, byte[] encoded, int rowsAt) {
    this.idempotencyKey = idempotencyKey;
    this.response = response;
    this.firstLeaf = firstLeaf;
    this.rowCount = rowCount;
    this.encoded = encoded;
    this.rowsAt = rowsAt;
  }

  public String idempotencyKey() {
    return idempotencyKey;
  }

  public byte[] response() {
    return response;
  }

  /** The audit log index of the first row, or {@link #NO_LEAF}. */
  public long firstLeaf() {
    return firstLeaf;
  }

  public int rowCount() {
    return rowCount;
  }

  /** The rows, decoded on first use for an entry read from the log. */
  public List<Row> rows() {
    if (rows == null) {
      ByteBuffer in = ByteBuffer.wrap(encoded, rowsAt, encoded.length - rowsAt);
      List<Row> out = new ArrayList<>(rowCount);
      for (int i = 0; i < rowCount; i++) {
        out.add(RowCodec.decode(in));
      }
      rows = out;
    }
    return rows;
  }

  /** Whether {@code test} holds for a key with a value of any row, given the row's header. */
  public boolean anyKey(BiPredicate<Row, String> test) {
    if (rows != null) {
      return rows.stream().anyMatch(r -> r.values().entrySet().stream().anyMatch(e -> e.getValue() != null && test.test(r, e.getKey())));
    }
    ByteBuffer in = ByteBuffer.wrap(encoded, rowsAt, encoded.length - rowsAt);
    boolean found = false;
    for (int i = 0; i < rowCount; i++) {
      found |= RowCodec.anyKey(in, test);
    }
    return found;
  }

  /** The rows' table, endpoint and time, without their values (what their partitions need). */
  public List<Row> headers() {
    if (rows != null) {
      return rows;
    }
    ByteBuffer in = ByteBuffer.wrap(encoded, rowsAt, encoded.length - rowsAt);
    List<Row> out = new ArrayList<>(rowCount);
    for (int i = 0; i < rowCount; i++) {
      out.add(RowCodec.decodeHeader(in));
      RowCodec.skip(in);
    }
    return out;
  }

  /** Serializes the entry; done on the request thread so the log thread only writes bytes. */
  public byte[] encode() {
    if (encoded != null) {
      return encoded;
    }
    GrowableBuffer out = new GrowableBuffer(256 + rows.size() * 512);
    putBytes(out, idempotencyKey == null ? null : idempotencyKey.getBytes(StandardCharsets.UTF_8));
    putBytes(out, response);
    RowCodec.encodeAll(rows, out);
    if (firstLeaf != NO_LEAF) {
      out.putLong(firstLeaf);
    }
    return out.toByteArray();
  }

  /** Writes the first leaf index into the trailer of an entry encoded with one. */
  static void numberLeaves(byte[] encoded, long firstLeaf) {
    ByteBuffer.wrap(encoded).putLong(encoded.length - 8, firstLeaf);
  }

  /**
   * The trailer of an entry whose rows {@code in} has just read to their end: the first leaf
   * index, or {@link #NO_LEAF} when the entry has none.
   */
  public static long firstLeafAfterRows(ByteBuffer in) {
    return in.remaining() >= 8 ? in.getLong() : NO_LEAF;
  }

  /**
   * Builds an entry row by row as it will be written, so a request holds its accepted rows as
   * compact bytes rather than as objects until it knows its answer.
   */
  public static final class Builder {
    private final GrowableBuffer rows;
    private final RowCodec.RowWriter writer;
    private int count;

    /** @param expectedBytes what the rows will likely take (e.g. the body's size), to grow the buffer less */
    public Builder(int expectedBytes) {
      rows = new GrowableBuffer(expectedBytes);
      writer = new RowCodec.RowWriter(rows);
    }

    public void add(Row row) {
      beginRow(row.table(), row.endpoint());
      row.values().forEach(writer::put);
      endRow(row.tsMicros());
    }

    /**
     * Starts a row whose values come one by one through {@link #put}; its time is given at {@link
     * #endRow}, once it is known, or {@link #abandonRow} takes it back.
     */
    public void beginRow(Table table, String endpoint) {
      writer.begin(table, endpoint);
    }

    /** A value of the row begun last. */
    public void put(String key, Object value) {
      writer.put(key, value);
    }

    public void endRow(long tsMicros) {
      writer.end(tsMicros);
      count++;
    }

    /** Forgets the row begun last. */
    public void abandonRow() {
      writer.abandon();
    }

    /** Rows added so far. */
    public int rows() {
      return count;
    }

    /** Bytes the encoded rows take. */
    public int size() {
      return rows.size();
    }

    /**
     * The bytes of the entry, laid out as {@link WalEntry#encode()} lays them out; {@code audited}
     * leaves room for the first leaf index the log thread writes in.
     */
    public byte[] encode(String idempotencyKey, byte[] response, boolean audited) {
      byte[] key = idempotencyKey == null ? null : idempotencyKey.getBytes(StandardCharsets.UTF_8);
      int size =
          4 + (key == null ? 0 : key.length) + 4 + (response == null ? 0 : response.length) + 4 + rows.size()
              + (audited ? 8 : 0);
      GrowableBuffer out = new GrowableBuffer(size);
      putBytes(out, key);
      putBytes(out, response);
      out.putInt(count);
      out.put(rows.asByteBuffer());
      if (audited) {
        out.putLong(NO_LEAF);
      }
      return out.array();
    }
  }

  /**
   * Positions a buffer over {@link #encode()}'s bytes at the row count that precedes the rows,
   * skipping the idempotency key and answer.
   */
  public static ByteBuffer rowsOf(byte[] encoded) {
    ByteBuffer in = ByteBuffer.wrap(encoded);
    getBytes(in);
    getBytes(in);
    return in;
  }

  /** The idempotency key of an entry from {@link #encode()}'s bytes, without reading its answer or rows. */
  public static String idempotencyKeyOf(byte[] encoded) {
    byte[] key = getBytes(ByteBuffer.wrap(encoded));
    return key == null ? null : new String(key, StandardCharsets.UTF_8);
  }

  /** Reads an entry from its bytes at {@code in}'s position, leaving its rows encoded until {@link #rows()}. */
  public static WalEntry decode(ByteBuffer in) {
    int start = in.position();
    byte[] key = getBytes(in);
    byte[] response = getBytes(in);
    int n = in.getInt();
    int rowsAt = in.position() - start;
    for (int i = 0; i < n; i++) {
      RowCodec.skip(in);
    }
    long firstLeaf = firstLeafAfterRows(in);
    byte[] encoded = new byte[in.position() - start];
    in.get(start, encoded);
    return new WalEntry(key == null ? null : new String(key, StandardCharsets.UTF_8), response, firstLeaf, n, encoded, rowsAt);
  }

  private static void putBytes(GrowableBuffer out, byte[] b) {
    if (b == null) {
      out.putInt(-1);
    } else {
      out.putInt(b.length);
      out.put(b);
    }
  }

  private static byte[] getBytes(ByteBuffer in) {
    int n = in.getInt();
    if (n < 0) {
      return null;
    }
    byte[] b = new byte[n];
    in.get(b);
    return b;
  }
}
