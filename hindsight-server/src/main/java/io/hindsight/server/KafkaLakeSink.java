package io.hindsight.server;

import io.hindsight.server.lake.Lake;
import io.hindsight.server.lake.LakeFollower;
import io.hindsight.server.lake.LakeWriter;
import io.hindsight.server.lake.LogReplay;
import io.hindsight.server.lake.Partition;
import io.hindsight.server.transport.LakeFeed;
import io.hindsight.server.wal.WalEntry;
import java.io.IOException;
import java.util.Map;
import java.util.function.Predicate;
import java.util.function.Supplier;

/**
 * The lake writer as the Kafka feed sees it: entries go through the same replay rule as the
 * write-ahead log's at start-up (a row is taken only above its partition's mark, read from the
 * lake's file names and the deletion marks), into the same {@link LakeWriter}. Taking over
 * partitions from another writer that shares the lake's store, it first fetches their files, so
 * its merges and retention see all of what it now writes.
 */
final class KafkaLakeSink implements LakeFeed.Sink {
  private final Lake lake;
  private final LakeWriter writer;
  private final Supplier<Map<Partition, Long>> deleted;
  private LogReplay marks;

  KafkaLakeSink(Lake lake, LakeWriter writer, Supplier<Map<Partition, Long>> deleted) {
    this.lake = lake;
    this.writer = writer;
    this.deleted = deleted;
  }

  @Override
  public void reload(Predicate<String> owned) throws IOException {
    LakeFollower.takeOver(lake, p -> owned.test(p.endpoint()));
    marks = new LogReplay(lake, writer, deleted.get());
  }

  @Override
  public void entry(long firstSeq, WalEntry entry) throws IOException {
    if (marks == null) {
      marks = new LogReplay(lake, writer, deleted.get());
    }
    marks.entry(firstSeq, entry);
  }

  @Override
  public boolean flush() {
    writer.flushNow();
    return writer.pendingRows() == 0;
  }

  @Override
  public void discard() {
    writer.discardPending();
  }
}
