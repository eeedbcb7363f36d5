package io.hindsight.server.wal;

import io.hindsight.server.schema.Row;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * What one accepted request writes to the log, atomically: its rows and, when the request carried
 * an {@code Idempotency-Key}, that key with the answer that was sent, so a retry after a restart
 * gets the same answer and stores nothing twice.
 *
 * <p>An entry of an audited endpoint ends with an 8-byte trailer: the audit log index of its first
 * row ({@code firstLeaf}; its other rows follow on), which the log thread writes in just before
 * the entry is written, so leaves are numbered in log order, the order of acknowledgment.
 */
public record WalEntry(String idempotencyKey, byte[] response, List<Row> rows, long firstLeaf) {
  /** {@link #firstLeaf} of an entry that is not in an audit log. */
  public static final long NO_LEAF = -1;

  public WalEntry(String idempotencyKey, byte[] response, List<Row> rows) {
    this(idempotencyKey, response, rows, NO_LEAF);
  }

  /** Serializes the entry; done on the request thread so the log thread only writes bytes. */
  public byte[] encode() {
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
    private final GrowableBuffer rows = new GrowableBuffer(1024);
    private int count;

    public void add(Row row) {
      RowCodec.encode(row, rows);
      count++;
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
      GrowableBuffer out = new GrowableBuffer(rows.size() + 72 + (response == null ? 0 : response.length));
      putBytes(out, idempotencyKey == null ? null : idempotencyKey.getBytes(StandardCharsets.UTF_8));
      putBytes(out, response);
      out.putInt(count);
      out.put(rows.asByteBuffer());
      if (audited) {
        out.putLong(NO_LEAF);
      }
      return out.toByteArray();
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

  public static WalEntry decode(ByteBuffer in) {
    byte[] key = getBytes(in);
    byte[] response = getBytes(in);
    int n = in.getInt();
    List<Row> rows = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      rows.add(RowCodec.decode(in));
    }
    return new WalEntry(key == null ? null : new String(key, StandardCharsets.UTF_8), response, rows, firstLeafAfterRows(in));
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
