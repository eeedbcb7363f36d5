package io.hindsight.examples.fraud;

import static org.assertj.core.api.Assertions.assertThat;

import io.hindsight.Hindsight;
import io.hindsight.LocalContext;
import io.hindsight.PredictionRecord;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The scoring service over real HTTP, recording into an in-memory Hindsight. */
class FraudServiceTest {
  private static final HttpClient http = HttpClient.newHttpClient();
  private static LocalContext ctx;
  private static FraudModel v1;
  private static FraudService service;

  @BeforeAll
  static void start() throws Exception {
    ctx = Hindsight.builder().endpoint("fraud-model").modelVersion("v1.0.0").buildLocal();
    v1 = FraudModel.train("v1.0.0", new TransactionGenerator(11).next(3_000), 3);
    service = FraudService.start(ctx.hindsight(), v1, "127.0.0.1", 0, 2);
  }

  @AfterAll
  static void stop() {
    service.close();
    ctx.close();
  }

  @BeforeEach
  void forget() {
    ctx.clear();
  }

  private static HttpResponse<String> post(String body, String requestId) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(service.scoreUri()).POST(HttpRequest.BodyPublishers.ofString(body));
    if (requestId != null) {
      b.header("X-Request-ID", requestId);
    }
    return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> asMap(Object o) {
    return (Map<String, Object>) o;
  }

  @Test
  void scoringOverHttpRecordsTheWholePrediction() throws Exception {
    Transaction t = new Transaction("txn-http-1", "card-7", 1_250.0, "jewelry", "NG", "GB", "online", 2, 20, 6,
        5_100.0, true, 60.0, 25.0);
    HttpResponse<String> resp = post(t.toJson(), "req-42");

    assertThat(resp.statusCode()).isEqualTo(200);
    Map<String, Object> answer = Json.parseObject(resp.body());
    assertThat(answer).containsEntry("transaction_id", "txn-http-1").containsKeys("decision", "action", "fraud_probability");

    List<PredictionRecord> records = ctx.records();
    assertThat(records).hasSize(1);
    PredictionRecord r = records.get(0);
    assertThat(r.predictionId()).isEqualTo("txn-http-1");
    assertThat(r.modelVersion()).isEqualTo("v1.0.0");
    assertThat(r.requestId()).isEqualTo("req-42");
    assertThat(r.tags()).containsEntry("segment", "high_value").containsEntry("channel", "online").containsEntry("region", "europe");
    assertThat(r.data()).containsKeys(
        "transaction", "features", "amount", "amount_zscore", "score_logistic", "score_tree", "score_rules",
        "probabilities", "p_fraud", "threshold", "decision", "action", "reasons", "top_factors",
        "scoring_us", "heap_used_mb", "thread_count");
    assertThat(asMap(r.get("transaction"))).containsEntry("merchant_category", "jewelry").containsEntry("card_country", "GB");
    assertThat(asMap(r.get("features"))).containsKeys("log_amount", "amount_zscore", "is_night", "is_foreign");
    List<?> probabilities = (List<?>) r.get("probabilities");
    assertThat(probabilities).hasSize(2);
    assertThat(((Number) probabilities.get(0)).doubleValue() + ((Number) probabilities.get(1)).doubleValue())
        .isCloseTo(1.0, org.assertj.core.data.Offset.offset(1e-6));
    assertThat(r.get("decision")).isEqualTo(answer.get("decision"));
    assertThat(r.getDouble("threshold")).isEqualTo(v1.threshold());
    assertThat(r.isError()).isFalse();
  }

  @Test
  void deployingSwitchesTheVersionAndRecordsAnEvent() throws Exception {
    FraudModel v2 = FraudModel.train("v2.0.0", new TransactionGenerator(12).next(3_000), 4);
    try {
      service.deploy(v2, "retrained on fresh data");
      assertThat(ctx.sentEvents()).singleElement().asString()
          .contains("\"kind\":\"deploy\"").contains("v2.0.0").contains("v1.0.0");
      Transaction t = new TransactionGenerator(13).next().transaction();
      assertThat(post(t.toJson(), null).statusCode()).isEqualTo(200);
      assertThat(ctx.records()).singleElement().extracting(PredictionRecord::modelVersion).isEqualTo("v2.0.0");
    } finally {
      service.deploy(v1, "rollback");
    }
  }

  @Test
  void aMalformedTransactionIsRefusedWithAReasonAndNotRecorded() throws Exception {
    HttpResponse<String> notJson = post("{\"amount\": ", null);
    assertThat(notJson.statusCode()).isEqualTo(400);
    assertThat(notJson.body()).contains("invalid JSON");
    HttpResponse<String> missing = post("{\"transaction_id\": \"t\", \"amount\": \"12\"}", null);
    assertThat(missing.statusCode()).isEqualTo(400);
    assertThat(missing.body()).contains("card_id");
    assertThat(ctx.records()).isEmpty();
  }

  @Test
  void jsonRoundTripsATransaction() {
    Transaction t = new TransactionGenerator(5).next().transaction();
    assertThat(Transaction.fromMap(Json.parseObject(t.toJson()))).isEqualTo(t);
  }
}
