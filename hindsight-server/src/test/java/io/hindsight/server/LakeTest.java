package io.hindsight.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** DESIGN §5: the lake is an open Hive-partitioned Parquet tree that stands on its own. */
class LakeTest {
  @TempDir Path dir;

  private static List<Path> parquetFiles(Path root) throws Exception {
    try (Stream<Path> s = Files.walk(root)) {
      return s.filter(p -> p.toString().endsWith(".parquet")).sorted().toList();
    }
  }

  @Test
  void aFreshDuckDbReadsTheFilesWithHivePartitioning() throws Exception {
    try (TestServer s = new TestServer(dir)) {
      s.predictions("fraud-model", "[{\"prediction_id\": \"a\", \"ts\": \"2026-11-21T10:00:00Z\", \"tags\": {\"env\": \"prod\"}, \"data\": {\"score\": 0.9, \"f\": {\"n\": 1}}},"
          + " {\"prediction_id\": \"b\", \"ts\": \"2026-11-22T10:00:00Z\", \"data\": {\"score\": 0.1}}]");
      s.predictions("other", "{\"prediction_id\": \"c\", \"ts\": \"2026-11-22T11:00:00Z\", \"data\": {\"label\": \"x\"}}");
      s.postJson("/v1/endpoints/fraud-model/feedback", "{\"prediction_id\": \"a\", \"data\": {\"label\": \"fraud\"}}");
      s.postJson("/v1/endpoints/fraud-model/events", "{\"kind\": \"deploy\", \"text\": \"v2\"}");
      s.flush();
    }
    Path lake = dir.resolve("lake");
    assertThat(parquetFiles(lake).stream().map(p -> lake.relativize(p).getParent().toString()))
        .contains(
            "predictions/endpoint=fraud-model/date=2026-11-21",
            "predictions/endpoint=fraud-model/date=2026-11-22",
            "predictions/endpoint=other/date=2026-11-22",
            "events/endpoint=fraud-model");
    try (Connection c = DriverManager.getConnection("jdbc:duckdb:");
        Statement st = c.createStatement()) {
      ResultSet rs =
          st.executeQuery(
              "SELECT endpoint, date, prediction_id, score, tags['env'], f FROM read_parquet('"
                  + lake + "/predictions/*/*/*.parquet', hive_partitioning = true, union_by_name = true) ORDER BY prediction_id");
      rs.next();
      assertThat(rs.getString(1)).isEqualTo("fraud-model");
      assertThat(rs.getString(2)).isEqualTo("2026-11-21");
      assertThat(rs.getString(3)).isEqualTo("a");
      assertThat(rs.getDouble(4)).isEqualTo(0.9);
      assertThat(rs.getString(5)).isEqualTo("prod");
      assertThat(rs.getString(6)).isEqualTo("{\"n\":1}");
      rs.next();
      rs.next();
      assertThat(rs.getString(3)).isEqualTo("c");
      assertThat(rs.next()).isFalse();
      ResultSet meta =
          st.executeQuery(
              "SELECT DISTINCT compression, path_in_schema, type FROM parquet_metadata('" + lake
                  + "/predictions/*/*/*.parquet') WHERE path_in_schema = 'prediction_id'");
      meta.next();
      assertThat(meta.getString(1)).isEqualTo("ZSTD");
      assertThat(meta.getString(3)).isEqualTo("BYTE_ARRAY");
      ResultSet ts =
          st.executeQuery(
              "SELECT DISTINCT logical_type FROM parquet_schema('" + lake + "/predictions/*/*/*.parquet') WHERE name = 'ts'");
      ts.next();
      assertThat(ts.getString(1)).as("ts is an instant, not a wall-clock time").contains("isAdjustedToUTC=1").contains("MICROS");
      ResultSet fb =
          st.executeQuery("SELECT prediction_id, label FROM read_parquet('" + lake + "/feedback/*/*/*.parquet', hive_partitioning = true)");
      fb.next();
      assertThat(fb.getString(2)).isEqualTo("fraud");
      ResultSet files = st.executeQuery("SELECT count(*) FROM glob('" + lake + "/**')");
      files.next();
      assertThat(files.getLong(1)).as("nothing but data files in the lake").isEqualTo(parquetFiles(lake).size());
    }
  }

