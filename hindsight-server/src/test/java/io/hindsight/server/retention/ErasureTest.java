package io.hindsight.server.retention;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.hindsight.server.TestServer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Erasure on a real server: exactly the subject's records go, from predictions and feedback, as a tracked job. */
class ErasureTest {
  @TempDir Path dir;

  /** Customer c-1 has three predictions over two days; one has feedback. c-2 has the rest. */
  private static void loadLoans(TestServer s) {
    accepted(s.predictions("loans", "["
        + record("p1", "2026-11-01", "c-1", 41, "web") + "," + record("p2", "2026-11-01", "c-1", 41, "web") + ","
        + record("p3", "2026-11-02", "c-1", 41, "app") + "," + record("p4", "2026-11-01", "c-2", 30, "web") + ","
        + record("p5", "2026-11-02", "c-2", 30, "app") + "," + record("p6", "2026-11-03", "c-3", 52, "branch") + "]"));
    accepted(s.postJson("/v1/endpoints/loans/feedback",
        "[{\"prediction_id\": \"p1\", \"ts\": \"2026-11-05T00:00:00Z\", \"data\": {\"label\": \"default\"}},"
            + " {\"prediction_id\": \"p4\", \"ts\": \"2026-11-05T00:00:00Z\", \"data\": {\"label\": \"repaid\"}}]"));
    s.flush();
  }

  private static String record(String id, String day, String customer, int age, String channel) {
    return "{\"prediction_id\": \"" + id + "\", \"ts\": \"" + day + "T09:00:00Z\", \"tags\": {\"channel\": \"" + channel
        + "\"}, \"data\": {\"customer_id\": \"" + customer + "\", \"age\": " + age + ", \"decision\": \"approve\"}}";
  }

  private static void accepted(TestServer.Response r) {
    assertThat(r.status()).as(r.body()).isEqualTo(200);
    assertThat(r.json().get("rejected")).as(r.body()).isEmpty();
  }

  private static List<String> column(TestServer s, String sql) {
    List<String> out = new ArrayList<>();
    s.query(sql).get("rows").forEach(r -> out.add(r.get(0).asText()));
    return out;
  }

  private static String started(TestServer.Response r) {
    assertThat(r.status()).as(r.body()).isEqualTo(202);
    return r.json().get("id").asText();
  }

  @Test
  void erasesExactlyTheSubjectsPredictionsAndTheirFeedbackAndSaysSo() throws Exception {
    try (TestServer s = new TestServer(dir)) {
      loadLoans(s);
      String id = started(s.postJson("/v1/erasure", "{\"endpoint\": \"loans\", \"key\": \"customer_id\", \"value\": \"c-1\"}"));
      JsonNode job = s.awaitJob(id);

      assertThat(job.get("kind").asText()).isEqualTo("erasure");
      assertThat(job.get("state").asText()).as(job.toString()).isEqualTo("done");
      assertThat(job.get("progress").asDouble()).isEqualTo(1.0);
      assertThat(job.get("counts").get("predictions_erased").asLong()).isEqualTo(3);
      assertThat(job.get("counts").get("feedback_erased").asLong()).isEqualTo(1);
      assertThat(job.get("counts").get("files_rewritten").asLong()).isEqualTo(3);
      assertThat(job.get("started_at").asText()).isNotEmpty();
      assertThat(job.get("finished_at").asText()).isNotEmpty();
      // The job's id is a random UUID, which may itself hold "c-1".
      assertThat(job.toString().replace(id, "")).as("the job never shows the subject").doesNotContain("c-1");

      assertThat(column(s, "SELECT prediction_id FROM predictions ORDER BY 1")).containsExactly("p4", "p5", "p6");
      assertThat(column(s, "SELECT prediction_id || ':' || label FROM feedback ORDER BY 1")).containsExactly("p4:repaid");
      assertThat(column(s, "SELECT feedback_label FROM predictions_with_feedback WHERE prediction_id = 'p4'"))
          .containsExactly("repaid");

      s.flush();
      JsonNode event = s.query("SELECT text, data FROM events WHERE endpoint = 'loans' AND kind = 'erasure'").get("rows");
      assertThat(event).hasSize(1);
      assertThat(event.get(0).get(0).asText()).contains("erased 3 predictions and 1 feedback records whose customer_id matched");
      JsonNode data = TestServer.JSON.readTree(event.get(0).get(1).asText());
      assertThat(data.get("predictions").asLong()).isEqualTo(3);
      assertThat(data.get("feedback").asLong()).isEqualTo(1);
      assertThat(data.get("job").asText()).isEqualTo(id);
      assertThat(event.toString().replace(id, "")).doesNotContain("c-1");
      assertThat(s.get("/metrics").body())
          .containsPattern("hindsight_erasure_records_total\\{endpoint=\"loans\",table=\"predictions\"} 3\\.0");

      // The rows are still in the write-ahead log; the rewritten files keep the replay mark.
      s.restart();
      assertThat(column(s, "SELECT prediction_id FROM predictions ORDER BY 1")).containsExactly("p4", "p5", "p6");
      JsonNode after = s.get("/v1/jobs/" + id).json();
      assertThat(after.get("state").asText()).isEqualTo("done");
      assertThat(after.get("counts").get("predictions_erased").asLong()).isEqualTo(3);
      assertThat(s.get("/v1/jobs").json().get("jobs")).extracting(j -> j.get("id").asText()).contains(id);
    }
  }

