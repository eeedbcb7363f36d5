package io.hindsight.server.lake;

import static io.hindsight.server.lake.LakeFixture.DAY;
import static io.hindsight.server.lake.LakeFixture.DAY_START;
import static org.assertj.core.api.Assertions.assertThat;

import io.hindsight.server.schema.ColumnType;
import io.hindsight.server.schema.EndpointSchema;
import io.hindsight.server.schema.Row;
import io.hindsight.server.schema.Table;
import io.hindsight.server.wal.WalEntry;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** The lake writer's steps: partitions, file names, the mark it reports, retries and bounded writes. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class LakeWriterTest {
  @TempDir Path dir;

  /**
   * A snapshot of the pending rows gets each partition's lowest pending seq always, and only the
   * rows above what it says is held elsewhere (log entries held whole are skipped).
   */
  @Test
  void pendingRowsAboveWhatIsHeldComeWithEachPartitionsFirstSeq() throws Exception {
    try (LakeFixture f = new LakeFixture(dir)) {
      Partition churn = f.partition("churn", DAY_START);
      Partition fraud = f.partition("fraud", DAY_START);
      f.accept(0, f.prediction("churn", DAY_START, "a", 1), f.prediction("fraud", DAY_START, "b", 2),
          f.prediction("churn", DAY_START, "c", 3));
      f.accept(3, f.prediction("churn", DAY_START, "d", 4));

      LakeWriter.Pending all = f.writer.pendingAbove(p -> Long.MIN_VALUE);
      assertThat(all.firstSeq()).isEqualTo(java.util.Map.of(churn, 0L, fraud, 1L));
      assertThat(seqs(all, churn)).containsExactlyInAnyOrder(0L, 2L, 3L);
      assertThat(seqs(all, fraud)).containsExactly(1L);

      LakeWriter.Pending above = f.writer.pendingAbove(p -> p.equals(churn) ? 2 : 1);
      assertThat(above.firstSeq()).as("still the lowest pending seqs").isEqualTo(all.firstSeq());
      assertThat(seqs(above, churn)).containsExactly(3L);
      assertThat(seqs(above, fraud)).isEmpty();

      f.writer.flushNow();
      assertThat(f.writer.pendingAbove(p -> Long.MIN_VALUE).firstSeq()).as("all in the lake").isEmpty();
    }
  }

  private static List<Long> seqs(LakeWriter.Pending pending, Partition p) {
    return pending.newRows().getOrDefault(p, List.of()).stream().map(LakeWriter.RowRef::seq).toList();
  }

  @Test
  void writesEachPartitionToAFileNamedByItsHighestSeqAndReportsTheMark() throws Exception {
    try (LakeFixture f = new LakeFixture(dir)) {
      f.accept(0, f.prediction("churn", DAY_START + 5, "a", 1), f.prediction("churn", DAY_START + DAY, "b", 2));
      f.accept(2, f.prediction("fraud", DAY_START, "c", 3), f.prediction("churn", DAY_START + 1, "d", 4));
      assertThat(f.writer.pendingRows()).isEqualTo(4);
      assertThat(f.allFiles()).isEmpty();

      f.writer.flushNow();

      assertThat(f.fileSeqs(f.partition("churn", DAY_START))).containsExactly(3L);
      assertThat(f.fileSeqs(f.partition("churn", DAY_START + DAY))).containsExactly(1L);
      assertThat(f.fileSeqs(f.partition("fraud", DAY_START))).containsExactly(2L);
      assertThat(f.marks).containsExactly(3L);
      assertThat(f.tablesChanged).containsExactly(Table.PREDICTIONS);
      assertThat(f.writer.pendingRows()).isZero();
      assertThat(f.writer.pendingBytes()).isZero();
      assertThat(f.writer.filesWritten()).isEqualTo(3);
      assertThat(f.writer.rowsWritten()).isEqualTo(4);
      assertThat(f.writer.problems()).isEmpty();
      assertThat(f.rows("prediction_id, score, ts", f.lake.dataFiles(f.partition("churn", DAY_START)), "ts"))
          .extracting(r -> List.of(r.get(0), r.get(1)))
          .containsExactly(List.of("d", 4L), List.of("a", 1L));
      assertThat(f.lake.hasData(Table.PREDICTIONS)).isTrue();
    }
  }

  @Test
  void countsWhatWaitsInRowsAndBytesUntilItIsWritten() throws Exception {
    try (LakeFixture f = new LakeFixture(dir)) {
      Row a = f.prediction("churn", DAY_START, "a", 1);
      byte[] one = new WalEntry(null, null, List.of(a)).encode();
      byte[] two = new WalEntry(null, null, List.of(a, a)).encode();
      f.writer.accept(0, 1, one);
      f.writer.accept(1, 2, two);
      f.writer.accept(3, 0, new byte[0]);
      assertThat(f.writer.pendingRows()).isEqualTo(3);
      assertThat(f.writer.pendingBytes()).as("their bytes and what keeping each row costs")
          .isEqualTo(one.length + two.length + 3 * LakeWriter.ROW_BOOKKEEPING);
      f.writer.flushNow();
      assertThat(f.writer.pendingBytes()).isZero();
      assertThat(f.marks).containsExactly(2L);
    }
  }

  @Test
  void aFlushWithNothingToWriteReportsNothing() throws Exception {
    try (LakeFixture f = new LakeFixture(dir)) {
      f.writer.flushNow();
      assertThat(f.marks).isEmpty();
      f.accept(0, f.prediction("churn", DAY_START, "a", 1));
      f.writer.flushNow();
      f.writer.flushNow();
      assertThat(f.marks).containsExactly(0L);
      assertThat(f.tablesChanged).containsExactly(Table.PREDICTIONS);
    }
  }

  @Test
  void flushesOnItsScheduleAndStopsWhenClosed() throws Exception {
    LakeFixture f = new LakeFixture(dir);
    try {
      f.writer.start(Duration.ofSeconds(5));
      assertThat(f.time.taskNames()).containsExactlyInAnyOrder("hindsight-lake-writer", "hindsight-lake-watchdog");
      f.accept(0, f.prediction("churn", DAY_START, "a", 1));
      f.time.advance(Duration.ofSeconds(4));
      assertThat(f.marks).isEmpty();
      f.time.advance(Duration.ofSeconds(1));
      assertThat(f.marks).containsExactly(0L);
      f.accept(1, f.prediction("churn", DAY_START, "b", 1));
    } finally {
      f.close();
    }
    assertThat(f.time.taskNames()).isEmpty();
    assertThat(f.marks).as("closing writes what is buffered").containsExactly(0L, 1L);
    assertThat(f.writerConnection.isClosed()).isTrue();
    f.accept(2, f.prediction("churn", DAY_START, "c", 1));
    f.writer.flushNow();
    assertThat(f.writer.pendingRows()).as("a closed writer writes nothing").isEqualTo(1);
    assertThat(f.marks).containsExactly(0L, 1L);
  }

  @Test
  void aPartitionThatCannotBeWrittenKeepsItsRowsAndHoldsTheMarkBelowThem() throws Exception {
    try (LakeFixture f = new LakeFixture(dir)) {
      // A file where the endpoint's folder should be: every write to it fails.
      Path blocker = f.lake.tableDir(Table.PREDICTIONS).resolve("endpoint=bad");
      Files.write(blocker, new byte[0]);
      f.accept(0, f.prediction("good", DAY_START, "a", 1));
      f.accept(1, f.prediction("bad", DAY_START, "b", 2));
      f.accept(2, f.prediction("good", DAY_START, "c", 3));
      f.writer.flushNow();

      assertThat(f.fileSeqs(f.partition("good", DAY_START))).containsExactly(2L);
      assertThat(f.marks).containsExactly(0L);
      assertThat(f.writer.pendingRows()).isEqualTo(1);
      assertThat(f.writer.writeFailures()).isEqualTo(1);
      assertThat(f.writer.problems()).singleElement().asString()
          .startsWith("lake writer: cannot write 1 rows to " + blocker.resolve("date=2026-11-30") + " since 2026-11-30T12:00:00Z (")
          .endsWith("); they stay in the log and are retried");

      f.accept(3, f.prediction("bad", DAY_START, "d", 4));
      f.writer.flushNow();
      assertThat(f.marks).containsExactly(0L, 0L);
      assertThat(f.writer.writeFailures()).isEqualTo(2);
      assertThat(f.writer.problems()).singleElement().asString().contains("cannot write 1 rows").as("the first failure is kept");

      Files.delete(blocker);
      f.writer.flushNow();
      assertThat(f.fileSeqs(f.partition("bad", DAY_START))).containsExactly(3L);
      assertThat(f.rows("prediction_id", f.lake.dataFiles(f.partition("bad", DAY_START)), "prediction_id"))
          .containsExactly(List.of("b"), List.of("d"));
      assertThat(f.marks).containsExactly(0L, 0L, 3L);
      assertThat(f.writer.pendingRows()).isZero();
      assertThat(f.writer.pendingBytes()).isZero();
      assertThat(f.writer.problems()).isEmpty();
    }
  }

  /** 10 system and 1,990 user columns: a write takes at most 1,000,000 / 2,000 = 500 rows. */
  private static void widen(LakeFixture f, String endpoint) {
    EndpointSchema wide = f.schemas.schema(Table.PREDICTIONS, endpoint);
    // 2,000 columns in all, so one write step takes 500 rows.
    for (int c = 0; c < 2000 - Table.PREDICTIONS.systemColumns().size(); c++) {
      wide.addIfAbsent("c" + c, ColumnType.BIGINT, DAY_START);
    }
  }

  /** {@code n} rows of a wide endpoint, with {@code c7} counting from 0. */
  private static Row[] wideRows(String endpoint, long ts, int n) {
    Row[] rows = new Row[n];
    for (int i = 0; i < n; i++) {
      rows[i] = new Row(Table.PREDICTIONS, endpoint, ts, java.util.Map.of("prediction_id", "w" + i, "c7", (long) i));
    }
    return rows;
  }

  @Test
  void aWidePartitionIsWrittenInBoundedStepsAfterTheNarrowOnes() throws Exception {
    try (LakeFixture f = new LakeFixture(dir)) {
      widen(f, "wide");
      f.accept(0, wideRows("wide", DAY_START, 501));
      f.accept(501, new Row(Table.EVENTS, "narrow", DAY_START, java.util.Map.of("kind", "deploy")));
      f.accept(502, wideRows("wide", DAY_START + LakeFixture.DAY, 500));

      f.writer.flushNow();

      assertThat(f.tablesChanged).as("the narrow partition was written first").containsExactly(Table.EVENTS, Table.PREDICTIONS);
      assertThat(f.fileSeqs(f.partition("wide", DAY_START))).containsExactly(499L, 500L);
      assertThat(f.fileSeqs(f.partition("wide", DAY_START + LakeFixture.DAY))).as("exactly one step").containsExactly(1001L);
      assertThat(f.marks).containsExactly(499L, 1001L);
      assertThat(f.writer.rowsWritten()).isEqualTo(1002);
      assertThat(f.writer.pendingRows()).isZero();
      assertThat(f.writer.pendingBytes()).isZero();
      assertThat(f.rows("count(*), min(c7), max(c7)", f.lake.dataFiles(f.partition("wide", DAY_START)).subList(0, 1), null))
          .containsExactly(List.of(500L, 0L, 499L));
    }
  }

  @Test
  void aWideStepThatFailsPutsItsRowsBackInOrderAndClosingWritesEveryStep() throws Exception {
    try (LakeFixture f = new LakeFixture(dir)) {
      widen(f, "wide");
      Path blocker = f.lake.tableDir(Table.PREDICTIONS).resolve("endpoint=wide");
      Files.write(blocker, new byte[0]);
      Row[] rows = wideRows("wide", DAY_START, 501);
      byte[] entry = new WalEntry(null, null, List.of(rows)).encode();
      f.writer.accept(0, rows.length, entry);
      f.writer.flushNow();
      assertThat(f.marks).as("nothing below row 0 to report").isEmpty();
      assertThat(f.writer.pendingRows()).isEqualTo(501);
      assertThat(f.writer.pendingBytes()).isEqualTo(entry.length + 501L * LakeWriter.ROW_BOOKKEEPING);
      Files.delete(blocker);

      f.writer.close();

      List<Path> files = f.lake.dataFiles(f.partition("wide", DAY_START));
      assertThat(files).extracting(Lake::maxSeqOf).containsExactly(499L, 500L);
      assertThat(f.rows("min(c7), max(c7)", files.subList(0, 1), null)).containsExactly(List.of(0L, 499L));
      assertThat(f.writer.pendingBytes()).isZero();
    }
  }

  @Test
  void aFlushThatTouchedAWidenedColumnRunsTheRewriteOnce() throws Exception {
    try (LakeFixture f = new LakeFixture(dir)) {
      AtomicInteger rewrites = new AtomicInteger();
      EndpointSchema churn = f.schemas.schema(Table.PREDICTIONS, "churn");
      f.writer.rewritingWidened(() -> {
        rewrites.incrementAndGet();
        f.schemas.rewriteDone(churn);
        throw new IllegalStateException("a failing rewrite does not stop the flush");
      });
      f.accept(0, f.prediction("churn", DAY_START, "a", 1));
      f.writer.flushNow();
      assertThat(rewrites).hasValue(0);

      churn.widenToDouble(churn.column("score"));
      f.accept(1, f.prediction("fraud", DAY_START, "b", 1));
      f.writer.flushNow();
      assertThat(rewrites).as("another endpoint").hasValue(0);

      f.accept(2, f.prediction("churn", DAY_START, "c", 2));
      f.writer.flushNow();
      assertThat(rewrites).hasValue(1);
      assertThat(f.marks).containsExactly(0L, 1L, 2L);

      f.accept(3, f.prediction("churn", DAY_START, "d", 3));
      f.writer.flushNow();
      assertThat(rewrites).hasValue(1);
    }
  }

  @Test
  void theOlderFilesOfAWidenedColumnAreRewrittenBeforeAFileOfTheWiderTypeAppears() throws Exception {
    try (LakeFixture f = new LakeFixture(dir)) {
      List<String> events = new java.util.concurrent.CopyOnWriteArrayList<>();
      EndpointSchema churn = f.schemas.schema(Table.PREDICTIONS, "churn");
      f.writer.onFileWritten((p, file) -> events.add("file " + p.endpoint()));
      f.writer.rewritingWidened(() -> {
        events.add("rewrite");
        f.schemas.rewriteDone(churn);
        return null;
      });
      f.accept(0, f.prediction("churn", DAY_START, "a", 1));
      f.writer.flushNow();
      churn.widenToDouble(churn.column("score"));
      f.accept(1, f.prediction("churn", DAY_START, "b", 2));
      f.writer.flushNow();
      assertThat(events).containsExactly("file churn", "rewrite", "file churn");
    }
  }

  @Test
  void replayedRowsTeachTheSchemaTheirColumns() throws Exception {
    try (LakeFixture f = new LakeFixture(dir)) {
      Row row = new Row(Table.PREDICTIONS, "churn", DAY_START, java.util.Map.of("prediction_id", "a", "flag", true));
      f.writer.acceptReplayed(7, row, WalEntry.NO_LEAF);
      assertThat(f.schemas.schema(Table.PREDICTIONS, "churn").column("flag").type()).isEqualTo(ColumnType.BOOLEAN);
      f.writer.flushNow();
      assertThat(f.rows("prediction_id, flag", f.lake.dataFiles(f.partition("churn", DAY_START)), "1"))
          .containsExactly(List.of("a", true));
      assertThat(f.marks).containsExactly(7L);
    }
  }
}
