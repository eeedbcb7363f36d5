package io.hindsight.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.hindsight.server.ops.ManualScheduler;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code GET /v1/endpoints/{e}/predictions/{id}} reads only the lake files the id index says may
 * hold the id, and never answers from a stale index: files written a moment ago, merged,
 * rewritten by an erasure, expired by retention or deleted by hand are all seen as they are now.
 * The server runs on a clock the test steps; each second stepped is one pass of the index.
 */
class LookupTest {
  @TempDir Path dir;

  /** Nothing periodic runs while a test steps time but the index (every second) and retention. */
  private static Consumer<ServerConfig> quiet(Consumer<ServerConfig> more) {
    return c -> {
      c.lake.flushInterval = Duration.ofHours(1);
      c.lake.compactionInterval = Duration.ofDays(1);
      c.lake.compactionMinFiles = 2;
      c.monitoring.refreshInterval = Duration.ofHours(1);
      c.retention.interval = Duration.ofDays(1);
      more.accept(c);
    };
  }

  /** Records {@code p-<from>} .. {@code p-<from + n - 1>}, one per minute of 2026-11-29 from 10:00. */
  private static String records(int from, int n) {
    List<String> out = new ArrayList<>();
    for (int i = from; i < from + n; i++) {
      out.add(String.format(
          "{\"prediction_id\": \"p-%d\", \"ts\": \"2026-11-29T10:%02d:00Z\", \"data\": {\"customer_id\": \"c-%d\", \"amount\": %d}}",
          i, i % 60, i % 3, i));
    }
    return "[" + String.join(",", out) + "]";
  }

  /** Six files of ten records each: p-0..p-59. */
  private static void sixFiles(TestServer s) {
    for (int f = 0; f < 6; f++) {
      accepted(s.predictions("fraud", records(f * 10, 10)));
      s.flush();
    }
  }

  private static void accepted(TestServer.Response r) {
    assertThat(r.status()).as(r.body()).isEqualTo(200);
    assertThat(r.json().get("rejected")).as(r.body()).isEmpty();
  }

  private static void indexPass(ManualScheduler time) {
    time.advance(Duration.ofSeconds(1));
  }

  private static TestServer.Response lookup(TestServer s, String id) {
    return s.get("/v1/endpoints/fraud/predictions/" + id);
  }

  private static void found(TestServer s, String id) {
    TestServer.Response r = lookup(s, id);
    assertThat(r.status()).as(id + ": " + r.body()).isEqualTo(200);
    assertThat(r.json().get("prediction").get("prediction_id").asText()).isEqualTo(id);
  }

  private static double metric(TestServer s, String name) {
    return s.metric(name).orElseThrow(() -> new AssertionError(name + " is not in /metrics"));
  }

  private static long filesRead(TestServer s) {
    return (long) metric(s, "hindsight_lookup_files_read_total");
  }

  private static List<Path> dataFiles(Path partition) throws IOException {
    try (Stream<Path> files = Files.list(partition)) {
      return files.filter(f -> f.getFileName().toString().endsWith(".parquet")).sorted().toList();
    }
  }

  @Test
  void aLookupReadsOnlyTheFileThatHoldsTheId() throws IOException {
    ManualScheduler time = new ManualScheduler();
    try (TestServer s = new TestServer(dir, quiet(c -> {}), time)) {
      sixFiles(s);
      indexPass(time);
      assertThat(metric(s, "hindsight_lookup_index_files")).isEqualTo(6);

      long before = filesRead(s);
      found(s, "p-33");
      assertThat(filesRead(s) - before).as("files read for one lookup among six files").isEqualTo(1);
      assertThat(lookup(s, "p-999").status()).isEqualTo(404);
      assertThat(filesRead(s) - before).as("an id in no file reads none").isEqualTo(1);
    }
  }

  @Test
  void recordsInFilesTheIndexHasNotSeenAreFoundAtOnceAndAfterARestart() throws IOException {
    ManualScheduler time = new ManualScheduler();
    try (TestServer s = new TestServer(dir, quiet(c -> {}), time)) {
      sixFiles(s);
      indexPass(time);
      accepted(s.predictions("fraud", records(60, 1)));
      s.flush();

      found(s, "p-60");
      assertThat(metric(s, "hindsight_lookup_unindexed_file_reads_total")).isPositive();
      s.restart();
      found(s, "p-60");
      found(s, "p-5");
    }
  }

