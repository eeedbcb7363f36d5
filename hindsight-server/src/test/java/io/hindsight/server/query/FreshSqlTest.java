package io.hindsight.server.query;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.hindsight.server.TestServer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** SQL sees every acknowledged record at once, whether or not it is in the lake yet, and each once. */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class FreshSqlTest {
  @TempDir Path dir;

  private static String record(String id, int score) {
    return "{\"prediction_id\": \"" + id + "\", \"ts\": \"2026-11-30T10:00:00Z\", \"data\": {\"score\": " + score
        + ", \"decision\": \"" + (score > 50 ? "decline" : "approve") + "\"}}";
  }

  private static long parquetFiles(Path lake) throws Exception {
    try (Stream<Path> s = Files.walk(lake.resolve("predictions"))) {
      return s.filter(f -> f.toString().endsWith(".parquet")).count();
    }
  }

  @Test
  void recordsTheLakeWriterHasNotWrittenAreInSqlAndStayThereOnceWritten() throws Exception {
    // The writer's schedule never comes within the test: rows reach the lake only on flush().
    try (TestServer s = new TestServer(dir, c -> c.lake.flushInterval = Duration.ofHours(1))) {
      assertThat(s.predictions("loans", "[" + record("p1", 70) + ", " + record("p2", 20) + "]").status()).isEqualTo(200);
      assertThat(s.postJson("/v1/endpoints/loans/feedback",
          "[{\"prediction_id\": \"p1\", \"ts\": \"2026-12-02T00:00:00Z\", \"data\": {\"label\": \"default\"}}]").status())
          .isEqualTo(200);
      assertThat(s.metric("hindsight_lake_pending_records").getAsDouble()).isEqualTo(3);
      assertThat(parquetFiles(dir.resolve("lake"))).isZero();

      String sql = "SELECT prediction_id, score, decision, feedback_label FROM predictions_with_feedback ORDER BY 1";
      JsonNode before = s.query(sql).get("rows");
      assertThat(before.toString()).isEqualTo("[[\"p1\",70,\"decline\",\"default\"],[\"p2\",20,\"approve\",null]]");
      assertThat(s.scalar("SELECT count(*) FROM feedback WHERE endpoint = 'loans' AND date = DATE '2026-12-02'").asLong())
          .isEqualTo(1);
      assertThat(s.metric("hindsight_query_fresh_rows_written_total").getAsDouble())
          .as("each pending row written once for the two queries")
          .isEqualTo(3);

      s.flush();
      assertThat(s.metric("hindsight_lake_pending_records").getAsDouble()).isZero();
      assertThat(parquetFiles(dir.resolve("lake"))).isEqualTo(1);
      assertThat(s.query(sql).get("rows")).isEqualTo(before);

      // Half in the lake, half not.
      assertThat(s.predictions("loans", "[" + record("p3", 90) + "]").status()).isEqualTo(200);
      assertThat(s.query("SELECT prediction_id FROM predictions ORDER BY 1").get("rows").toString())
          .isEqualTo("[[\"p1\"],[\"p2\"],[\"p3\"]]");
      s.restart();
      assertThat(s.query("SELECT prediction_id FROM predictions ORDER BY 1").get("rows").toString())
          .as("after a restart the log's rows are back beside the lake")
          .isEqualTo("[[\"p1\"],[\"p2\"],[\"p3\"]]");
    }
  }

  /**
   * One client logs batches as fast as it can while the writer flushes every 10 ms and
   * merges after every second file; queries run meanwhile. Each must count every record acknowledged
   * before it started, no record twice, and none that was not yet sent. The client goes on past its
   * 300 batches until ten queries have met rows outside the lake, however slow the machine.
   */
  @Test
  void eachRecordIsCountedOnceWhileFilesLandAndMerge() throws Exception {
    try (TestServer s = new TestServer(dir, c -> {
      c.lake.flushInterval = Duration.ofMillis(10);
      c.lake.compactionInterval = Duration.ofMillis(50);
      c.lake.compactionMinFiles = 2;
    })) {
      AtomicLong sent = new AtomicLong();
      AtomicLong acked = new AtomicLong();
      AtomicBoolean done = new AtomicBoolean();
      AtomicReference<Throwable> failure = new AtomicReference<>();
      AtomicInteger queriesWithRowsOutsideTheLake = new AtomicInteger();
      AtomicInteger batchesSent = new AtomicInteger();
      int minBatches = 300;
      int maxBatches = 5_000;
      int perBatch = 20;
      Thread client = new Thread(() -> {
        try {
          for (int b = 0; b < maxBatches && (b < minBatches || queriesWithRowsOutsideTheLake.get() < 10); b++) {
            List<String> records = new ArrayList<>();
            for (int i = 0; i < perBatch; i++) {
              records.add(record("b" + b + "-" + i, i));
            }
            sent.addAndGet(perBatch);
            TestServer.Response r = s.predictions("loans", "[" + String.join(",", records) + "]");
            assertThat(r.status()).as(r.body()).isEqualTo(200);
            acked.addAndGet(perBatch);
            batchesSent.incrementAndGet();
          }
        } catch (Throwable t) {
          failure.set(t);
        } finally {
          done.set(true);
        }
      });
      client.start();
      int queries = 0;
      while (!done.get()) {
        long ackedBefore = acked.get();
        double pending = s.metric("hindsight_lake_pending_records").orElse(0);
        JsonNode row = s.query("SELECT count(*), count(DISTINCT prediction_id) FROM predictions").get("rows").get(0);
        long sentAfter = sent.get();
        long count = row.get(0).asLong();
        assertThat(row.get(1).asLong()).as("no record twice (query %d)", queries).isEqualTo(count);
        assertThat(count).as("every acknowledged record (query %d)", queries).isGreaterThanOrEqualTo(ackedBefore);
        assertThat(count).as("nothing not yet sent (query %d)", queries).isLessThanOrEqualTo(sentAfter);
        queries++;
        if (pending > 0) {
          queriesWithRowsOutsideTheLake.incrementAndGet();
        }
      }
      client.join();
      assertThat(failure.get()).isNull();
      assertThat(s.scalar("SELECT count(DISTINCT prediction_id) FROM predictions").asLong())
          .isEqualTo((long) batchesSent.get() * perBatch);
      assertThat(s.metric("hindsight_lake_merges_total").orElse(0)).as("merges ran meanwhile").isPositive();
      assertThat(queriesWithRowsOutsideTheLake.get()).as("of %d queries", queries).isGreaterThanOrEqualTo(10);
    }
  }
}
