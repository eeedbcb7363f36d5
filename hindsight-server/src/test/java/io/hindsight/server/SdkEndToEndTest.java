package io.hindsight.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.hindsight.Hindsight;
import io.hindsight.Prediction;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The Java SDK against a real server: what a model service logs is what SQL reads back. */
class SdkEndToEndTest {
  @TempDir Path dir;

  private static int freePort() throws Exception {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }

  @Test
  void predictionsFeedbackAndEventsArriveOnceWithTheirValues() throws Exception {
    try (TestServer s = new TestServer(dir.resolve("data"))) {
      Hindsight h =
          Hindsight.builder()
              .endpoint("fraud-model")
              .modelVersion("v2.1.0")
              .serverUrl(s.url(""))
              .spoolDirectory(dir.resolve("spool"))
              .build();
      for (int i = 0; i < 2000; i++) {
        try (Prediction p = h.startPrediction("txn-" + i)) {
          Hindsight.log("amount", 10.5 + i);
          Hindsight.log("count", i);
          Hindsight.log("probabilities", List.of(0.2, 0.8));
          Hindsight.log("features", Map.of("n", i % 7));
          Hindsight.log("declined", i % 3 == 0);
          p.tag("segment", i % 2 == 0 ? "a" : "b");
        }
      }
      h.feedback("txn-3", Map.of("label", "fraud"));
      h.event("deploy", "v2.1.0 rolled out", Map.of("by", "ci"));
      assertThat(h.flush(Duration.ofSeconds(30))).isTrue();
      h.close();
      s.flush();
      JsonNode row =
          s.query(
                  "SELECT count(*), count(DISTINCT prediction_id), sum(count), min(model_version),"
                      + " count(*) FILTER (WHERE tags['segment'] = 'a'), min(sample_rate), max(latency_ms) >= 0"
                      + " FROM predictions WHERE endpoint = 'fraud-model'")
              .get("rows")
              .get(0);
      assertThat(row.toString()).isEqualTo("[2000,2000,1999000,\"v2.1.0\",1000,1.0,true]");
      assertThat(s.scalar("SELECT feedback_label FROM predictions_with_feedback WHERE prediction_id = 'txn-3'").asText())
          .isEqualTo("fraud");
      assertThat(s.scalar("SELECT features->>'n' FROM predictions WHERE prediction_id = 'txn-10'").asText()).isEqualTo("3");
      assertThat(s.scalar("SELECT text FROM events WHERE kind = 'deploy'").asText()).isEqualTo("v2.1.0 rolled out");
    }
  }

  @Test
  void serverStoppedMidStreamThenBackDeliversEveryRecordExactlyOnce() throws Exception {
    int port = freePort();
    Path data = dir.resolve("data");
    TestServer s = new TestServer(data, c -> c.port = port);
    Hindsight h =
        Hindsight.builder()
            .endpoint("e1")
            .serverUrl("http://127.0.0.1:" + port)
            .spoolDirectory(dir.resolve("spool"))
            .retryBackoff(Duration.ofMillis(50), Duration.ofMillis(500))
            .build();
    try {
      for (int i = 0; i < 3000; i++) {
        if (i == 1000) {
          s.close();
        }
        if (i == 2000) {
          s = new TestServer(data, c -> c.port = port);
        }
        try (Prediction p = h.startPrediction("id-" + i)) {
          p.log("i", i);
        }
        if (i % 100 == 0) {
          Thread.sleep(20);
        }
      }
      assertThat(h.flush(Duration.ofSeconds(60))).as("flushed: %s", h.stats()).isTrue();
      s.flush();
      JsonNode row = s.query("SELECT count(*), count(DISTINCT prediction_id), sum(i) FROM predictions").get("rows").get(0);
      assertThat(row.toString()).isEqualTo("[3000,3000,4498500]");
      assertThat(h.stats().lost()).isZero();
    } finally {
      h.close();
      s.close();
    }
  }

