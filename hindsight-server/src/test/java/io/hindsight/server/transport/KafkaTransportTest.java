package io.hindsight.server.transport;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.hindsight.server.Role;
import io.hindsight.server.TestServer;
import java.nio.file.Path;
import java.time.Duration;
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
