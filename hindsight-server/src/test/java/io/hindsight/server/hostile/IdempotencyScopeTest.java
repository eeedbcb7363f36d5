package io.hindsight.server.hostile;

import static org.assertj.core.api.Assertions.assertThat;

import io.hindsight.server.ChildServer;
import io.hindsight.server.ChildServerMain;
import io.hindsight.server.TestServer;
import io.hindsight.server.auth.ApiKeys;
import io.hindsight.server.auth.Scope;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * An Idempotency-Key belongs to one caller and endpoint and to one body: a retry gets the first
 * answer, a reuse with another body is 422 (never a silent drop), and another caller's key of the
 * same text is a different key.
 */
@Timeout(60)
class IdempotencyScopeTest {
  private static final String PREDICTIONS = "/v1/endpoints/e1/predictions";

  @TempDir Path dir;

  private static TestServer.Response post(TestServer s, String body, String idempotencyKey, String apiKey) {
    Map<String, String> headers =
        apiKey == null
            ? Map.of("Idempotency-Key", idempotencyKey)
            : Map.of("Idempotency-Key", idempotencyKey, "Authorization", "Bearer " + apiKey);
    return s.post(PREDICTIONS, "application/json", body.getBytes(StandardCharsets.UTF_8), headers);
  }

  @Test
  void aKeyReusedWithAnotherBodyIs422AndARetryGetsTheFirstAnswerAlsoAfterARestart() throws Exception {
    String first = "{\"prediction_id\": \"a\", \"data\": {\"x\": 1}}";
    String other = "{\"prediction_id\": \"b\", \"data\": {\"x\": 2}}";
    try (TestServer s = new TestServer(dir)) {
      TestServer.Response answer = post(s, first, "k1", null);
      assertThat(answer.status()).isEqualTo(200);

      TestServer.Response reused = post(s, other, "k1", null);
      assertThat(reused.status()).as(reused.body()).isEqualTo(422);
      assertThat(reused.json().get("error").asText())
          .contains("Idempotency-Key 'k1'")
          .contains("different body")
          .contains("nothing was stored");
      TestServer.Response retry = post(s, first, "k1", null);
      assertThat(retry.status()).isEqualTo(200);
      assertThat(retry.body()).isEqualTo(answer.body());

      s.restart();
      assertThat(post(s, first, "k1", null).body()).isEqualTo(answer.body());
      assertThat(post(s, other, "k1", null).status()).isEqualTo(422);
      s.flush();
      assertThat(s.scalar("SELECT string_agg(prediction_id, ',') FROM predictions").asText()).isEqualTo("a");
      assertThat(s.get("/metrics").body()).contains("hindsight_guard_refusals_total{guard=\"idempotency_key_reused\"}");
    }
  }

  @Test
  void gzipBodiesAreComparedAsTheyDecompress() throws Exception {
    byte[] first = TestServer.gzip("[{\"prediction_id\": \"a\", \"data\": {\"x\": 1}}]".getBytes(StandardCharsets.UTF_8));
    byte[] other = TestServer.gzip("[{\"prediction_id\": \"b\", \"data\": {\"x\": 1}}]".getBytes(StandardCharsets.UTF_8));
    Map<String, String> headers = Map.of("Idempotency-Key", "g1", "Content-Encoding", "gzip");
    try (TestServer s = new TestServer(dir)) {
      TestServer.Response answer = s.post(PREDICTIONS, "application/json", first, headers);
      assertThat(answer.status()).as(answer.body()).isEqualTo(200);
      assertThat(s.post(PREDICTIONS, "application/json", first, headers).body()).isEqualTo(answer.body());
      assertThat(s.post(PREDICTIONS, "application/json", other, headers).status()).isEqualTo(422);
      TestServer.Response ndjson =
          s.post(PREDICTIONS, "application/x-ndjson", TestServer.gzip("{\"data\": {}}\n".getBytes(StandardCharsets.UTF_8)),
              Map.of("Idempotency-Key", "g2", "Content-Encoding", "gzip"));
      assertThat(ndjson.status()).as(ndjson.body()).isEqualTo(200);
    }
  }

  @Test
  void aKeyReplayedFromTheLogAfterKillNineStillKnowsItsBody() throws Exception {
    Path data = dir.resolve("data");
    Path portFile = dir.resolve("port");
    String java = ProcessHandle.current().info().command().orElse("java");
    // A server in its own JVM that never writes the lake, so the key lives only in the log.
    Process child =
        new ProcessBuilder(
                java, "-cp", System.getProperty("java.class.path"), ChildServerMain.class.getName(),
                data.toString(), portFile.toString(), "3600000")
            .redirectErrorStream(true)
            .redirectOutput(dir.resolve("child.log").toFile())
            .start();
    String first = "{\"prediction_id\": \"a\", \"data\": {\"x\": 1}}";
    String answer;
    try {
      while (!Files.exists(portFile) || Files.readString(portFile).isBlank()) {
        assertThat(child.isAlive()).as("child server running").isTrue();
        Thread.sleep(50);
      }
      HttpResponse<String> r =
          HttpClient.newHttpClient()
              .send(
                  HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + Files.readString(portFile).trim() + PREDICTIONS))
                      .header("Content-Type", "application/json")
                      .header("Idempotency-Key", "k1")
                      .POST(HttpRequest.BodyPublishers.ofString(first))
                      .build(),
                  HttpResponse.BodyHandlers.ofString());
      assertThat(r.statusCode()).isEqualTo(200);
      answer = r.body();
    } finally {
      child.destroyForcibly().waitFor();
    }
    try (TestServer s = new TestServer(data)) {
      assertThat(post(s, first, "k1", null).body()).isEqualTo(answer);
      assertThat(post(s, "{\"data\": {\"x\": 2}}", "k1", null).status()).isEqualTo(422);
    }
  }

  @Test
  void theSameKeyTextFromAnotherCallerIsAnotherKey() throws Exception {
    ApiKeys keys = new ApiKeys(dir, List.of());
    String alice = keys.create("alice", EnumSet.of(Scope.WRITE), List.of()).key();
    String bob = keys.create("bob", EnumSet.of(Scope.WRITE), List.of()).key();
    String admin = keys.create("admin", EnumSet.of(Scope.ADMIN), List.of()).key();
    try (TestServer s = new TestServer(dir)) {
      assertThat(post(s, "{\"prediction_id\": \"from-alice\", \"data\": {}}", "batch-1", alice).status()).isEqualTo(200);
      TestServer.Response fromBob = post(s, "{\"prediction_id\": \"from-bob\", \"data\": {}}", "batch-1", bob);
      assertThat(fromBob.status()).as(fromBob.body()).isEqualTo(200);
      assertThat(fromBob.json().get("accepted").asInt()).isEqualTo(1);
      // Each caller's retry still gets its own first answer.
      assertThat(post(s, "{\"prediction_id\": \"from-bob\", \"data\": {}}", "batch-1", bob).json().get("accepted").asInt())
          .isEqualTo(1);
      s.flush();
      TestServer.Response count =
          s.post(
              "/v1/query",
              "application/json",
              "{\"sql\": \"SELECT string_agg(prediction_id, ',' ORDER BY prediction_id) FROM predictions\"}"
                  .getBytes(StandardCharsets.UTF_8),
              Map.of("Authorization", "Bearer " + admin));
      assertThat(count.json().get("rows").get(0).get(0).asText()).isEqualTo("from-alice,from-bob");
    }
  }
}
