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
 */
public record WalEntry(String idempotencyKey, byte[] response, List<Row> rows) {

  /** Serializes the entry; done on the request thread so the log thread only writes bytes. */
  public byte[] encode() {
    GrowableBuffer out = new GrowableBuffer(256 + rows.size() * 512);
    putBytes(out, idempotencyKey == null ? null : idempotencyKey.getBytes(StandardCharsets.UTF_8));
    putBytes(out, response);
    RowCodec.encodeAll(rows, out);
    return out.toByteArray();
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

    /** The bytes of the entry, laid out as {@link WalEntry#encode()} lays them out. */
    public byte[] encode(String idempotencyKey, byte[] response) {
      GrowableBuffer out = new GrowableBuffer(rows.size() + 64 + (response == null ? 0 : response.length));
      putBytes(out, idempotencyKey == null ? null : idempotencyKey.getBytes(StandardCharsets.UTF_8));
      putBytes(out, response);
      out.putInt(count);
      out.put(rows.asByteBuffer());
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
    return new WalEntry(key == null ? null : new String(key, StandardCharsets.UTF_8), response, rows);
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
