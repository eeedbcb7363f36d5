package io.hindsight.server.lake;

import io.hindsight.server.schema.Row;
import io.hindsight.server.wal.WalEntry;
import java.io.IOException;
import java.util.List;
import java.util.Map;

/**
 * On start-up, hands the lake writer the logged rows that are not in the lake yet. A file's name
 * holds the highest row sequence number it contains, so a row is replayed exactly when its
 * sequence number is above its partition's mark: nothing acknowledged is lost, nothing is stored
 * twice, whenever the crash came.
 */
public final class LogReplay {
  private final LakeWriter writer;
  private final Map<Partition, Long> inLake;
  private long replayed;

  /** Reads each partition's mark from the lake's file names. */
  public LogReplay(Lake lake, LakeWriter writer) throws IOException {
    this(lake, writer, Map.of());
  }

  /**
   * Reads each partition's mark from the lake's file names and from {@code deleted}: the highest
   * seq of rows deleted on purpose (retention, manual deletion), which must not come back from the
   * log.
   */
  public LogReplay(Lake lake, LakeWriter writer, Map<Partition, Long> deleted) throws IOException {
    this.writer = writer;
    this.inLake = new java.util.HashMap<>(lake.flushedSeqByPartition());
    deleted.forEach((p, seq) -> inLake.merge(p, seq, Math::max));
  }

  /** The first sequence number the log may hand out: above every row the lake already holds. */
  public long minNextSeq() {
    return inLake.values().stream().mapToLong(v -> v + 1).max().orElse(0);
  }

  /** Takes one log entry whose first row has sequence number {@code firstSeq}. */
  public void entry(long firstSeq, WalEntry entry) throws IOException {
    if (allAboveMarks(firstSeq, entry)) {
      writer.acceptReplayed(firstSeq, entry);
      replayed += entry.rowCount();
      return;
    }
    long seq = firstSeq;
    long leaf = entry.firstLeaf();
    for (Row row : entry.rows()) {
      if (seq > inLake.getOrDefault(Partition.of(row), -1L)) {
        writer.acceptReplayed(seq, row, leaf);
        replayed++;
      }
      seq++;
      leaf = leaf == WalEntry.NO_LEAF ? leaf : leaf + 1;
    }
  }

  /** Whether every row of the entry is above its partition's mark (all but entries a flush cut through). */
  private boolean allAboveMarks(long firstSeq, WalEntry entry) {
    List<Row> headers = entry.headers();
    for (int i = 0; i < headers.size(); i++) {
      if (firstSeq + i <= inLake.getOrDefault(Partition.of(headers.get(i)), -1L)) {
        return false;
      }
    }
    return true;
  }

  /** Rows handed to the writer so far. */
  public long replayed() {
    return replayed;
  }
}
