package io.hindsight.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** DESIGN §8: an acknowledged record survives kill -9 at any moment, and is stored once. */
class CrashRecoveryTest {
  @TempDir Path dir;

  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

  private Process startChild(Path data, Path portFile) throws Exception {
    return startChild(data, portFile, 100);
  }

  private Process startChild(Path data, Path portFile, long flushMillis) throws Exception {
    Files.deleteIfExists(portFile);
    String java = ProcessHandle.current().info().command().orElse("java");
    Process p =
        new ProcessBuilder(java, ChildServer.ADD_OPENS, "-cp", System.getProperty("java.class.path"), ChildServerMain.class.getName(), data.toString(), portFile.toString(), Long.toString(flushMillis))
            .redirectErrorStream(true)
            .redirectOutput(dir.resolve("child.log").toFile())
            .start();
    long deadline = System.nanoTime() + 60_000_000_000L;
    while (!Files.exists(portFile) || Files.readString(portFile).isBlank()) {
      if (!p.isAlive() || System.nanoTime() > deadline) {
        throw new AssertionError("child server did not start:\n" + Files.readString(dir.resolve("child.log")));
      }
      Thread.sleep(50);
    }
    return p;
  }

  @Test
  void everyAcknowledgedRecordSurvivesRepeatedSigkillUnderLoadExactlyOnce() throws Exception {
    Path data = dir.resolve("data");
    Path portFile = dir.resolve("port");
    Set<String> acked = ConcurrentHashMap.newKeySet();
    AtomicInteger batchCounter = new AtomicInteger();
    int kills = 4;
    for (int round = 0; round <= kills; round++) {
      Process child = startChild(data, portFile);
      int port = Integer.parseInt(Files.readString(portFile).trim());
      AtomicBoolean stop = new AtomicBoolean();
      ExecutorService clients = Executors.newFixedThreadPool(4);
      for (int c = 0; c < 4; c++) {
        clients.submit(
            () -> {
              while (!stop.get()) {
                int b = batchCounter.incrementAndGet();
                List<String> ids = new ArrayList<>();
                StringBuilder body = new StringBuilder("[");
                for (int i = 0; i < 50; i++) {
                  String id = "b" + b + "-" + i;
                  ids.add(id);
                  body.append(i == 0 ? "" : ",")
                      .append("{\"prediction_id\": \"").append(id).append("\", \"data\": {\"b\": ").append(b)
                      .append(", \"payload\": \"").append("z".repeat(200)).append("\"}}");
                }
                body.append("]");
                try {
                  HttpResponse<String> r =
                      http.send(
                          HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/v1/endpoints/crash/predictions"))
                              .header("Content-Type", "application/json")
                              .timeout(Duration.ofSeconds(5))
                              .POST(HttpRequest.BodyPublishers.ofString(body.toString()))
                              .build(),
                          HttpResponse.BodyHandlers.ofString());
                  if (r.statusCode() == 200 && r.body().contains("\"accepted\":50")) {
                    acked.addAll(ids);
                  }
                } catch (IOException | InterruptedException e) {
                  // the server died mid-request: not acknowledged, so not counted
                }
              }
              return null;
            });
      }
      Thread.sleep(round == kills ? 500 : 700 + 300L * round);
      if (round < kills) {
        child.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
      }
      stop.set(true);
      clients.shutdown();
      assertThat(clients.awaitTermination(30, TimeUnit.SECONDS)).isTrue();
      if (round == kills) {
        child.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
      }
    }
    assertThat(acked.size()).as("records acknowledged across the run").isGreaterThan(1000);

    try (TestServer s = new TestServer(data)) {
      s.flush();
      Map<String, Integer> counts = new HashMap<>();
      JsonNode rows =
          s.postJson("/v1/query", "{\"sql\": \"SELECT prediction_id, count(*) FROM predictions GROUP BY 1\", \"limit\": 1000000}")
              .json()
              .get("rows");
      for (JsonNode r : rows) {
        counts.put(r.get(0).asText(), r.get(1).asInt());
      }
      List<String> lost = acked.stream().filter(id -> !counts.containsKey(id)).limit(5).toList();
      assertThat(lost).as("acknowledged but missing").isEmpty();
      List<String> duplicated = counts.entrySet().stream().filter(e -> e.getValue() > 1).map(Map.Entry::getKey).limit(5).toList();
      assertThat(duplicated).as("stored more than once").isEmpty();
    }
  }

  @Test
  void aTornLogTailIsCutAndTheServerStarts() throws Exception {
    Path data = dir.resolve("data");
    try (TestServer s = new TestServer(data, c -> c.lake.flushInterval = Duration.ofHours(1))) {
      assertThat(s.predictions("e1", "[{\"prediction_id\": \"kept\", \"data\": {\"x\": 1}}]").status()).isEqualTo(200);
    }
    // A graceful stop flushed the lake; append a half-written frame as a crash mid-write would leave.
    Path segment;
    try (Stream<Path> files = Files.list(data.resolve("wal"))) {
      segment = files.sorted().reduce((a, b) -> b).orElseThrow();
    }
    long intact = Files.size(segment);
    try (FileChannel ch = FileChannel.open(segment, StandardOpenOption.APPEND)) {
      ch.write(java.nio.ByteBuffer.wrap(new byte[] {0, 0, 1, 0, 42, 42, 42, 42, 0, 0, 0}));
    }
    try (TestServer s = new TestServer(data)) {
      assertThat(Files.size(segment)).as("the torn frame is cut off on open").isEqualTo(intact);
      assertThat(s.predictions("e1", "{\"prediction_id\": \"after\", \"data\": {\"x\": 2}}").status()).isEqualTo(200);
      s.flush();
      assertThat(s.scalar("SELECT string_agg(prediction_id, ',' ORDER BY prediction_id) FROM predictions").asText())
          .isEqualTo("after,kept");
    }
  }

  @Test
  void logEntriesNotYetInTheLakeAreReplayedOnStart() throws Exception {
    Path data = dir.resolve("data");
    Path portFile = dir.resolve("port");
    Process child = startChild(data, portFile, 3_600_000);
    int port = Integer.parseInt(Files.readString(portFile).trim());
    HttpResponse<String> r =
        http.send(
            HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/v1/endpoints/e1/predictions"))
                .header("Content-Type", "application/json")
                .header("Idempotency-Key", "k1")
                .POST(HttpRequest.BodyPublishers.ofString("{\"prediction_id\": \"survivor\", \"data\": {\"x\": 1}}"))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(r.statusCode()).isEqualTo(200);
    child.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
    try (TestServer s = new TestServer(data)) {
      s.flush();
      assertThat(s.scalar("SELECT count(*) FROM predictions WHERE prediction_id = 'survivor'").asInt()).isEqualTo(1);
      TestServer.Response retry =
          s.post("/v1/endpoints/e1/predictions", "application/json",
              "{\"prediction_id\": \"survivor\", \"data\": {\"x\": 1}}".getBytes(), Map.of("Idempotency-Key", "k1"));
      assertThat(retry.body()).isEqualTo(r.body());
      s.flush();
      assertThat(s.scalar("SELECT count(*) FROM predictions").asInt()).isEqualTo(1);
    }
  }
}
