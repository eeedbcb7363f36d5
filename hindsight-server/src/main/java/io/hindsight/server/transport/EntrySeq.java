package io.hindsight.server.transport;

/**
 * The sequence numbers rows get when they come from Kafka: the offset of their entry in the high
 * bits, the row's place in the entry in the low {@value #ROW_BITS}. The lake names each file after
 * the highest sequence number it holds, so a partition's files say up to which offset its rows are
 * in the lake; as every entry of an endpoint goes to one Kafka partition, each lake partition is
 * fed by one Kafka partition, and its highest number is that partition's offset.
 */
public final class EntrySeq {
  /** Bits for a row's place in its entry: an entry holds at most 2^20 rows. */
  static final int ROW_BITS = 20;

  /** The most rows one entry may hold. */
  public static final int MAX_ROWS = 1 << ROW_BITS;

  private EntrySeq() {}

  /** The sequence number of the first row of the entry at {@code offset}. */
  public static long firstRow(long offset) {
    return offset << ROW_BITS;
  }

  /** The offset of the entry a row's sequence number belongs to. */
  public static long offsetOf(long seq) {
    return seq >>> ROW_BITS;
  }
}
