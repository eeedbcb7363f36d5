package io.hindsight.server.lake;

import static io.hindsight.server.lake.LakeFixture.DAY;
import static io.hindsight.server.lake.LakeFixture.DAY_START;
import static org.assertj.core.api.Assertions.assertThat;

import io.hindsight.server.schema.Table;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
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