  @Test
  void aKeyIsMatchedByItsTypeAndTagsAndSystemFieldsCanBeKeys() throws Exception {
    try (TestServer s = new TestServer(dir)) {
      loadLoans(s);
      s.awaitJob(started(s.postJson("/v1/erasure", "{\"endpoint\": \"loans\", \"key\": \"AGE\", \"value\": \"52\"}")));
      assertThat(column(s, "SELECT prediction_id FROM predictions ORDER BY 1")).containsExactly("p1", "p2", "p3", "p4", "p5");
      s.awaitJob(started(s.postJson("/v1/erasure", "{\"endpoint\": \"loans\", \"key\": \"tags.channel\", \"value\": \"app\"}")));
      assertThat(column(s, "SELECT prediction_id FROM predictions ORDER BY 1")).containsExactly("p1", "p2", "p4");
      s.awaitJob(started(s.postJson("/v1/erasure", "{\"endpoint\": \"loans\", \"key\": \"prediction_id\", \"value\": \"p4\"}")));
      assertThat(column(s, "SELECT prediction_id FROM predictions ORDER BY 1")).containsExactly("p1", "p2");
      assertThat(column(s, "SELECT prediction_id FROM feedback")).containsExactly("p1");
    }
  }

  @Test
  void badErasureRequestsAreRefusedNamingTheField() throws Exception {
    try (TestServer s = new TestServer(dir)) {
      loadLoans(s);
      assertRefused(s.postJson("/v1/erasure", "{\"key\": \"customer_id\", \"value\": \"c-1\"}"), 400, "'endpoint' is missing");
      assertRefused(s.postJson("/v1/erasure", "{\"endpoint\": \"loans\", \"value\": \"c-1\"}"), 400, "'key' is missing");
      assertRefused(s.postJson("/v1/erasure", "{\"endpoint\": \"loans\", \"key\": \"customer_id\"}"), 400, "'value' is missing");
      assertRefused(s.postJson("/v1/erasure", "{\"endpoint\": \"loans\", \"key\": \"customer_id\", \"value\": {\"a\": 1}}"),
          400, "'value' is missing");
      assertRefused(s.postJson("/v1/erasure", "{\"endpoint\": \"nobody\", \"key\": \"customer_id\", \"value\": \"c-1\"}"),
          404, "unknown endpoint 'nobody'");
      assertRefused(s.postJson("/v1/erasure", "{\"endpoint\": \"loans\", \"key\": \"email\", \"value\": \"a@b\"}"),
          400, "'key': endpoint 'loans' has no key 'email'");
      assertRefused(s.postJson("/v1/erasure", "{\"endpoint\": \"loans\", \"key\": \"age\", \"value\": \"old\"}"),
          400, "'value' \"old\" cannot be a value of 'age', whose type is bigint");
      assertRefused(s.postJson("/v1/erasure", "not json"), 400, "not valid JSON");
      assertThat(s.get("/v1/jobs").json().get("jobs")).as("no job was started").isEmpty();
      assertThat(s.scalar("SELECT count(*) FROM predictions").asLong()).isEqualTo(6);
    }
  }