  @Test
  void recordsRefusedForAWrongKeyWaitInTheSpoolUntilTheKeyIsFixed() throws Exception {
    Path data = dir.resolve("data");
    String key =
        new io.hindsight.server.auth.ApiKeys(data, List.of())
            .create("svc", java.util.EnumSet.of(io.hindsight.server.auth.Scope.WRITE), List.of())
            .key();
    try (TestServer s = new TestServer(data)) {
      Hindsight wrong =
          Hindsight.builder()
              .endpoint("e1")
              .serverUrl(s.url(""))
              .apiKey(key + "typo")
              .spoolDirectory(dir.resolve("spool"))
              .retryBackoff(Duration.ofMillis(50), Duration.ofMillis(200))
              .build();
      for (int i = 0; i < 200; i++) {
        try (Prediction p = wrong.startPrediction("k-" + i)) {
          p.log("i", i);
        }
      }
      assertThat(wrong.flush(Duration.ofSeconds(2))).isFalse();
      wrong.close(Duration.ofSeconds(5));
      assertThat(wrong.stats().lost()).isZero();

      Hindsight fixed =
          Hindsight.builder()
              .endpoint("e1")
              .serverUrl(s.url(""))
              .apiKey(key)
              .spoolDirectory(dir.resolve("spool"))
              .build();
      assertThat(fixed.flush(Duration.ofSeconds(30))).as("%s", fixed.stats()).isTrue();
      fixed.close();
      s.flush();
      String admin =
          new io.hindsight.server.auth.ApiKeys(data, List.of())
              .create("reader", java.util.EnumSet.of(io.hindsight.server.auth.Scope.READ), List.of())
              .key();
      java.net.http.HttpResponse<String> r =
          java.net.http.HttpClient.newHttpClient()
              .send(
                  java.net.http.HttpRequest.newBuilder(java.net.URI.create(s.url("/v1/query")))
                      .header("Authorization", "Bearer " + admin)
                      .header("Content-Type", "application/json")
                      .POST(java.net.http.HttpRequest.BodyPublishers.ofString(
                          "{\"sql\": \"SELECT count(*), count(DISTINCT prediction_id) FROM predictions\"}"))
                      .build(),
                  java.net.http.HttpResponse.BodyHandlers.ofString());
      assertThat(r.body()).contains("\"rows\":[[200,200]]");
    }
  }

  @Test
  void aLogBatchUploadIsTrackedAsAJobWithItsCounts() throws Exception {
    try (TestServer s = new TestServer(dir.resolve("data"))) {
      Hindsight h = Hindsight.builder().endpoint("scoring").serverUrl(s.url("")).spoolDirectory(dir.resolve("spool")).batchSize(100).build();
      List<Map<String, Object>> rows = new java.util.ArrayList<>();
      for (int i = 0; i < 250; i++) {
        rows.add(Map.of("prediction_id", "b-" + i, "score", i));
      }
      rows.add(Map.of("bad key", 1));
      io.hindsight.BatchResult result = h.logBatch(rows, null);
      h.close();

      assertThat(result.accepted()).isEqualTo(250);
      assertThat(result.jobId()).isNotNull();
      JsonNode job = s.get("/v1/jobs/" + result.jobId()).json();
      assertThat(job.path("kind").asText()).isEqualTo("upload");
      assertThat(job.path("state").asText()).isEqualTo("done");
      assertThat(job.path("progress").asDouble()).isEqualTo(1.0);
      assertThat(job.path("counts").path("accepted").asLong()).isEqualTo(250);
      assertThat(job.path("counts").path("rejected").asLong()).isEqualTo(1);
      TestServer.Response late = s.postJson("/v1/jobs/" + result.jobId() + "/report", "{\"state\": \"running\"}");
      assertThat(late.status()).isEqualTo(409);
      assertThat(s.postJson("/v1/jobs/uploads", "{}").status()).isEqualTo(400);
    }
  }
}