  @Test
  void compactionReplacesFilesAndEveryRecordIsStillFoundOnce() throws IOException {
    ManualScheduler time = new ManualScheduler();
    try (TestServer s = new TestServer(dir, quiet(c -> {}), time)) {
      sixFiles(s);
      indexPass(time);
      assertThat(s.compact()).isEqualTo(1);

      for (int i = 0; i < 60; i++) {
        found(s, "p-" + i);
      }
      indexPass(time);
      assertThat(metric(s, "hindsight_lookup_index_files")).as("the merged inputs are forgotten").isEqualTo(1);
      long before = filesRead(s);
      found(s, "p-17");
      assertThat(filesRead(s) - before).isEqualTo(1);
    }
  }

  @Test
  void aFileDeletedByHandIsNeverAnsweredFromTheIndex() throws IOException {
    ManualScheduler time = new ManualScheduler();
    try (TestServer s = new TestServer(dir, quiet(c -> {}), time)) {
      sixFiles(s);
      indexPass(time);
      Path partition = dir.resolve("lake/predictions/endpoint=fraud/date=2026-11-29");
      Files.delete(dataFiles(partition).get(0));

      assertThat(lookup(s, "p-3").status()).isEqualTo(404);
      found(s, "p-13");
    }
  }

  @Test
  void anErasedRecordIsGoneThoughItsFileKeptItsName() throws IOException {
    ManualScheduler time = new ManualScheduler();
    try (TestServer s = new TestServer(dir, quiet(c -> {}), time)) {
      sixFiles(s);
      indexPass(time);
      TestServer.Response started =
          s.postJson("/v1/erasure", "{\"endpoint\": \"fraud\", \"key\": \"customer_id\", \"value\": \"c-1\"}");
      assertThat(started.status()).as(started.body()).isEqualTo(202);
      assertThat(s.awaitJob(started.json().get("id").asText()).get("state").asText()).isEqualTo("done");

      assertThat(lookup(s, "p-1").status()).as("p-1 belonged to c-1").isEqualTo(404);
      assertThat(lookup(s, "p-34").status()).as("p-34 belonged to c-1").isEqualTo(404);
      found(s, "p-3");
      found(s, "p-35");
    }
  }

  @Test
  void retentionDeletesExpiredDaysAndLookupsNoLongerFindThem() throws IOException {
    ManualScheduler time = new ManualScheduler();
    try (TestServer s = new TestServer(dir, quiet(c -> {
      c.retention.interval = Duration.ofMinutes(1);
      ServerConfig.RetentionPeriods p = new ServerConfig.RetentionPeriods();
      p.predictions = "P30D";
      c.retention.endpoints.put("fraud", p);
    }), time)) {
      accepted(s.predictions("fraud", "[{\"prediction_id\": \"old\", \"ts\": \"2026-10-01T10:00:00Z\", \"data\": {}},"
          + " {\"prediction_id\": \"new\", \"ts\": \"2026-11-29T10:00:00Z\", \"data\": {}}]"));
      s.flush();
      indexPass(time);
      found(s, "old");

      time.advance(Duration.ofMinutes(1));
      for (JsonNode job : s.get("/v1/jobs").json().get("jobs")) {
        s.awaitJob(job.get("id").asText());
      }

      assertThat(lookup(s, "old").status()).isEqualTo(404);
      found(s, "new");
    }
  }

  /**
   * DESIGN §4: a record is found the moment it is acknowledged, before the lake writer wrote it,
   * with its feedback, and the answer is the same once its file is in place (and no row twice).
   */
  @Test
  void aRecordIsFoundAtOnceBeforeItsFileIsWrittenAndTheSameAfter() throws IOException {
    ManualScheduler time = new ManualScheduler();
    try (TestServer s = new TestServer(dir, quiet(c -> {}), time)) {
      sixFiles(s);
      indexPass(time);
      accepted(s.predictions("fraud", records(100, 3)));
      accepted(s.postJson("/v1/endpoints/fraud/feedback",
          "[{\"prediction_id\": \"p-101\", \"ts\": \"2026-11-29T11:00:00Z\", \"data\": {\"label\": \"fraud\"}},"
              + " {\"prediction_id\": \"p-7\", \"ts\": \"2026-11-29T12:00:00Z\", \"data\": {\"label\": \"legit\"}}]"));

      TestServer.Response before = lookup(s, "p-101");
      assertThat(before.status()).as(before.body()).isEqualTo(200);
      assertThat(before.json().get("prediction").get("data").get("amount").asInt()).isEqualTo(101);
      assertThat(before.json().get("feedback")).hasSize(1);
      assertThat(s.get("/v1/endpoints/fraud/predictions/p-101?date=2026-11-29").status()).isEqualTo(200);
      assertThat(s.get("/v1/endpoints/fraud/predictions/p-101?date=2026-11-28").status()).isEqualTo(404);
      TestServer.Response inLakeWithNewFeedback = lookup(s, "p-7");
      assertThat(inLakeWithNewFeedback.json().get("feedback")).hasSize(1);

      s.flush();
      indexPass(time);
      assertThat(lookup(s, "p-101").body()).as("the same answer, field for field").isEqualTo(before.body());
      assertThat(lookup(s, "p-7").body()).isEqualTo(inLakeWithNewFeedback.body());
    }
  }

