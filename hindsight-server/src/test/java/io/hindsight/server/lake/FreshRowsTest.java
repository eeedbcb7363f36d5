package io.hindsight.server.lake;

import static io.hindsight.server.lake.LakeFixture.DAY;
import static io.hindsight.server.lake.LakeFixture.DAY_START;
import static org.assertj.core.api.Assertions.assertThat;

import io.hindsight.server.schema.ColumnType;
import io.hindsight.server.schema.JsonText;
import io.hindsight.server.schema.Row;
import io.hindsight.server.schema.SqlText;
import io.hindsight.server.schema.Table;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** Fresh files: each pending row written once, merged as they pile up, deleted once in the lake and unread. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class FreshRowsTest {
  @TempDir Path dir;

  @Test
  void aSnapshotWritesOnlyTheRowsNewSinceTheLastAndNamesEachPartitionsFirstPendingSeq() throws Exception {
    try (LakeFixture f = new LakeFixture(dir);
        FreshRows fresh = new FreshRows(f.writer, f.schemas, f.lake, LakeFixture.duckdb())) {
      f.accept(0, f.prediction("churn", DAY_START, "a", 1), f.prediction("fraud", DAY_START + DAY, "b", 2));
      Partition churn = f.partition("churn", DAY_START);
      Partition fraud = f.partition("fraud", DAY_START + DAY);
      try (FreshRows.Snapshot first = fresh.take()) {
        assertThat(first.firstPendingSeq()).isEqualTo(Map.of(churn, 0L, fraud, 1L));
        assertThat(f.rows("prediction_id, score, _hindsight_seq", first.files(Table.PREDICTIONS), "_hindsight_seq"))
            .containsExactly(List.of("a", 1L, 0L), List.of("b", 2L, 1L));
        assertThat(first.files(Table.FEEDBACK)).isEmpty();
      }
      // One new churn row per snapshot: a small file each, merged into one at the eighth.
      int merge = FreshRows.SMALL_FILES_TO_MERGE;
      for (int seq = 2; seq <= merge; seq++) {
        f.accept(seq, f.prediction("churn", DAY_START + seq, "c" + seq, seq));
        try (FreshRows.Snapshot s = fresh.take()) {
          assertThat(s.firstPendingSeq()).isEqualTo(Map.of(churn, 0L, fraud, 1L));
          int churnFiles = seq < merge ? seq : 1;
          assertThat(s.files(Table.PREDICTIONS)).as("after row %d", seq).hasSize(churnFiles + 1);
          List<List<Object>> rows = f.rows("_hindsight_seq", s.files(Table.PREDICTIONS), "_hindsight_seq");
          assertThat(rows).as("every row once").hasSize(seq + 1).doesNotHaveDuplicates();
        }
      }
      assertThat(fresh.fileCount()).as("the merged inputs are gone").isEqualTo(2);
    }
  }

  /**
   * A client querying back to back leaves one small file per query: they merge by size class (eight
   * of one row into one of eight, eight of eight into one of 64), so each row is rewritten once per
   * class it climbs and a query reads a few files, every row once.
   */
  @Test
  void smallFilesMergeBySizeClassSoEachRowIsRewrittenOncePerClass() throws Exception {
    try (LakeFixture f = new LakeFixture(dir);
        FreshRows fresh = new FreshRows(f.writer, f.schemas, f.lake, LakeFixture.duckdb())) {
      int n = FreshRows.SMALL_FILES_TO_MERGE * FreshRows.SMALL_FILES_TO_MERGE;
      for (int seq = 0; seq < n; seq++) {
        f.accept(seq, f.prediction("churn", DAY_START + seq, "r" + seq, seq));
        try (FreshRows.Snapshot s = fresh.take()) {
          assertThat(s.files(Table.PREDICTIONS)).as("after row %d", seq).hasSizeLessThanOrEqualTo(2 * FreshRows.SMALL_FILES_TO_MERGE);
          if (seq == n - 1) {
            assertThat(s.files(Table.PREDICTIONS)).as("all in one file of 64").hasSize(1);
            assertThat(f.rows("_hindsight_seq", s.files(Table.PREDICTIONS), "_hindsight_seq")).hasSize(n).doesNotHaveDuplicates();
          }
        }
      }
      assertThat(fresh.rowsRewritten()).as("each row twice: into a file of 8, then of 64").isEqualTo(2L * n);
    }
  }

  /**
   * A query that is done lets go of its snapshot without waiting for another one that is writing
   * fresh rows under the lock (or the lake writer's cover); the file it was the last to read still
   * goes at once.
   */
  @Test
  void closingASnapshotDoesNotWaitForTheLockAndStillDeletesWhatOnlyItRead() throws Exception {
    try (LakeFixture f = new LakeFixture(dir);
        FreshRows fresh = new FreshRows(f.writer, f.schemas, f.lake, LakeFixture.duckdb())) {
      f.accept(0, f.prediction("churn", DAY_START, "a", 1));
      FreshRows.Snapshot reading = fresh.take();
      Path file = reading.files(Table.PREDICTIONS).get(0);
      f.writer.flushNow();
      fresh.take().close(); // the row is in the lake: its fresh file is retired, still read by `reading`
      assertThat(file).exists();

      CountDownLatch held = new CountDownLatch(1);
      CountDownLatch release = new CountDownLatch(1);
      Thread writing = holdLock(fresh, held, release);
      try {
        held.await();
        CompletableFuture<Void> closed = CompletableFuture.runAsync(reading::close);
        assertThat(closed).as("released while another holds the lock").succeedsWithin(Duration.ofSeconds(5));
        assertThat(file).doesNotExist();
      } finally {
        release.countDown();
        writing.join();
      }
      try (FreshRows.Snapshot none = fresh.take()) {
        assertThat(none.firstPendingSeq()).isEmpty();
      }
      assertThat(fresh.fileCount()).isZero();
    }
  }

  /** Holds the fresh rows' lock in a thread of its own, as a snapshot writing rows does, until released. */
  private static Thread holdLock(FreshRows fresh, CountDownLatch held, CountDownLatch release) {
    Thread t = new Thread(() -> {
      fresh.lock.lock();
      try {
        held.countDown();
        release.await();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      } finally {
        fresh.lock.unlock();
      }
    });
    t.start();
    return t;
  }

  /**
   * A snapshot that writes a large backlog holds the lock for seconds; the lake writer does not wait
   * for it (it would let the backlog grow until ingest is refused) but encodes its file from the log.
   */
  @Test
  void theLakeWriterDoesNotWaitForASnapshotWritingRowsAndEncodesItsFileFromTheLog() throws Exception {
    try (LakeFixture f = new LakeFixture(dir);
        FreshRows fresh = new FreshRows(f.writer, f.schemas, f.lake, LakeFixture.duckdb())) {
      Partition churn = f.partition("churn", DAY_START);
      f.accept(0, f.prediction("churn", DAY_START, "a", 1));
      fresh.take().close(); // a fresh file holds a: the writer would copy its file from it
      CountDownLatch held = new CountDownLatch(1);
      CountDownLatch release = new CountDownLatch(1);
      Thread writing = holdLock(fresh, held, release);
      try {
        held.await();
        CompletableFuture<Void> flushed = CompletableFuture.runAsync(() -> {
          try {
            f.writer.flushNow();
          } catch (Exception e) {
            throw new IllegalStateException(e);
          }
        });
        assertThat(flushed).as("written while a snapshot holds the lock").succeedsWithin(Duration.ofSeconds(5));
        assertThat(f.writer.rowsCopied()).isZero();
        assertThat(fresh.coversSkipped()).isEqualTo(1);
        assertThat(f.rows("prediction_id, score", f.lake.dataFiles(churn), null)).containsExactly(List.of("a", 1L));
      } finally {
        release.countDown();
        writing.join();
      }
      try (FreshRows.Snapshot none = fresh.take()) {
        assertThat(none.firstPendingSeq()).as("a is in the lake").isEmpty();
      }
      assertThat(fresh.fileCount()).as("the next snapshot retired a's fresh file").isZero();
    }
  }

  /**
   * A lake file is in place a moment before its rows leave the pending view: a snapshot taken in
   * between reads those rows from their fresh files, so those files must not be retired until the
   * rows have left it, even when a later fresh file of the partition outlives them.
   */
  @Test
  void aSnapshotTakenAsALakeFileLandsShowsEachRowOnce() throws Exception {
    try (LakeFixture f = new LakeFixture(dir);
        FreshRows fresh = new FreshRows(f.writer, f.schemas, f.lake, LakeFixture.duckdb())) {
      Partition churn = f.partition("churn", DAY_START);
      f.accept(0, f.prediction("churn", DAY_START, "a", 1), f.prediction("churn", DAY_START, "b", 2));
      fresh.take().close(); // a fresh file of a and b
      List<String> seenAsItLanded = new java.util.ArrayList<>();
      f.writer.onFileWritten((p, file) -> {
        try (FreshRows.Snapshot s = fresh.take()) {
          seenAsItLanded.addAll(visible(f, s, churn));
        } catch (Exception e) {
          throw new IllegalStateException(e);
        }
      });
      CompletableFuture<Void> flushed;
      fresh.lock.lock();
      try {
        flushed = CompletableFuture.runAsync(f.writer::flushNow);
        // The writer took a and b and waits for the fresh files to copy its file from them; c
        // comes meanwhile, and a query writes it to a second fresh file.
        while (!fresh.lock.hasQueuedThreads() && !flushed.isDone()) {
          Thread.sleep(1);
        }
        f.accept(2, f.prediction("churn", DAY_START, "c", 3));
        fresh.take().close();
      } finally {
        fresh.lock.unlock();
      }
      assertThat(flushed).succeedsWithin(Duration.ofSeconds(30));
      assertThat(f.fileSeqs(churn)).as("a and b landed in one file").containsExactly(1L);
      assertThat(seenAsItLanded).containsExactlyInAnyOrder("a", "b", "c");
      try (FreshRows.Snapshot after = fresh.take()) {
        assertThat(visible(f, after, churn)).containsExactlyInAnyOrder("a", "b", "c");
      }
    }
  }

  /** The ids a query reading {@code s} sees of partition {@code p}: its lake files below the cut, its fresh rows above. */
  private static List<String> visible(LakeFixture f, FreshRows.Snapshot s, Partition p) throws Exception {
    long cut = s.firstPendingSeq().getOrDefault(p, Long.MAX_VALUE) - 1;
    List<Path> lakeFiles = f.lake.dataFiles(p).stream().filter(file -> Lake.maxSeqOf(file) <= cut).toList();
    List<String> ids = new java.util.ArrayList<>();
    if (!lakeFiles.isEmpty()) {
      f.rows("prediction_id", lakeFiles, null).forEach(r -> ids.add((String) r.get(0)));
    }
    List<Path> freshFiles = s.files(Table.PREDICTIONS);
    if (!freshFiles.isEmpty()) {
      for (List<Object> r : f.rows("prediction_id, _hindsight_seq", freshFiles, null)) {
        if ((Long) r.get(1) > cut) {
          ids.add((String) r.get(0));
        }
      }
    }
    return ids;
  }

  @Test
  void filesWhoseRowsReachedTheLakeGoOnceNoSnapshotReadsThem() throws Exception {
    try (LakeFixture f = new LakeFixture(dir);
        FreshRows fresh = new FreshRows(f.writer, f.schemas, f.lake, LakeFixture.duckdb())) {
      f.accept(0, f.prediction("churn", DAY_START, "a", 1));
      FreshRows.Snapshot reading = fresh.take();
      List<Path> files = reading.files(Table.PREDICTIONS);
      assertThat(files).hasSize(1);

      f.writer.flushNow();
      f.accept(1, f.prediction("churn", DAY_START, "b", 2));
      try (FreshRows.Snapshot later = fresh.take()) {
        assertThat(later.firstPendingSeq()).isEqualTo(Map.of(f.partition("churn", DAY_START), 1L));
        assertThat(f.rows("prediction_id", later.files(Table.PREDICTIONS), null)).containsExactly(List.of("b"));
        assertThat(files.get(0)).as("still read by the first snapshot").exists();
        reading.close();
        assertThat(files.get(0)).doesNotExist();
      }
      f.writer.flushNow();
      try (FreshRows.Snapshot none = fresh.take()) {
        assertThat(none.firstPendingSeq()).isEmpty();
        assertThat(none.files(Table.PREDICTIONS)).isEmpty();
      }
      assertThat(fresh.fileCount()).isZero();
      try (var left = Files.walk(fresh.dir())) {
        assertThat(left.filter(Files::isRegularFile)).isEmpty();
      }
    }
  }

  @Test
  void whileQueriesComeThePendingRowsAreWrittenAheadOfThemAndNotAfter() throws Exception {
    try (LakeFixture f = new LakeFixture(dir);
        FreshRows fresh = new FreshRows(f.writer, f.schemas, f.lake, LakeFixture.duckdb())) {
      fresh.start(f.time, Duration.ofMillis(100));
      f.accept(0, f.prediction("churn", DAY_START, "a", 1));
      f.time.advance(Duration.ofSeconds(1));
      assertThat(fresh.rowsWritten()).as("no query yet: nothing written").isZero();

      fresh.take().close();
      assertThat(fresh.rowsWritten()).isEqualTo(1);
      f.accept(1, f.prediction("churn", DAY_START, "b", 2));
      f.time.advance(Duration.ofMillis(100));
      assertThat(fresh.rowsWritten()).as("written ahead of the next query").isEqualTo(2);

      f.time.advance(FreshRows.KEEP_WRITING_AFTER_QUERY);
      f.accept(2, f.prediction("churn", DAY_START, "c", 3));
      f.time.advance(Duration.ofSeconds(1));
      assertThat(fresh.rowsWritten()).as("no query for a while: nothing written").isEqualTo(2);
      try (FreshRows.Snapshot s = fresh.take()) {
        assertThat(f.rows("prediction_id", s.files(Table.PREDICTIONS), "prediction_id"))
            .containsExactly(List.of("a"), List.of("b"), List.of("c"));
      }
    }
  }

  @Test
  void aLakeFileCopiedFromFreshFilesHoldsWhatOneEncodedFromTheLogHolds() throws Exception {
    try (LakeFixture copied = new LakeFixture(dir.resolve("copied"));
        LakeFixture encoded = new LakeFixture(dir.resolve("encoded"));
        FreshRows fresh = new FreshRows(copied.writer, copied.schemas, copied.lake, LakeFixture.duckdb())) {
      for (LakeFixture f : List.of(copied, encoded)) {
        var schema = f.schemas.schema(Table.PREDICTIONS, "churn");
        schema.addIfAbsent("flag", ColumnType.BOOLEAN, DAY_START);
        schema.addIfAbsent("x", ColumnType.DOUBLE, DAY_START);
        schema.addIfAbsent("label", ColumnType.STRING, DAY_START);
        schema.addIfAbsent("doc", ColumnType.JSON, DAY_START);
        f.accept(0, everyType("a", DAY_START + 5, true, 0.1), everyType("b", DAY_START + 1, false, -3e300));
      }
      fresh.take().close();
      // A column learned after the first fresh file: the second has it, the first does not.
      for (LakeFixture f : List.of(copied, encoded)) {
        f.schemas.schema(Table.PREDICTIONS, "churn").addIfAbsent("added", ColumnType.BIGINT, DAY_START);
        Row c = everyType("c", DAY_START + 3, null, Double.NaN);
        c.values().put("added", 42L);
        f.accept(2, c);
      }
      fresh.take().close();
      // A column no fresh file has.
      for (LakeFixture f : List.of(copied, encoded)) {
        f.schemas.schema(Table.PREDICTIONS, "churn").addIfAbsent("late", ColumnType.STRING, DAY_START);
        f.writer.flushNow();
      }
      assertThat(copied.writer.rowsCopied()).as("copied from the fresh files").isEqualTo(3);
      assertThat(encoded.writer.rowsCopied()).isZero();
      assertThat(fresh.rowsWritten()).as("each row encoded once").isEqualTo(3);

      Partition churn = copied.partition("churn", DAY_START);
      List<Path> copiedFiles = copied.lake.dataFiles(churn);
      List<Path> encodedFiles = encoded.lake.dataFiles(churn);
      assertThat(copiedFiles).hasSize(1);
      assertThat(copied.types(copiedFiles.get(0)).entrySet())
          .as("the same columns, in the same order, of the same types")
          .containsExactlyElementsOf(encoded.types(encodedFiles.get(0)).entrySet());
      List<List<Object>> rows = copied.rows("* REPLACE (CAST(tags AS VARCHAR) AS tags)", copiedFiles, null);
      assertThat(rows).as("the same rows in log order").isEqualTo(encoded.rows("* REPLACE (CAST(tags AS VARCHAR) AS tags)", encodedFiles, null));
      assertThat(copied.rows("prediction_id, added, late", copiedFiles, null))
          .containsExactly(java.util.Arrays.asList("a", null, null), java.util.Arrays.asList("b", null, null),
              java.util.Arrays.asList("c", 42L, null));
    }
  }

  /** A prediction with a value of every column type. */
  private static Row everyType(String id, long ts, Boolean flag, double x) {
    Map<String, String> tags = new java.util.LinkedHashMap<>();
    tags.put("quote\"", "back\\slash");
    tags.put("plain", "ünï😀");
    Map<String, Object> values = new java.util.LinkedHashMap<>();
    values.put("prediction_id", id);
    values.put("tags", tags);
    values.put("latency_ms", 12.5);
    values.put("flag", flag);
    values.put("x", x);
    values.put("label", "Zoë " + id);
    values.put("doc", new JsonText("{\"k\":[1,2]}"));
    return new Row(Table.PREDICTIONS, "churn", ts, values);
  }

  @Test
  void whileQueriesComeTheWriterPutsTheRowsNoFreshFileHoldsInOneAndCopiesItsFileFromThem() throws Exception {
    try (LakeFixture f = new LakeFixture(dir);
        FreshRows fresh = new FreshRows(f.writer, f.schemas, f.lake, LakeFixture.duckdb())) {
      fresh.start(f.time, Duration.ofHours(1));
      Partition churn = f.partition("churn", DAY_START);
      f.accept(0, f.prediction("churn", DAY_START, "a", 1));
      fresh.take().close();
      f.accept(1, f.prediction("churn", DAY_START, "b", 2), f.prediction("churn", DAY_START, "c", 3));
      f.writer.flushNow();
      assertThat(fresh.rowsWritten()).as("each row encoded once, into a fresh file").isEqualTo(3);
      assertThat(f.writer.rowsCopied()).isEqualTo(3);
      assertThat(f.rows("prediction_id, score", f.lake.dataFiles(churn), null))
          .containsExactly(List.of("a", 1L), List.of("b", 2L), List.of("c", 3L));

      f.accept(3, f.prediction("churn", DAY_START, "d", 4));
      fresh.take().close();
      f.accept(4, f.prediction("churn", DAY_START, "e", 5));
      f.time.advance(FreshRows.KEEP_WRITING_AFTER_QUERY.plusSeconds(1));
      f.writer.flushNow();
      assertThat(fresh.rowsWritten()).as("no query for a while: no fresh file for e").isEqualTo(4);
      assertThat(f.writer.rowsCopied()).as("d and e encoded from the log").isEqualTo(3);
      assertThat(f.rows("prediction_id", f.lake.dataFiles(churn), "prediction_id"))
          .containsExactly(List.of("a"), List.of("b"), List.of("c"), List.of("d"), List.of("e"));
      assertThat(fresh.fileCount()).as("the fresh files of rows in the lake are gone").isZero();
    }
  }

  @Test
  void freshFilesThatDoNotHoldTheRowsTheyShouldLeaveThemToBeEncodedFromTheLog() throws Exception {
    try (LakeFixture f = new LakeFixture(dir);
        FreshRows fresh = new FreshRows(f.writer, f.schemas, f.lake, LakeFixture.duckdb());
        var sql = LakeFixture.duckdb();
        var st = sql.createStatement()) {
      Partition churn = f.partition("churn", DAY_START);
      f.accept(0, f.prediction("churn", DAY_START, "a", 1), f.prediction("churn", DAY_START, "b", 2));
      Path file;
      try (FreshRows.Snapshot s = fresh.take()) {
        file = s.files(Table.PREDICTIONS).get(0);
      }
      // Its columns, none of its rows.
      Path empty = file.resolveSibling("empty.parquet");
      st.execute("COPY (SELECT * FROM read_parquet(" + SqlText.string(file.toString()) + ") WHERE false) TO "
          + SqlText.string(empty.toString()) + " (FORMAT parquet)");
      Files.move(empty, file, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
      f.writer.flushNow();
      assertThat(f.writer.rowsCopied()).isZero();
      assertThat(f.rows("prediction_id", f.lake.dataFiles(churn), null)).containsExactly(List.of("a"), List.of("b"));

      f.accept(2, f.prediction("churn", DAY_START, "c", 3));
      try (FreshRows.Snapshot s = fresh.take()) {
        Files.delete(s.files(Table.PREDICTIONS).get(0));
      }
      f.writer.flushNow();
      assertThat(f.writer.rowsCopied()).isZero();
      assertThat(f.rows("prediction_id", f.lake.dataFiles(churn), null))
          .containsExactly(List.of("a"), List.of("b"), List.of("c"));
      assertThat(f.writer.problems()).isEmpty();
    }
  }

  @Test
  void rowsTheWriterDropsTakeTheirFreshFilesWithThem() throws Exception {
    try (LakeFixture f = new LakeFixture(dir);
        FreshRows fresh = new FreshRows(f.writer, f.schemas, f.lake, LakeFixture.duckdb())) {
      f.accept(0, f.prediction("churn", DAY_START, "a", 1));
      fresh.take().close();
      assertThat(fresh.fileCount()).isEqualTo(1);
      // Kafka moved the partition to another writer: its rows and their fresh files go.
      f.writer.discardPending();
      assertThat(fresh.fileCount()).isZero();
      f.accept(0, f.prediction("churn", DAY_START, "a", 1));
      f.writer.flushNow();
      assertThat(f.writer.rowsCopied()).isZero();
      assertThat(f.rows("prediction_id", f.lake.dataFiles(f.partition("churn", DAY_START)), null)).containsExactly(List.of("a"));
    }
  }

  @Test
  void aStartEmptiesTheFolderOfTheRunBefore() throws Exception {
    try (LakeFixture f = new LakeFixture(dir)) {
      Path stale = f.lake.root().resolve(".fresh/predictions/endpoint=churn/date=2026-11-30/fresh-1.parquet");
      Files.createDirectories(stale.getParent());
      Files.writeString(stale, "left by a crash");
      try (FreshRows fresh = new FreshRows(f.writer, f.schemas, f.lake, LakeFixture.duckdb())) {
        assertThat(stale).doesNotExist();
        assertThat(fresh.dir()).isDirectory();
      }
    }
  }
}
