package io.hindsight.server.transport;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.hindsight.server.Role;
import io.hindsight.server.ServerConfig;
import io.hindsight.server.TestServer;
import io.hindsight.server.lake.S3LakeStore;
import io.hindsight.server.objects.LocalS3;
import io.hindsight.server.ops.ManualScheduler;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** DESIGN §14: ingest answers once Kafka acknowledged the records; the writer puts them in the lake. */
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class KafkaTransportTest {
  @TempDir static Path brokerDir;
  @TempDir Path dir;
  static KafkaBroker broker;

  @BeforeAll
  static void startBroker() throws Exception {
    broker = KafkaBroker.start(brokerDir);
  }

  @AfterAll
  static void stopBroker() throws Exception {
    broker.close();
  }

  private static List<String> ids(String prefix, int n) {
    return IntStream.range(0, n).mapToObj(i -> prefix + i).toList();
  }

  @Test
  void acknowledgedRecordsReachTheLakeThroughKafkaAndAreQueryable() throws Exception {
    try (TestServer s = new TestServer(dir, c -> KafkaNodes.configure(c, Role.ALL, broker.bootstrapServers(), "acks"))) {
      TestServer.Response r = s.predictions("fraud", KafkaNodes.batch(ids("a", 50)));
      assertThat(r.status()).as(r.body()).isEqualTo(200);
      assertThat(r.json().get("accepted").asInt()).isEqualTo(50);

      Map<String, Integer> inLake = KafkaNodes.awaitInLake(dir.resolve("lake"), ids("a", 50), Duration.ofSeconds(30));
      assertThat(inLake).hasSize(50).allSatisfy((id, n) -> assertThat(n).isEqualTo(1));
      assertThat(s.scalar("SELECT count(*) FROM predictions WHERE endpoint = 'fraud'").asInt()).isEqualTo(50);
    }
  }

  @Test
  void anIngestNodeAnswersOnlyIngestAndWritesNothingAndAWriterAnswersOnlyHealthAndMetrics() throws Exception {
    Path ingestDir = dir.resolve("ingest");
    Path writerDir = dir.resolve("writer");
    try (TestServer ingest = new TestServer(ingestDir, c -> KafkaNodes.configure(c, Role.INGEST, broker.bootstrapServers(), "split"));
        TestServer writer = new TestServer(writerDir, c -> KafkaNodes.configure(c, Role.WRITER, broker.bootstrapServers(), "split"))) {
      assertThat(ingest.predictions("fraud", KafkaNodes.batch(ids("s", 20))).status()).isEqualTo(200);

      assertThat(KafkaNodes.awaitInLake(writerDir.resolve("lake"), ids("s", 20), Duration.ofSeconds(30))).hasSize(20);
      assertThat(KafkaNodes.idsInLake(ingestDir.resolve("lake"))).isEmpty();
      TestServer.Response refused = writer.predictions("fraud", KafkaNodes.batch(ids("w", 1)));
      assertThat(refused.status()).isEqualTo(404);
      assertThat(refused.body()).contains("role writer", "besides /health and /metrics it answers nothing");
      TestServer.Response notHere = ingest.postJson("/v1/query", "{\"sql\": \"SELECT 1\"}");
      assertThat(notHere.status()).isEqualTo(404);
      assertThat(notHere.body()).contains("role ingest", "query or monitor");
      assertThat(writer.get("/health").status()).isEqualTo(200);
      assertThat(writer.get("/metrics").body()).contains("hindsight_transport_entries_consumed");
    }
  }

  /**
   * A monitor node over the S3 lake records what its alerts do as any record is recorded: through
   * Kafka and the writers into the lake of record, where it and every other node read it.
   */
  @Test
  void aMonitorNodesAlertHistoryReachesTheLakeOfRecordThroughTheWriters() throws Exception {
    Instant now = Instant.now().truncatedTo(ChronoUnit.MINUTES);
    ManualScheduler time = new ManualScheduler(now);
    String topic = "monitor";
    try (LocalS3 s3 = new LocalS3("lake");
        S3LakeStore store = S3LakeStore.connect("s3://lake/hindsight", s3.settings());
        TestServer writer = new TestServer(dir.resolve("writer"), c -> KafkaNodes.configure(
            c, Role.WRITER, broker.bootstrapServers(), topic, s3.endpoint().toString(), "s3://lake/hindsight"));
        TestServer ingest = new TestServer(dir.resolve("ingest"), c -> KafkaNodes.configure(c, Role.INGEST, broker.bootstrapServers(), topic));
        TestServer monitor = new TestServer(dir.resolve("monitor"), c -> KafkaNodes.configure(
            c, Role.MONITOR, broker.bootstrapServers(), topic, s3.endpoint().toString(), "s3://lake/hindsight"), time)) {
      StringBuilder records = new StringBuilder("[");
      for (int i = 0; i < 10; i++) {
        records.append(i == 0 ? "" : ",").append("{\"prediction_id\": \"m").append(i).append("\", \"ts\": \"")
            .append(now.minusSeconds(600 - i)).append("\", \"data\": {\"amount\": 200}}");
      }
      assertThat(ingest.predictions("fraud", records.append("]").toString()).status()).isEqualTo(200);
      awaitInStore(store, "predictions/endpoint=fraud/");
      TestServer.Response rule = monitor.putJson("/v1/alerts/rules/big-amounts",
          "{\"endpoint\": \"fraud\", \"metric\": \"mean\", \"column\": \"amount\", \"window\": \"PT1H\", \"op\": \">\","
              + " \"threshold\": 150, \"for\": \"PT1M\", \"every\": \"PT1M\"}");
      assertThat(rule.status()).as(rule.body()).isEqualTo(200);

      for (int i = 0; i < 36; i++) {
        time.advance(Duration.ofSeconds(5));
      }
      assertThat(monitor.get("/v1/alerts/rules/big-amounts").json().get("state").asText()).isEqualTo("firing");

      // The two events reach the store in one file or two; each follow pass takes up what is there.
      String expected = "[[\"inactive\",\"pending\"],[\"pending\",\"firing\"]]";
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
      String history;
      while (!(history = monitor.query("SELECT from_state, to_state FROM alerts ORDER BY ts").get("rows").toString()).equals(expected)
          && System.nanoTime() < deadline) {
        Thread.sleep(100);
        time.advance(Duration.ofSeconds(5));
      }
      assertThat(history).isEqualTo(expected);
    }
  }

  /**
   * Writers sharing an S3 lake: the writer that takes an endpoint over from another takes up the
   * files the other wrote since it started, so it merges them with its own (and would expire them):
   * the store ends with the endpoint's rows in one file, each once.
   */
  @Test
  void aWriterTakingOverAnEndpointTakesUpTheOtherWritersFilesAndMergesThem() throws Exception {
    String topic = "takeover";
    try (LocalS3 s3 = new LocalS3("lake");
        S3LakeStore store = S3LakeStore.connect(SHARED_LAKE, s3.settings());
        TestServer ingest = new TestServer(dir.resolve("ingest"), onePartition(c -> KafkaNodes.configure(c, Role.INGEST, broker.bootstrapServers(), topic)))) {
      Consumer<ServerConfig> writer = onePartition(c -> {
        KafkaNodes.configure(c, Role.WRITER, broker.bootstrapServers(), topic, s3.endpoint().toString(), SHARED_LAKE);
        c.lake.compactionInterval = Duration.ofHours(1);
        c.lake.compactionMinFiles = 2;
      });
      TestServer[] writers = {new TestServer(dir.resolve("w1"), writer), new TestServer(dir.resolve("w2"), writer)};
      try {
        assertThat(ingest.predictions("fraud", KafkaNodes.batch(ids("a", 10))).status()).isEqualTo(200);
        awaitInStore(store, "predictions/endpoint=fraud/");
        int owner = KafkaNodes.idsInLake(dir.resolve("w1/lake")).isEmpty() ? 1 : 0;
        TestServer other = writers[1 - owner];
        assertThat(KafkaNodes.idsInLake(dir.resolve("w" + (2 - owner) + "/lake"))).as("the other writer holds none").isEmpty();
        assertThat(ingest.predictions("fraud", KafkaNodes.batch(ids("b", 10))).status()).isEqualTo(200);
        KafkaNodes.awaitInLake(dir.resolve("w" + (owner + 1) + "/lake"), ids("b", 10), Duration.ofSeconds(30));

        writers[owner].close();
        assertThat(ingest.predictions("fraud", KafkaNodes.batch(ids("c", 10))).status()).isEqualTo(200);
        Path otherLake = dir.resolve("w" + (2 - owner) + "/lake");
        List<String> all = new ArrayList<>(ids("a", 10));
        all.addAll(ids("b", 10));
        all.addAll(ids("c", 10));
        assertThat(KafkaNodes.awaitInLake(otherLake, all, Duration.ofSeconds(30)).keySet()).containsExactlyInAnyOrderElementsOf(all);

        assertThat(other.compact()).isEqualTo(1);
        assertThat(store.list().keySet().stream().filter(n -> n.startsWith("predictions/endpoint=fraud/"))).hasSize(1);
        assertThat(KafkaNodes.idsInLake(otherLake)).hasSize(30).allSatisfy((id, n) -> assertThat(n).as(id).isEqualTo(1));
      } finally {
        for (TestServer w : writers) {
          w.close();
        }
      }
    }
  }

  /**
   * Writers sharing an S3 lake both hold a file of an endpoint whose day expired (one wrote it, the
   * other fetched it at its start): only the writer that consumes the endpoint's entries deletes
   * it, so the deletion is done and counted once.
   */
  @Test
  void writersSharingALakeExpireEachEndpointOnceByTheWriterThatWritesIt() throws Exception {
    String topic = "expiry";
    ManualScheduler[] times = {new ManualScheduler(), new ManualScheduler()};
    try (LocalS3 s3 = new LocalS3("lake");
        S3LakeStore store = S3LakeStore.connect(SHARED_LAKE, s3.settings());
        TestServer ingest = new TestServer(dir.resolve("ingest"), onePartition(c -> KafkaNodes.configure(c, Role.INGEST, broker.bootstrapServers(), topic)))) {
      Consumer<ServerConfig> writer = onePartition(c -> {
        KafkaNodes.configure(c, Role.WRITER, broker.bootstrapServers(), topic, s3.endpoint().toString(), SHARED_LAKE);
        c.retention.interval = Duration.ofMinutes(1);
        ServerConfig.RetentionPeriods p = new ServerConfig.RetentionPeriods();
        p.predictions = "P30D";
        c.retention.endpoints.put("fraud", p);
      });
      TestServer first = new TestServer(dir.resolve("w1"), writer, times[0]);
      TestServer second = null;
      try {
        assertThat(ingest.predictions("fraud",
                "[{\"prediction_id\": \"old\", \"ts\": \"2026-10-01T10:00:00Z\", \"data\": {\"x\": 1}}]").status())
            .isEqualTo(200);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (store.list().keySet().stream().noneMatch(n -> n.startsWith("predictions/endpoint=fraud/"))) {
          assertThat(System.nanoTime()).as("the file in the store").isLessThan(deadline);
          times[0].advance(Duration.ofMillis(100));
          Thread.sleep(20);
        }
        second = new TestServer(dir.resolve("w2"), writer, times[1]);
        assertThat(KafkaNodes.idsInLake(dir.resolve("w2/lake"))).as("fetched at its start").containsKey("old");
        TestServer[] writers = {first, second};
        while (held(first) + held(second) != 1) {
          assertThat(System.nanoTime()).as("the partition settles on one writer").isLessThan(deadline + TimeUnit.SECONDS.toNanos(30));
          Thread.sleep(100);
        }

        for (int w = 0; w < 2; w++) {
          times[w].advance(Duration.ofMinutes(1));
          awaitRetentionDone(dir.resolve(w == 0 ? "w1" : "w2"));
        }
        assertThat(deletedRows(writers[0]) + deletedRows(writers[1])).as("deleted once, by one writer").isEqualTo(1);
        assertThat(deletedRows(held(first) == 1 ? first : second)).as("by the writer that holds the partition").isEqualTo(1);
        assertThat(store.list().keySet()).noneMatch(n -> n.startsWith("predictions/endpoint=fraud/"));
      } finally {
        first.close();
        if (second != null) {
          second.close();
        }
      }
    }
  }

  private static final String SHARED_LAKE = "s3://lake/hindsight";

  /** A node's settings on a records topic of one partition, so that one writer consumes every endpoint. */
  private static Consumer<ServerConfig> onePartition(Consumer<ServerConfig> settings) {
    return settings.andThen(c -> c.transport.partitions = 1);
  }

  private static int held(TestServer writer) {
    return (int) writer.metric("hindsight_transport_partitions_held").orElse(-1);
  }

  private static long deletedRows(TestServer writer) {
    return (long) writer.metric("hindsight_retention_deleted_rows_total{endpoint=\"fraud\",kind=\"predictions\"}").orElse(0);
  }

  /** Waits until the node's retention job (a JSON file of its jobs folder) is done. */
  private static void awaitRetentionDone(Path data) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (true) {
      try (var jobs = Files.list(data.resolve("jobs"))) {
        for (Path j : (Iterable<Path>) jobs.filter(p -> p.toString().endsWith(".json"))::iterator) {
          String job = Files.readString(j);
          if (job.contains("\"retention\"") && job.contains("\"done\"")) {
            return;
          }
        }
      }
      assertThat(System.nanoTime()).as("a retention job done in %s", data).isLessThan(deadline);
      Thread.sleep(50);
    }
  }

  private static void awaitInStore(S3LakeStore store, String prefix) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (store.list().keySet().stream().noneMatch(n -> n.startsWith(prefix))) {
      assertThat(System.nanoTime()).as("a file under %s in the store", prefix).isLessThan(deadline);
      Thread.sleep(100);
    }
  }

  @Test
  void kafkaDownIsAnswered503WithRetryAfterAndNothingAcknowledgedIsLost() throws Exception {
    List<String> acked = new ArrayList<>();
    try (TestServer s = new TestServer(dir, c -> KafkaNodes.configure(c, Role.ALL, broker.bootstrapServers(), "outage"))) {
      assertThat(s.predictions("fraud", KafkaNodes.batch(ids("before", 10))).status()).isEqualTo(200);
      acked.addAll(ids("before", 10));

      broker.stop();
      TestServer.Response down = s.predictions("fraud", KafkaNodes.batch(ids("down", 10)));
      assertThat(down.status()).isEqualTo(503);
      assertThat(down.headers().firstValue("Retry-After")).isPresent();
      assertThat(down.body()).contains("Kafka", "retry");

      broker.start();
      TestServer.Response back = null;
      for (int attempt = 0; attempt < 30 && (back == null || back.status() != 200); attempt++) {
        back = s.predictions("fraud", KafkaNodes.batch(ids("after", 10)));
      }
      assertThat(back.status()).as(back.body()).isEqualTo(200);
      acked.addAll(ids("after", 10));

      Map<String, Integer> inLake = KafkaNodes.awaitInLake(dir.resolve("lake"), acked, Duration.ofSeconds(30));
      assertThat(inLake.keySet()).containsAll(acked);
      assertThat(inLake.values()).allSatisfy(n -> assertThat(n).isEqualTo(1));
    }
  }

  @Test
  void aServerThatCannotReachKafkaStopsAtStartNamingTheSetting() throws Exception {
    int nothingThere;
    try (java.net.ServerSocket s = new java.net.ServerSocket(0)) {
      nothingThere = s.getLocalPort();
    }
    String address = "127.0.0.1:" + nothingThere;
    assertThatThrownBy(
            () -> new TestServer(dir, c -> {
              KafkaNodes.configure(c, Role.INGEST, address, "nowhere");
              c.transport.startTimeout = Duration.ofSeconds(1);
            }))
        .hasMessageContaining("transport.bootstrap-servers=" + address)
        .hasMessageContaining("transport.start-timeout");
  }
}