  /**
   * Lookups right after each acknowledgment while the lake writer flushes every 10 ms and
   * compaction merges what it wrote: every record is found at every moment of its way from the
   * writer's memory into a file and into a merged one.
   */
  @Test
  void everyAcknowledgedRecordIsFoundThroughFlushesAndMerges() throws IOException {
    try (TestServer s = new TestServer(dir, c -> {
      c.lake.flushInterval = Duration.ofMillis(10);
      c.lake.compactionInterval = Duration.ofMillis(50);
      c.lake.compactionMinFiles = 2;
    })) {
      java.util.Random random = new java.util.Random(7);
      int acked = 0;
      long end = System.nanoTime() + Duration.ofSeconds(5).toNanos();
      while (System.nanoTime() < end) {
        accepted(s.predictions("fraud", records(acked, 5)));
        acked += 5;
        found(s, "p-" + (acked - 1));
        found(s, "p-" + random.nextInt(acked));
      }
      assertThat(acked).as("records looked up").isGreaterThan(100);
      assertThat(metric(s, "hindsight_lake_merges_total")).as("merges happened meanwhile").isPositive();
    }
  }

  @Test
  void feedbackComesInTheSameAnswerOldestFirstAndADateNarrowsTheSearch() throws IOException {
    ManualScheduler time = new ManualScheduler();
    try (TestServer s = new TestServer(dir, quiet(c -> {}), time)) {
      sixFiles(s);
      accepted(s.postJson("/v1/endpoints/fraud/feedback",
          "{\"prediction_id\": \"p-7\", \"ts\": \"2026-11-30T09:00:00Z\", \"data\": {\"label\": \"legit\", \"score\": 1}}"));
      s.flush();
      accepted(s.postJson("/v1/endpoints/fraud/feedback",
          "[{\"prediction_id\": \"p-7\", \"ts\": \"2026-11-29T11:00:00Z\", \"data\": {\"label\": \"fraud\"}},"
              + " {\"prediction_id\": \"p-8\", \"ts\": \"2026-11-29T12:00:00Z\", \"data\": {\"label\": \"other\"}}]"));
      s.flush();
      indexPass(time);

      JsonNode r = lookup(s, "p-7").json();
      assertThat(r.get("prediction").get("data").get("amount").asInt()).isEqualTo(7);
      JsonNode feedback = r.get("feedback");
      assertThat(feedback).hasSize(2);
      assertThat(feedback.get(0).get("ts").asText()).isEqualTo("2026-11-29T11:00:00.000000Z");
      assertThat(feedback.get(0).get("data").get("label").asText()).isEqualTo("fraud");
      assertThat(feedback.get(1).get("data").get("label").asText()).isEqualTo("legit");
      assertThat(feedback.get(1).get("data").get("score").asInt()).isEqualTo(1);
      assertThat(lookup(s, "p-9").json().get("feedback")).isEmpty();

      assertThat(s.get("/v1/endpoints/fraud/predictions/p-7?date=2026-11-29").json().get("feedback")).hasSize(2);
      TestServer.Response otherDay = s.get("/v1/endpoints/fraud/predictions/p-7?date=2026-11-28");
      assertThat(otherDay.status()).isEqualTo(404);
      assertThat(otherDay.json().get("error").asText()).contains("on 2026-11-28");
      TestServer.Response badDate = s.get("/v1/endpoints/fraud/predictions/p-7?date=yesterday");
      assertThat(badDate.status()).isEqualTo(400);
      assertThat(badDate.json().get("error").asText()).contains("YYYY-MM-DD");
    }
  }

  @Test
  void filesBeyondTheIndexMemoryLimitAreReadWhole() throws IOException {
    ManualScheduler time = new ManualScheduler();
    try (TestServer s = new TestServer(dir, quiet(c -> c.query.lookupIndexMaxBytes = 0), time)) {
      sixFiles(s);
      indexPass(time);
      assertThat(metric(s, "hindsight_lookup_index_over_budget_files")).isEqualTo(6);

      long before = filesRead(s);
      found(s, "p-42");
      assertThat(filesRead(s) - before).isEqualTo(6);
    }
  }
}
