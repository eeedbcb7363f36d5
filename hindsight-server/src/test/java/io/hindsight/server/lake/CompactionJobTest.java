package io.hindsight.server.lake;

import static io.hindsight.server.lake.LakeFixture.DAY_START;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.hindsight.server.schema.ColumnType;
import io.hindsight.server.schema.EndpointSchema;
import io.hindsight.server.schema.Row;
import io.hindsight.server.schema.Table;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.Lock;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** Which files a compaction merges, what the merged file holds, and the journal that makes it crash-safe. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class CompactionJobTest {
  private static final long MB = 1 << 20;

  @TempDir Path dir;

  private CompactionJob compaction(LakeFixture f, CompactionPolicy policy) throws Exception {
    return new CompactionJob(f.time, f.lake, f.schemas, LakeFixture.duckdb(), journal(), policy);
  }

  private Path journal() {
    return dir.resolve("journal");
  }

  private static List<String> names(List<Path> files) {
    return files.stream().map(p -> p.getFileName().toString()).toList();
  }

  @Test
  void mergesAPartitionOnceItHasEnoughSmallFilesSortedByIdAndTime() throws Exception {
    try (LakeFixture f = new LakeFixture(dir);
        CompactionJob job = compaction(f, new CompactionPolicy(3, MB, 10 * MB))) {
      f.writeEachToAFile(0,
          f.prediction("churn", DAY_START + 2, "b", 1),
          f.prediction("churn", DAY_START + 3, "a", 2),
          f.prediction("churn", DAY_START + 1, "b", 3));
      f.writeEachToAFile(3, f.prediction("fraud", DAY_START, "x", 1), f.prediction("fraud", DAY_START, "y", 1));
      AtomicInteger swaps = new AtomicInteger();
      job.start(Duration.ofHours(1), swaps::incrementAndGet);

      assertThat(job.compactNow()).isEqualTo(1);

      Partition churn = f.partition("churn", DAY_START);
      assertThat(f.fileSeqs(churn)).containsExactly(2L);
      assertThat(f.rows("prediction_id, score", f.lake.dataFiles(churn), null))
          .containsExactly(List.of("a", 2L), List.of("b", 3L), List.of("b", 1L));
      assertThat(f.fileSeqs(f.partition("fraud", DAY_START))).as("two files are not enough").containsExactly(3L, 4L);
      assertThat(job.merges()).isEqualTo(1);
      assertThat(job.rowsMerged()).as("the three rows of churn").isEqualTo(3);
      assertThat(swaps).hasValue(1);
      assertThat(java.util.concurrent.CompletableFuture.supplyAsync(() -> {
        Lock query = f.lake.swapLock().readLock();
        boolean free = query.tryLock();
        if (free) {
          query.unlock();
        }
        return free;
      }).get()).as("queries can read again after the swap").isTrue();
      try (var s = Files.list(journal())) {
        assertThat(s).as("the journal is removed after the swap").isEmpty();
      }
      assertThat(job.compactNow()).as("one file is not merged again").isZero();
    }
  }

  /**
   * A shutdown does not wait for a merge of large files (seconds of sorting): the merge is
   * abandoned, its inputs stay and its temporary file goes; the next pass merges them.
   */
  @Test
  void closingAbandonsAMergeInProgressAndLeavesItsInputs() throws Exception {
    try (LakeFixture f = new LakeFixture(dir)) {
      f.writeEachToAFile(0, f.prediction("churn", DAY_START, "a", 1));
      Partition churn = f.partition("churn", DAY_START);
      // Three files of 2M random ids each: sorting them takes seconds.
      try (var conn = LakeFixture.duckdb(); var st = conn.createStatement()) {
        for (int seq = 1; seq <= 3; seq++) {
          Path file = f.lake.dir(churn).resolve(Lake.dataFileName(seq));
          st.execute("COPY (SELECT md5(random()::VARCHAR) AS prediction_id, TIMESTAMPTZ '2026-01-01 00:00:00+00' AS ts"
              + " FROM range(2000000)) TO '" + file + "' (FORMAT parquet)");
        }
      }
      List<Path> inputs = f.lake.dataFiles(churn);
      CompactionJob job = compaction(f, new CompactionPolicy(3, 1 << 30, 1L << 40));
      var merging = java.util.concurrent.CompletableFuture.supplyAsync(() -> {
        try {
          return job.compactNow();
        } catch (java.io.IOException e) {
          return -1;
        }
      });
      Path tmp = Lake.tempFor(f.lake.dir(churn).resolve(Lake.dataFileName(3)));
      long until = System.nanoTime() + Duration.ofSeconds(20).toNanos();
      while (!job.copyingNow() && !merging.isDone() && System.nanoTime() < until) {
        Thread.sleep(1);
      }
      Thread.sleep(100);
      assertThat(merging).as("the merge is still copying").isNotDone();

      long closing = System.nanoTime();
      job.close();
      long closeNanos = System.nanoTime() - closing;

      assertThat(merging).succeedsWithin(Duration.ofSeconds(5));
      assertThat(job.merges()).isZero();
      assertThat(f.lake.dataFiles(churn)).containsExactlyElementsOf(inputs);
      assertThat(tmp).doesNotExist();
      try (CompactionJob next = compaction(f, new CompactionPolicy(3, 1 << 30, 1L << 40))) {
        long merging0 = System.nanoTime();
        assertThat(next.compactNow()).as("merged at the next pass").isEqualTo(1);
        long mergeNanos = System.nanoTime() - merging0;
        assertThat(closeNanos).as("closing took a fraction of a whole merge, which takes %d ms", mergeNanos / 1_000_000)
            .isLessThan(mergeNanos / 2);
        assertThat(f.rows("count(*)", f.lake.dataFiles(churn), null)).containsExactly(List.of(6_000_001L));
      }
    }
  }

  @Test
  void leavesLargeFilesAloneAndStopsAtTheTargetSize() throws Exception {
    try (LakeFixture f = new LakeFixture(dir)) {
      Row[] many = new Row[2000];
      for (int i = 0; i < many.length; i++) {
        many[i] = f.prediction("churn", DAY_START, "big" + i, i);
      }
      f.accept(0, many);
      f.writer.flushNow();
      f.writeEachToAFile(2000,
          f.prediction("churn", DAY_START, "s1", 1),
          f.prediction("churn", DAY_START, "s2", 1),
          f.prediction("churn", DAY_START, "s3", 1));
      Partition p = f.partition("churn", DAY_START);
      List<Path> files = f.lake.dataFiles(p);
      long big = Files.size(files.get(0));
      long small = files.subList(1, 4).stream().mapToLong(this::size).max().orElseThrow();
      assertThat(big).isGreaterThan(small);

      // Small files are those below the big one's size; the target takes exactly two small ones.
      try (CompactionJob job = compaction(f, new CompactionPolicy(4, big, 10 * MB))) {
        assertThat(job.compactNow()).as("a file of exactly the small-file size is not small").isZero();
      }
      try (CompactionJob job = compaction(f, new CompactionPolicy(3, big, 2 * small))) {
        assertThat(job.compactNow()).as("only two fit the target").isZero();
      }
      try (CompactionJob job = compaction(f, new CompactionPolicy(2, big, 2 * small))) {
        assertThat(job.compactNow()).isEqualTo(1);
      }
      assertThat(f.fileSeqs(p)).containsExactly(1999L, 2001L, 2002L);
    }
  }

  private long size(Path p) {
    try {
      return Files.size(p);
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  /**
   * Ids that grow with time reach the lake in about that order: each file's ids lie beyond the
   * previous file's, though not sorted within it. Such files are merged in the order they were
   * written, rows as they were, instead of sorted; a lookup still reads few row groups.
   */
  @Test
  void filesWhoseIdsAlreadyComeInOrderAreMergedWithoutSorting() throws Exception {
    try (LakeFixture f = new LakeFixture(dir);
        CompactionJob job = compaction(f, new CompactionPolicy(2, MB, 10 * MB))) {
      List<List<Object>> written = new java.util.ArrayList<>();
      for (int file = 0; file < CompactionJob.MIN_GROUPS_KEPT_IN_ORDER; file++) {
        // Within a file, "id-0N-b" before "id-0N-a": a sort would swap them.
        String later = "id-0" + file + "-b";
        String earlier = "id-0" + file + "-a";
        f.accept(2L * file, f.prediction("churn", DAY_START, later, file), f.prediction("churn", DAY_START, earlier, file));
        f.writer.flushNow();
        written.add(List.of(later));
        written.add(List.of(earlier));
      }
      assertThat(job.compactNow()).isEqualTo(1);

      List<Path> merged = f.lake.dataFiles(f.partition("churn", DAY_START));
      assertThat(merged).hasSize(1);
      assertThat(f.rows("prediction_id", merged, null)).as("the rows as written").isEqualTo(written);
    }
  }

  @Test
  void filesWhoseIdsOverlapAreSortedHoweverMany() throws Exception {
    try (LakeFixture f = new LakeFixture(dir);
        CompactionJob job = compaction(f, new CompactionPolicy(2, MB, 10 * MB))) {
      List<List<Object>> sorted = new java.util.ArrayList<>();
      for (int file = 0; file < CompactionJob.MIN_GROUPS_KEPT_IN_ORDER; file++) {
        // Every file spans the same range of ids, as random ids do.
        f.accept(2L * file, f.prediction("churn", DAY_START, "z" + file, file), f.prediction("churn", DAY_START, "a" + file, file));
        f.writer.flushNow();
        sorted.add(List.of("a" + file));
      }
      for (int file = 0; file < CompactionJob.MIN_GROUPS_KEPT_IN_ORDER; file++) {
        sorted.add(List.of("z" + file));
      }
      assertThat(job.compactNow()).isEqualTo(1);

      assertThat(f.rows("prediction_id", f.lake.dataFiles(f.partition("churn", DAY_START)), null)).isEqualTo(sorted);
    }
  }

  @Test
  void aMergedFileHasTheEndpointsCurrentColumnsAndTypes() throws Exception {
    try (LakeFixture f = new LakeFixture(dir);
        CompactionJob job = compaction(f, new CompactionPolicy(2, MB, 10 * MB))) {
      f.writeEachToAFile(0, f.prediction("churn", DAY_START, "a", 1));
      EndpointSchema churn = f.schemas.schema(Table.PREDICTIONS, "churn");
      churn.addIfAbsent("note", ColumnType.STRING, DAY_START);
      Row withNote = new Row(Table.PREDICTIONS, "churn", DAY_START, Map.of("prediction_id", "b", "score", 2L, "note", "n"));
      f.writeEachToAFile(1, withNote);

      assertThat(job.compactNow()).isEqualTo(1);

      Path merged = f.lake.dataFiles(f.partition("churn", DAY_START)).get(0);
      assertThat(f.types(merged)).containsEntry("score", "BIGINT").containsEntry("note", "VARCHAR")
          .containsEntry("ts", "TIMESTAMP WITH TIME ZONE").containsEntry("tags", "MAP(VARCHAR, VARCHAR)");
      assertThat(f.rows("prediction_id, note", List.of(merged), null)).containsExactly(
          java.util.Arrays.asList("a", null), List.of("b", "n"));
    }
  }

  @Test
  void eventsAreMergedInTimeOrder() throws Exception {
    try (LakeFixture f = new LakeFixture(dir);
        CompactionJob job = compaction(f, new CompactionPolicy(2, MB, 10 * MB))) {
      f.writeEachToAFile(0,
          new Row(Table.EVENTS, "churn", DAY_START + 2, Map.of("kind", "late")),
          new Row(Table.EVENTS, "churn", DAY_START + 1, Map.of("kind", "early")));
      assertThat(job.compactNow()).isEqualTo(1);
      Partition events = new Partition(Table.EVENTS, "churn", null);
      assertThat(f.rows("kind", f.lake.dataFiles(events), null)).containsExactly(List.of("early"), List.of("late"));
    }
  }

  @Test
  void rewritesEveryFileOfAnEndpointWhoseColumnWidenedThenClearsThePendingRewrite() throws Exception {
    try (LakeFixture f = new LakeFixture(dir);
        CompactionJob job = compaction(f, new CompactionPolicy(100, MB, 10 * MB))) {
      f.writeEachToAFile(0, f.prediction("churn", DAY_START, "a", 1));
      f.writeEachToAFile(1, f.prediction("churn", DAY_START + LakeFixture.DAY, "b", 2));
      f.writeEachToAFile(2, f.prediction("fraud", DAY_START, "c", 3));
      EndpointSchema churn = f.schemas.schema(Table.PREDICTIONS, "churn");
      churn.widenToDouble(churn.column("score"));

      assertThat(job.compactNow()).as("a rewrite per partition of the endpoint").isEqualTo(2);

      for (long day : List.of(DAY_START, DAY_START + LakeFixture.DAY)) {
        List<Path> files = f.lake.dataFiles(f.partition("churn", day));
        assertThat(files).hasSize(1);
        assertThat(f.types(files.get(0))).containsEntry("score", "DOUBLE");
      }
      assertThat(f.types(f.lake.dataFiles(f.partition("fraud", DAY_START)).get(0))).containsEntry("score", "BIGINT");
      assertThat(churn.rewritePending()).isFalse();
      assertThat(f.schemas.schema(Table.PREDICTIONS, "fraud").rewritePending()).isFalse();
      assertThat(new io.hindsight.server.schema.SchemaRegistry(dir.resolve("catalog"), new ObjectMapper())
              .schema(Table.PREDICTIONS, "churn").rewritePending())
          .as("written to the catalog")
          .isFalse();
      assertThat(job.rewriteWidened()).isZero();
    }
  }

  @Test
  void aMergeThatAQueryHoldsUpIsPostponedAndLeavesNoTrace() throws Exception {
    try (LakeFixture f = new LakeFixture(dir);
        CompactionJob job = compaction(f, new CompactionPolicy(2, MB, 10 * MB))) {
      f.writeEachToAFile(0, f.prediction("churn", DAY_START, "a", 1), f.prediction("churn", DAY_START, "b", 2));
      List<Path> before = f.allFiles();
      Lock query = f.lake.swapLock().readLock();
      query.lock();
      try {
        assertThat(job.compactNow()).isZero();
      } finally {
        query.unlock();
      }
      assertThat(job.merges()).isZero();
      assertThat(f.allFiles()).containsExactlyInAnyOrderElementsOf(before);
      try (var s = Files.list(journal())) {
        assertThat(s).isEmpty();
      }
      assertThat(job.compactNow()).isEqualTo(1);
    }
  }

  @Test
  void aRewriteThatAQueryHoldsUpStaysPending() throws Exception {
    try (LakeFixture f = new LakeFixture(dir);
        CompactionJob job = compaction(f, new CompactionPolicy(100, MB, 10 * MB))) {
      f.writeEachToAFile(0, f.prediction("churn", DAY_START, "a", 1));
      EndpointSchema churn = f.schemas.schema(Table.PREDICTIONS, "churn");
      churn.widenToDouble(churn.column("score"));
      Lock query = f.lake.swapLock().readLock();
      query.lock();
      try {
        assertThat(job.rewriteWidened()).isZero();
      } finally {
        query.unlock();
      }
      assertThat(churn.rewritePending()).isTrue();
      assertThat(job.rewriteWidened()).isEqualTo(1);
      assertThat(churn.rewritePending()).isFalse();
    }
  }

  @Test
  void recoveryFinishesAMergeWhoseOutputIsInPlaceAndUndoesOneWhoseOutputIsNot() throws Exception {
    try (LakeFixture f = new LakeFixture(dir)) {
      f.writeEachToAFile(0,
          f.prediction("churn", DAY_START, "a", 1),
          f.prediction("churn", DAY_START, "b", 2),
          f.prediction("fraud", DAY_START, "c", 3),
          f.prediction("fraud", DAY_START, "d", 4));
      List<Path> churn = f.lake.dataFiles(f.partition("churn", DAY_START));
      List<Path> fraud = f.lake.dataFiles(f.partition("fraud", DAY_START));
      // churn: the merged output was renamed into place, its inputs not yet deleted.
      Path churnOutput = churn.get(0).resolveSibling(Lake.dataFileName(1));
      Files.copy(churn.get(1), churnOutput);
      // fraud: the output was still being written.
      Path fraudOutput = fraud.get(0).resolveSibling(Lake.dataFileName(3));
      Files.write(Lake.tempFor(fraudOutput), new byte[] {1});
      Files.createDirectories(journal());
      ObjectMapper json = new ObjectMapper();
      Files.write(journal().resolve("churn.json"), json.writeValueAsBytes(Map.of(
          "output", churnOutput.toString(), "inputs", churn.stream().map(Path::toString).toList())));
      Files.write(journal().resolve("fraud.json"), json.writeValueAsBytes(Map.of(
          "output", fraudOutput.toString(), "inputs", fraud.stream().map(Path::toString).toList())));
      Files.write(journal().resolve("notes.txt"), new byte[] {1});

      try (CompactionJob job = compaction(f, new CompactionPolicy(2, MB, 10 * MB))) {
        job.recover();
      }

      assertThat(f.lake.dataFiles(f.partition("churn", DAY_START))).containsExactly(churnOutput);
      assertThat(f.lake.dataFiles(f.partition("fraud", DAY_START))).containsExactlyElementsOf(fraud);
      assertThat(Lake.tempFor(fraudOutput)).doesNotExist();
      try (var s = Files.list(journal())) {
        assertThat(names(s.toList())).containsExactly("notes.txt");
      }
    }
  }

  @Test
  void runsOnItsScheduleAndNotAfterItIsClosed() throws Exception {
    try (LakeFixture f = new LakeFixture(dir)) {
      f.writeEachToAFile(0, f.prediction("churn", DAY_START, "a", 1), f.prediction("churn", DAY_START, "b", 2));
      org.duckdb.DuckDBConnection conn = LakeFixture.duckdb();
      CompactionJob job = new CompactionJob(f.time, f.lake, f.schemas, conn, journal(), new CompactionPolicy(2, MB, 10 * MB));
      job.start(Duration.ofMinutes(1), () -> {});
      assertThat(f.time.taskNames()).contains("hindsight-compaction");
      f.time.advance(Duration.ofMinutes(1));
      assertThat(job.merges()).isEqualTo(1);
      f.writeEachToAFile(2, f.prediction("churn", DAY_START, "c", 1));
      job.close();
      assertThat(conn.isClosed()).isTrue();
      assertThat(f.time.taskNames()).doesNotContain("hindsight-compaction");
      assertThat(job.runOnce()).isZero();
      assertThat(job.rewriteWidened()).isZero();
      assertThat(f.fileSeqs(f.partition("churn", DAY_START))).hasSize(2);
    }
  }
}
