package io.hindsight.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Lookups, listings, health and metrics. */
class OperationsTest {
  @TempDir Path dir;
  TestServer s;

  @BeforeEach
  void start() throws Exception {
    s = new TestServer(dir);
  }

  @AfterEach
  void stop() {
    s.close();
  }

  @Test
  void lookupReturnsTheRecordAsSentWithItsFeedback() {
    s.predictions("fraud-model", "{\"prediction_id\": \"txn-9\", \"ts\": \"2026-11-22T10:15:00Z\", \"model_version\": \"v2\", \"tags\": {\"segment\": \"hv\"},"
        + " \"data\": {\"amount\": 12.5, \"features\": {\"n\": 3}, \"decision\": \"declined\"}}");
    s.postJson("/v1/endpoints/fraud-model/feedback", "{\"prediction_id\": \"txn-9\", \"data\": {\"label\": \"legit\"}}");
    s.flush();
    JsonNode r = s.get("/v1/endpoints/fraud-model/predictions/txn-9").json();
    JsonNode p = r.get("prediction");
    assertThat(p.get("prediction_id").asText()).isEqualTo("txn-9");
    assertThat(p.get("model_version").asText()).isEqualTo("v2");
    assertThat(p.get("tags").get("segment").asText()).isEqualTo("hv");
    assertThat(p.get("data").toString()).isEqualTo("{\"amount\":12.5,\"features\":{\"n\":3},\"decision\":\"declined\"}");
    assertThat(r.get("feedback").get(0).get("data").get("label").asText()).isEqualTo("legit");

    s.predictions("other-model", "{\"prediction_id\": \"txn-9\", \"data\": {\"amount\": 1}}");
    s.flush();
    JsonNode other = s.get("/v1/endpoints/other-model/predictions/txn-9").json();
    assertThat(other.get("prediction").get("data").get("amount").asInt()).isEqualTo(1);
    assertThat(other.get("feedback")).as("feedback of another endpoint is not this one's").isEmpty();
  }

  @Test
  void unknownPredictionIs404() {
    TestServer.Response r = s.get("/v1/endpoints/fraud-model/predictions/nope");
    assertThat(r.status()).isEqualTo(404);
    assertThat(r.json().get("error").asText()).contains("no prediction 'nope'");
    assertThat(s.get("/v1/nothing-here").status()).isEqualTo(404);
  }

  @Test
  void endpointsListCountsAndTimeRange() {
    s.predictions("a", "[{\"ts\": \"2026-11-20T00:00:00Z\", \"data\": {}}, {\"ts\": \"2026-11-22T00:00:00Z\", \"data\": {}}]");
    s.predictions("b", "{\"data\": {\"x\": 1}}");
    s.flush();
    JsonNode list = s.get("/v1/endpoints").json().get("endpoints");
    assertThat(list).hasSize(2);
    assertThat(list.get(0).get("endpoint").asText()).isEqualTo("a");
    assertThat(list.get(0).get("records").asLong()).isEqualTo(2);
    assertThat(list.get(0).get("first_ts").asText()).isEqualTo("2026-11-20T00:00:00.000000Z");
    assertThat(list.get(0).get("last_ts").asText()).isEqualTo("2026-11-22T00:00:00.000000Z");
  }

  @Test
  void healthAndPrometheusMetrics() {
    assertThat(s.get("/health").json().get("status").asText()).isEqualTo("ok");
    s.predictions("a", "[{\"data\": {\"x\": 1}}, {\"data\": {\"_x\": 1}}]");
    s.query("SELECT 1");
    String metrics = s.get("/metrics").body();
    assertThat(metrics)
        .contains("hindsight_records_accepted_total{endpoint=\"a\",table=\"predictions\"} 1.0")
        .contains("hindsight_records_rejected_total{reason=\"invalid_key\",table=\"predictions\"} 1.0")
        .contains("hindsight_wal_bytes")
        .contains("hindsight_lake_pending_records")
        .contains("hindsight_ack_latency_seconds")
        .contains("hindsight_query_latency_seconds");
  }

  @Test
  void refusesANonLoopbackAddressWithoutApiKeys() {
    ServerConfig c = new ServerConfig();
    c.dataDir = dir.resolve("other");
    c.host = "0.0.0.0";
    c.port = 0;
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> HindsightServer.start(c))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("refusing to listen on 0.0.0.0")
        .hasMessageContaining("API keys");
  }

  @Test
  void responsesCarryTheRequestId() {
    TestServer.Response r = s.get("/health");
    assertThat(r.headers().firstValue("X-Request-ID")).isPresent();
  }
}