  /**
   * SQL while rows arrive, the lake writer flushes every 10 ms and merges replace what it wrote:
   * at every moment each record is there at most once, and what SQL saw stays (a merge swaps its
   * output for its inputs at once); in the end every acknowledged record is there once.
   */
  @Test
  void whatSqlSeesNeverRepeatsNorShrinksThroughFlushesAndMerges() throws Exception {
    try (TestServer s = new TestServer(dir, c -> {
      c.lake.flushInterval = Duration.ofMillis(10);
      c.lake.compactionInterval = Duration.ofMillis(30);
      c.lake.compactionMinFiles = 2;
    })) {
      AtomicInteger acked = new AtomicInteger();
      AtomicBoolean stop = new AtomicBoolean();
      Thread load = new Thread(() -> {
        for (int b = 0; !stop.get(); b++) {
          StringBuilder batch = new StringBuilder("[");
          for (int i = 0; i < 10; i++) {
            batch.append(i == 0 ? "" : ",").append("{\"prediction_id\": \"b").append(b).append('-').append(i)
                .append("\", \"ts\": \"2026-11-22T10:00:00Z\", \"data\": {\"n\": ").append(i).append("}}");
          }
          if (s.predictions("e1", batch.append("]").toString()).status() == 200) {
            acked.addAndGet(10);
          }
        }
      });
      load.start();
      long seen = 0;
      int queries = 0;
      long end = System.nanoTime() + Duration.ofSeconds(5).toNanos();
      try {
        while (System.nanoTime() < end) {
          JsonNode row =
              s.query("SELECT count(*), count(DISTINCT prediction_id) FROM predictions").get("rows").get(0);
          long count = row.get(0).asLong();
          assertThat(count).as("no record twice").isEqualTo(row.get(1).asLong());
          assertThat(count).as("nothing seen before is gone").isGreaterThanOrEqualTo(seen);
          seen = count;
          queries++;
        }
      } finally {
        stop.set(true);
        load.join();
      }
      s.flush();
      assertThat(s.scalar("SELECT count(*) FROM predictions").asLong()).isEqualTo(acked.get());
      assertThat(s.scalar("SELECT count(DISTINCT prediction_id) FROM predictions").asLong()).isEqualTo(acked.get());
      assertThat(queries).isGreaterThan(10);
      assertThat(s.get("/metrics").body()).containsPattern("(?m)^hindsight_lake_merges_total [1-9]");
    }
  }

  @Test
  void smallFilesAreMergedWithoutLosingOrDuplicatingRows() throws Exception {
    try (TestServer s =
        new TestServer(
            dir,
            c -> {
              c.lake.compactionInterval = Duration.ofHours(1); // stepped below, not scheduled
              c.lake.compactionMinFiles = 4;
            })) {
      for (int i = 0; i < 12; i++) {
        s.predictions("e1", "{\"prediction_id\": \"p" + i + "\", \"ts\": \"2026-11-22T10:00:00Z\", \"data\": {\"n\": " + i + "}}");
        s.flush();
      }
      Path partition = dir.resolve("lake/predictions/endpoint=e1/date=2026-11-22");
      assertThat(parquetFiles(partition)).hasSize(12);
      assertThat(s.compact()).isEqualTo(1);
      assertThat(parquetFiles(partition)).hasSize(1);
      // A later double widens n: the merged file is rewritten with it.
      s.predictions("e1", "{\"prediction_id\": \"late\", \"ts\": \"2026-11-22T10:00:00Z\", \"data\": {\"n\": 2.5}}");
      s.flush();
      assertThat(s.scalar("SELECT count(*) FROM predictions").asLong()).isEqualTo(13);
      assertThat(s.scalar("SELECT count(DISTINCT prediction_id) FROM predictions").asLong()).isEqualTo(13);
      assertThat(s.scalar("SELECT sum(n) FROM predictions").asDouble()).isEqualTo(68.5);
      String metrics = s.get("/metrics").body();
      assertThat(metrics).containsPattern("(?m)^hindsight_lake_merges_total [1-9]");
      assertThat(metrics).containsPattern("(?m)^hindsight_lake_rows_written_total 13\\.0$");
    }
    try (Connection c = DriverManager.getConnection("jdbc:duckdb:");
        Statement st = c.createStatement()) {
      // Merged files are rewritten with the current types: n widened to double.
      ResultSet rs =
          st.executeQuery(
              "SELECT DISTINCT type FROM parquet_schema('" + dir.resolve("lake") + "/predictions/*/*/*.parquet') WHERE name = 'n'");
      List<String> types = new java.util.ArrayList<>();
      while (rs.next()) {
        types.add(rs.getString(1));
      }
      assertThat(types).containsExactly("DOUBLE");
    }
  }

  @Test
  void aColumnThatWidensIsRewrittenAsDoubleInEveryFile() throws Exception {
    // No scheduled compaction: the lake writer's own rewrite after the widening flush must do it.
    try (TestServer s = new TestServer(dir, c -> c.lake.compactionInterval = Duration.ofHours(1))) {
      s.predictions("e1", "[{\"ts\": \"2026-11-20T00:00:00Z\", \"data\": {\"n\": 1}}, {\"ts\": \"2026-11-21T00:00:00Z\", \"data\": {\"n\": 2}}]");
      s.flush();
      s.predictions("e1", "{\"ts\": \"2026-11-22T00:00:00Z\", \"data\": {\"n\": 0.5}}");
      s.flush();
      List<String> types = new java.util.ArrayList<>();
      try (Connection c = DriverManager.getConnection("jdbc:duckdb:");
          Statement st = c.createStatement();
          ResultSet rs =
              st.executeQuery(
                  "SELECT DISTINCT type FROM parquet_schema('" + dir.resolve("lake") + "/predictions/*/*/*.parquet') WHERE name = 'n'")) {
        while (rs.next()) {
          types.add(rs.getString(1));
        }
      }
      assertThat(types).containsExactly("DOUBLE");
      assertThat(s.scalar("SELECT sum(n) FROM predictions").asDouble()).isEqualTo(3.5);
      assertThat(java.nio.file.Files.readString(dir.resolve("catalog/predictions/e1.json"))).contains("\"rewrite_pending\":false");
    }
  }
}
