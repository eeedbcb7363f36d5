package io.hindsight.server.transport;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.hindsight.server.Role;
import io.hindsight.server.TestServer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * DESIGN §14: ingest nodes that see a new key at once, with different types, end with one catalog,
 * and every record either accepted fits it.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class KafkaSchemaTest {
  private static final int KEYS = 12;

  @TempDir Path dir;

  /** One node's answer to a record that gave {@code key} the type {@code sent}. */
  private record Answer(String node, String id, String key, String sent, TestServer.Response response) {}

  @Test
  void twoIngestNodesTypingANewKeyAtOnceEndWithOneCatalogThatWhatTheyAcceptedFits() throws Exception {
    try (KafkaBroker broker = KafkaBroker.start(dir.resolve("broker"));
        TestServer a = new TestServer(dir.resolve("a"), c -> KafkaNodes.configure(c, Role.ALL, broker.bootstrapServers(), "race"));
        TestServer b = new TestServer(dir.resolve("b"), c -> KafkaNodes.configure(c, Role.INGEST, broker.bootstrapServers(), "race"))) {
      ExecutorService pool = Executors.newFixedThreadPool(2);
      List<Answer> answers = new ArrayList<>();
      try {
        for (int k = 0; k < KEYS; k++) {
          String key = "key_" + k;
          CompletableFuture<Answer> fromA = CompletableFuture.supplyAsync(() -> send(a, "a", key, "bigint", "1"), pool);
          CompletableFuture<Answer> fromB = CompletableFuture.supplyAsync(() -> send(b, "b", key, "string", "\"one\""), pool);
          answers.add(fromA.get(60, TimeUnit.SECONDS));
          answers.add(fromB.get(60, TimeUnit.SECONDS));
        }
      } finally {
        pool.shutdownNow();
      }

      Map<String, String> catalogA = awaitCatalog(dir.resolve("a"));
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
      while (!catalog(dir.resolve("b")).equals(catalogA) && System.nanoTime() < deadline) {
        Thread.sleep(100);
      }
      assertThat(catalog(dir.resolve("b"))).as("the two nodes' catalogs").isEqualTo(catalogA);

      List<String> acked = new ArrayList<>();
      for (Answer r : answers) {
        assertThat(r.response().status()).as(r.response().body()).isEqualTo(200);
        acked.add(r.id());
        JsonNode warnings = r.response().json().get("warnings");
        if (warnings.isEmpty()) {
          assertThat(r.sent()).as("type of %s accepted without warning by %s", r.key(), r.node()).isEqualTo(catalogA.get(r.key()));
        } else {
          assertThat(r.sent()).as("type of %s accepted with a warning by %s", r.key(), r.node()).isNotEqualTo(catalogA.get(r.key()));
        }
      }
      Map<String, Integer> inLake = KafkaNodes.awaitInLake(dir.resolve("a/lake"), acked, Duration.ofSeconds(30));
      assertThat(inLake.keySet()).containsAll(acked);
    }
  }

  /** Sends one record, retrying (as clients do) while the node answers 503. */
  private static Answer send(TestServer node, String name, String key, String type, String value) {
    String id = name + "-" + key;
    String body = "{\"prediction_id\": \"" + id + "\", \"data\": {\"" + key + "\": " + value + "}}";
    TestServer.Response r = node.predictions("race", body);
    for (int attempt = 0; attempt < 10 && r.status() == 503; attempt++) {
      r = node.predictions("race", body);
    }
    return new Answer(name, id, key, type, r);
  }

  private static Map<String, String> awaitCatalog(Path data) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
    Map<String, String> c = catalog(data);
    while (c.size() < KEYS && System.nanoTime() < deadline) {
      Thread.sleep(100);
      c = catalog(data);
    }
    return c;
  }

  /** The types of the catalog file of endpoint {@code race}, by key. */
  private static Map<String, String> catalog(Path data) throws Exception {
    Map<String, String> types = new TreeMap<>();
    Path file = data.resolve("catalog/predictions/race.json");
    if (Files.exists(file)) {
      for (JsonNode c : TestServer.JSON.readTree(file.toFile()).get("columns")) {
        types.put(c.get("name").asText(), c.get("type").asText());
      }
    }
    return types;
  }
}
