package io.hindsight.server.transport;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.hindsight.server.Role;
import io.hindsight.server.TestServer;
import io.hindsight.server.lake.S3LakeStore;
import io.hindsight.server.objects.LocalS3;
import io.hindsight.server.ops.ManualScheduler;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
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

      awaitInStore(store, "events/endpoint=fraud/");
      for (int i = 0; i < 2; i++) {
        time.advance(Duration.ofSeconds(5));
      }
      assertThat(monitor.query("SELECT from_state, to_state FROM alerts ORDER BY ts").get("rows").toString())
          .isEqualTo("[[\"inactive\",\"pending\"],[\"pending\",\"firing\"]]");
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