  private static void assertRefused(TestServer.Response r, int status, String message) {
    assertThat(r.status()).as(r.body()).isEqualTo(status);
    assertThat(r.json().get("error").asText()).contains(message);
  }

  /**
   * The audit log hears of every erased prediction, with its leaf index when the files carry one,
   * while the lake still holds them; an erasure the listener refuses changes nothing.
   */
  @Test
  void theListenerHearsOfTheErasedPredictionsBeforeAnyFileChanges() throws Exception {
    java.util.concurrent.atomic.AtomicReference<TestServer> server = new java.util.concurrent.atomic.AtomicReference<>();
    List<String> heard = new ArrayList<>();
    ErasureListener listener =
        (endpoint, jobId, records) -> {
          if (records.stream().anyMatch(r -> r.predictionId().equals("p5"))) {
            throw new java.io.IOException("the audit log cannot take the redaction now");
          }
          long inLake = server.get().scalar("SELECT count(*) FROM predictions WHERE customer_id = 'c-1'").asLong();
          records.forEach(r -> heard.add(endpoint + "/" + r.predictionId() + "@" + r.auditIndex() + " with " + inLake + " in the lake"));
        };
    try (TestServer s = new TestServer(dir, c -> {}, null, e -> java.util.Optional.empty(), listener)) {
      server.set(s);
      loadLoans(s);
      // A file as an audited endpoint's writer would leave it, carrying each record's leaf index.
      try (var c = java.sql.DriverManager.getConnection("jdbc:duckdb:");
          var st = c.createStatement()) {
        st.execute("COPY (SELECT 'p9' AS prediction_id, TIMESTAMPTZ '2026-11-03 09:00:00+00' AS ts, 'c-1' AS customer_id,"
            + " 9::BIGINT AS _leaf) TO '" + dir.resolve("lake/predictions/endpoint=loans/date=2026-11-03/part-00000000000000000099-0000beef.parquet")
            + "' (FORMAT parquet)");
      }
      String id = started(s.postJson("/v1/erasure", "{\"endpoint\": \"loans\", \"key\": \"customer_id\", \"value\": \"c-1\"}"));
      assertThat(s.awaitJob(id).get("state").asText()).isEqualTo("done");
      assertThat(heard).containsExactly(
          "loans/p9@9 with 4 in the lake", "loans/p1@null with 4 in the lake", "loans/p2@null with 4 in the lake",
          "loans/p3@null with 4 in the lake");

      JsonNode refused = s.awaitJob(started(s.postJson("/v1/erasure", "{\"endpoint\": \"loans\", \"key\": \"customer_id\", \"value\": \"c-2\"}")));
      assertThat(refused.get("state").asText()).isEqualTo("failed");
      assertThat(refused.get("error").asText()).isEqualTo("the audit log cannot take the redaction now");
      assertThat(column(s, "SELECT prediction_id FROM predictions ORDER BY 1")).containsExactly("p4", "p5", "p6");
    }
  }

  /** A server killed during an erasure leaves its job running in its file: the next start finishes it. */
  @Test
  void anErasureInterruptedByACrashIsResumedAtTheNextStart() throws Exception {
    try (TestServer s = new TestServer(dir)) {
      loadLoans(s);
    }
    Files.writeString(
        dir.resolve("jobs/interrupted.json"),
        "{\"id\": \"interrupted\", \"kind\": \"erasure\", \"state\": \"running\", \"progress\": 0.5, \"counts\": {},"
            + " \"created_at\": \"2026-11-30T12:00:00Z\", \"started_at\": \"2026-11-30T12:00:01Z\", \"finished_at\": null,"
            + " \"params\": {\"endpoint\": \"loans\", \"key\": \"customer_id\", \"value\": \"c-2\"}}");
    try (TestServer s = new TestServer(dir)) {
      JsonNode job = s.awaitJob("interrupted");
      assertThat(job.get("state").asText()).as(job.toString()).isEqualTo("done");
      assertThat(job.get("counts").get("predictions_erased").asLong()).isEqualTo(2);
      assertThat(column(s, "SELECT prediction_id FROM predictions ORDER BY 1")).containsExactly("p1", "p2", "p3", "p6");
      assertThat(Files.readString(dir.resolve("jobs/interrupted.json"))).as("the subject leaves the job's file").doesNotContain("c-2");
    }
  }
}
