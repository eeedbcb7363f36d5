package io.hindsight.server.monitor;

import static org.assertj.core.api.Assertions.assertThat;

import io.hindsight.server.TestServer;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** PUT/GET /v1/endpoints/{e}/monitoring and the derived columns it adds to SQL, on a real server. */
class MonitoringConfigApiTest {
  @TempDir Path dir;

  private static final String RECORDS =
      "[{\"data\": {\"amount\": 50, \"review\": \"good\", \"probabilities\": [0.9, 0.1],"
          + " \"features\": {\"merchant\": {\"risk\": 0.2}}}, \"tags\": {\"segment\": \"retail\"}},"
          + " {\"data\": {\"amount\": 5000, \"review\": \"terrible\", \"probabilities\": [0.2, 0.8],"
          + " \"features\": {\"merchant\": {\"risk\": 0.7}}}, \"tags\": {\"segment\": \"high_value\"}}]";

  @Test
  void aConfigIsKeptAcrossARestartAndReadBackWithItsDefaults() throws Exception {
    try (TestServer s = new TestServer(dir)) {
      s.predictions("fraud", RECORDS);
      TestServer.Response put =
          s.putJson(
              "/v1/endpoints/fraud/monitoring",
              "{\"task\": \"binary_classification\", \"score\": \"probabilities[1]\", \"threshold\": 0.6,"
                  + " \"features\": [\"amount\", \"features.merchant.risk\"], \"segments\": [\"model_version\", \"tags.segment\"],"
                  + " \"reference\": {\"previous\": \"P14D\"}}");
      assertThat(put.status()).as(put.body()).isEqualTo(200);
      s.restart();
      TestServer.Response got = s.get("/v1/endpoints/fraud/monitoring");
      assertThat(got.status()).isEqualTo(200);
      assertThat(got.json().get("threshold").asDouble()).isEqualTo(0.6);
      assertThat(got.json().get("score").asText()).isEqualTo("probabilities[1]");
      assertThat(got.json().get("features").toString()).isEqualTo("[\"amount\",\"features.merchant.risk\"]");
      assertThat(got.json().get("segments").toString()).isEqualTo("[\"model_version\",\"tags.segment\"]");
      assertThat(got.json().get("reference").toString()).isEqualTo("{\"previous\":\"PT336H\"}");
      assertThat(got.json().get("label").isNull()).isTrue();
    }
  }

  @Test
  void anEndpointWithoutConfigIs404WithWhatToDo() throws Exception {
    try (TestServer s = new TestServer(dir)) {
      TestServer.Response r = s.get("/v1/endpoints/fraud/monitoring");
      assertThat(r.status()).isEqualTo(404);
      assertThat(r.json().get("error").asText()).contains("PUT one to /v1/endpoints/fraud/monitoring");
    }
  }

  @Test
  void badConfigsAre400NamingTheField() throws Exception {
    try (TestServer s = new TestServer(dir)) {
      s.predictions("fraud", RECORDS);
      s.postJson("/v1/endpoints/fraud/feedback", "[{\"prediction_id\": \"x\", \"data\": {\"label\": 1}}]");
      Map<String, String> cases =
          Map.of(
              "{\"features\": [\"amount\", \"nonexistent\"]}", "'features': endpoint 'fraud' has no column 'nonexistent'; its columns: ",
              "{\"score\": \"amount[1]\"}", "'score': 'amount' holds bigint values, so '[1]' cannot point into it",
              "{\"segments\": [\"tags\"]}", "'segments': a tag is referenced as tags.<name>",
              "{\"task\": \"ranking\"}", "'task': unknown task 'ranking'",
              "{\"label\": \"truth\"}", "'label': no feedback of endpoint 'fraud' has the key 'truth'; its feedback keys: label",
              "{\"reference\": {\"from\": \"yesterday\", \"to\": \"2026-11-08T00:00:00Z\"}}", "'reference.from' must be an ISO-8601 UTC time",
              "{\"treshold\": 0.5}", "unknown field 'treshold' in the monitoring config",
              "{\"derived\": {\"big\": \"amount >\"}}", "derived column 'big': ",
              "{\"derived\": {\"amount\": \"amount * 2\"}}", "derived column 'amount': endpoint 'fraud' already logs a key of that name",
              "{\"derived\": {\"x\": \"(SELECT 1); COPY predictions TO '/tmp/x'\"}}", "derived column 'x': ");
      cases.forEach(
          (body, message) -> {
            TestServer.Response r = s.putJson("/v1/endpoints/fraud/monitoring", body);
            assertThat(r.status()).as(body).isEqualTo(400);
            assertThat(r.json().get("error").asText()).as(body).contains(message);
          });
      assertThat(s.get("/v1/endpoints/fraud/monitoring").status()).as("nothing bad was kept").isEqualTo(404);
    }
  }

  @Test
  void derivedColumnsAppearInSqlForTheirEndpointOnly() throws Exception {
    try (TestServer s = new TestServer(dir)) {
      s.predictions("fraud", RECORDS);
      s.predictions("other", "{\"data\": {\"amount\": 7000}}");
      s.flush();
      TestServer.Response put =
          s.putJson(
              "/v1/endpoints/fraud/monitoring",
              "{\"derived\": {\"amount_bucket\": \"CASE WHEN amount > 1000 THEN 'high' ELSE 'low' END\","
                  + " \"review_length\": \"length(review)\"}}");
      assertThat(put.status()).as(put.body()).isEqualTo(200);
      assertThat(
              s.query("SELECT endpoint, amount_bucket, review_length FROM predictions ORDER BY endpoint, amount")
                  .get("rows").toString())
          .isEqualTo("[[\"fraud\",\"low\",4],[\"fraud\",\"high\",8],[\"other\",null,null]]");
      assertThat(s.scalar("SELECT count(*) FROM predictions_with_feedback WHERE amount_bucket = 'high'").asLong())
          .isEqualTo(1);
      s.restart();
      assertThat(s.scalar("SELECT sum(review_length) FROM predictions").asLong()).as("kept across a restart").isEqualTo(12);
    }
  }

  @Test
  void aConfigFromTheConfigFileIsServedAndCannotBeChangedThroughTheApi() throws Exception {
    try (TestServer s =
        new TestServer(
            dir,
            c -> c.monitoring.endpoints.put("fraud", Map.of("task", "regression", "score", "amount")))) {
      assertThat(s.get("/v1/endpoints/fraud/monitoring").json().get("task").asText()).isEqualTo("regression");
      TestServer.Response r = s.putJson("/v1/endpoints/fraud/monitoring", "{\"task\": \"binary_classification\"}");
      assertThat(r.status()).isEqualTo(409);
      assertThat(r.json().get("error").asText()).contains("monitoring.endpoints.fraud");
    }
  }
}
