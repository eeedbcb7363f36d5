package io.hindsight.server.monitor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.JsonNode;
import io.hindsight.server.TestServer;
import io.hindsight.server.ops.ManualScheduler;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The metric store on a real server whose time the test steps: windows, late data, late feedback, SQL. */
class MetricStoreTest {
  @TempDir Path dir;

  private static final Instant NOW = Instant.parse("2026-11-30T12:20:00Z");

  /** Records of one hour: amount i, latency 10*i ms, every 4th an error, segments a/b alternating. */
  private static String records(String prefix, Instant hour, int n) {
    StringBuilder sb = new StringBuilder("[");
    for (int i = 1; i <= n; i++) {
      sb.append(i == 1 ? "" : ",")
          .append("{\"prediction_id\": \"").append(prefix).append(i)
          .append("\", \"ts\": \"").append(hour.plusSeconds(i)).append("\", \"latency_ms\": ").append(10.0 * i)
          .append(", \"status\": \"").append(i % 4 == 0 ? "error" : "ok")
          .append("\", \"tags\": {\"segment\": \"").append(i % 2 == 0 ? "a" : "b")
          .append("\"}, \"data\": {\"amount\": ").append(i).append("}}");
    }
    return sb.append("]").toString();
  }

  private static List<JsonNode> points(TestServer s, String query) {
    JsonNode r = s.get("/v1/endpoints/fraud/metrics?" + query).json();
    List<JsonNode> out = new ArrayList<>();
    r.get("points").forEach(out::add);
    return out;
  }

  @Test
  void theOpenHourLateRecordsAndLateFeedbackAreRecomputedAndQueryable() throws Exception {
    ManualScheduler time = new ManualScheduler(NOW);
    try (TestServer s = new TestServer(dir, c -> {}, time)) {
      Instant open = Instant.parse("2026-11-30T12:00:00Z");
      Instant closed = Instant.parse("2026-11-30T10:00:00Z");
      assertThat(s.predictions("fraud", records("o", open, 40)).status()).isEqualTo(200);
      assertThat(s.predictions("fraud", records("c", closed, 20)).status()).isEqualTo(200);
      assertThat(
              s.putJson(
                      "/v1/endpoints/fraud/monitoring",
                      "{\"features\": [\"amount\"], \"segments\": [\"tags.segment\"], \"label\": \"label\"}")
                  .status())
          .isEqualTo(200);

      time.advance(Duration.ofMinutes(1));
      String hourWindow = "granularity=1h&from=2026-11-30T00:00:00Z&to=2026-12-01T00:00:00Z";
      List<JsonNode> volume = points(s, "metric=volume&" + hourWindow);
      // 10:00 closed before its records came: they mark it for the next refresh, with the open hour.
      assertThat(volume).extracting(p -> p.get("window_start").asText())
          .containsExactly("2026-11-30T10:00:00Z", "2026-11-30T12:00:00Z");
      assertThat(volume).extracting(p -> p.get("value").asDouble()).containsExactly(20.0, 40.0);
      double[] amounts = new double[40];
      Arrays.setAll(amounts, i -> i + 1);
      assertThat(points(s, "metric=mean&column=amount&" + hourWindow).get(1).get("value").asDouble()).isEqualTo(20.5);
      assertThat(points(s, "metric=p50&column=amount&" + hourWindow).get(1).get("value").asDouble()).isEqualTo(20.5);
      assertThat(points(s, "metric=std&column=amount&" + hourWindow).get(1).get("value").asDouble())
          .isCloseTo(populationStd(amounts), within(1e-9));
      assertThat(points(s, "metric=error_rate&" + hourWindow).get(1).get("value").asDouble()).isEqualTo(0.25);
      // latency 10..400 ms: p95 by linear interpolation between ranks, as quantile_cont defines it.
      assertThat(points(s, "metric=latency_p95&" + hourWindow).get(1).get("value").asDouble())
          .isCloseTo(10 * (1 + 0.95 * 39), within(1e-9));
      List<JsonNode> segmentA = points(s, "metric=volume&segment=tags.segment=a&" + hourWindow);
      assertThat(segmentA).extracting(p -> p.get("value").asDouble()).containsExactly(10.0, 20.0);

      // A late record for 10:00 and feedback for two of its predictions: that hour is recomputed.
      assertThat(s.predictions("fraud", "{\"prediction_id\": \"late\", \"ts\": \"2026-11-30T10:59:00Z\", \"data\": {\"amount\": 1000}}").status())
          .isEqualTo(200);
      assertThat(
              s.postJson(
                      "/v1/endpoints/fraud/feedback",
                      "[{\"prediction_id\": \"c1\", \"data\": {\"label\": 1}}, {\"prediction_id\": \"c2\", \"data\": {\"label\": 0}}]")
                  .status())
          .isEqualTo(200);
      time.advance(Duration.ofMinutes(1));
      List<JsonNode> tenOClock = points(s, "metric=volume&granularity=1h&from=2026-11-30T10:00:00Z&to=2026-11-30T11:00:00Z");
      assertThat(tenOClock).singleElement().satisfies(p -> assertThat(p.get("value").asDouble()).isEqualTo(21));
      assertThat(points(s, "metric=labeled_share&granularity=1h&from=2026-11-30T10:00:00Z&to=2026-11-30T11:00:00Z").get(0).get("value").asDouble())
          .isCloseTo(2.0 / 21, within(1e-12));
      assertThat(points(s, "metric=feedback_count&granularity=1h&from=2026-11-30T10:00:00Z&to=2026-11-30T11:00:00Z").get(0).get("value").asDouble())
          .isEqualTo(2);
      // The day so far, recomputed with it.
      assertThat(points(s, "metric=volume&granularity=1d&from=2026-11-30T00:00:00Z&to=2026-12-01T00:00:00Z").get(0).get("value").asDouble())
          .isEqualTo(61);

      JsonNode sql =
          s.query(
              "SELECT value, rows, window_end FROM metrics WHERE endpoint = 'fraud' AND metric = 'volume' AND segment = ''"
                  + " AND granularity = '1h' AND window_start = TIMESTAMPTZ '2026-11-30 10:00:00+00'");
      assertThat(sql.get("rows").get(0).get(0).asDouble()).isEqualTo(21);

      s.restart();
      assertThat(points(s, "metric=volume&granularity=1h&from=2026-11-30T10:00:00Z&to=2026-11-30T11:00:00Z").get(0).get("value").asDouble())
          .as("the store is read back from the lake at start")
          .isEqualTo(21);
    }
  }

  /** Between refreshes the new rows are folded every 10 s; the refresh shows each row once. */
  @Test
  void rowsAreFoldedBetweenRefreshesAndCountedOnce() throws Exception {
    ManualScheduler time = new ManualScheduler(NOW);
    try (TestServer s = new TestServer(dir, c -> {}, time)) {
      Instant open = Instant.parse("2026-11-30T12:00:00Z");
      assertThat(s.putJson("/v1/endpoints/fraud/monitoring", "{\"features\": [\"amount\"]}").status()).isEqualTo(200);
      assertThat(s.predictions("fraud", records("first", open, 2)).status()).isEqualTo(200);
      time.advance(Duration.ofMinutes(1));
      String hour = "granularity=1h&from=2026-11-30T12:00:00Z&to=2026-11-30T13:00:00Z";
      List<JsonNode> before = points(s, "metric=volume&" + hour);
      assertThat(before).extracting(p -> p.get("value").asDouble()).containsExactly(2.0);
      double folded = s.metric("hindsight_monitor_rows_folded_total").getAsDouble();

      assertThat(s.predictions("fraud", records("a", open, 30)).status()).isEqualTo(200);
      s.flush();
      time.advance(Duration.ofSeconds(10));
      assertThat(s.metric("hindsight_monitor_rows_folded_total").getAsDouble()).as("folded before the refresh").isEqualTo(folded + 30);
      assertThat(points(s, "metric=volume&" + hour)).as("shown at the refresh").isEqualTo(before);

      assertThat(s.predictions("fraud", records("b", open, 10)).status()).isEqualTo(200);
      s.flush();
      time.advance(Duration.ofSeconds(50));
      assertThat(s.metric("hindsight_monitor_rows_folded_total").getAsDouble()).isEqualTo(folded + 40);
      assertThat(points(s, "metric=volume&" + hour)).extracting(p -> p.get("value").asDouble()).containsExactly(42.0);
      // amounts 1..2, 1..30 and 1..10
      assertThat(points(s, "metric=mean&column=amount&" + hour).get(0).get("value").asDouble())
          .isCloseTo((3 + 465 + 55) / 42.0, within(1e-9));
    }
  }

  @Test
  void driftAndQualityFiguresAgreeWithTheDriftAndEvaluationApis() throws Exception {
    ManualScheduler time = new ManualScheduler(NOW);
    try (TestServer s = new TestServer(dir, c -> {}, time)) {
      java.util.Random random = new java.util.Random(3);
      StringBuilder batch = new StringBuilder("[");
      StringBuilder feedback = new StringBuilder("[");
      // Yesterday (the reference) and the open hour, whose amounts are shifted up.
      for (int i = 0; i < 1200; i++) {
        boolean today = i >= 600;
        Instant ts = today ? Instant.parse("2026-11-30T12:00:00Z").plusSeconds(i - 600) : Instant.parse("2026-11-29T00:00:00Z").plusSeconds(i * 60L);
        double p = random.nextDouble();
        batch.append(i == 0 ? "" : ",").append("{\"prediction_id\": \"q").append(i).append("\", \"ts\": \"").append(ts)
            .append("\", \"tags\": {\"segment\": \"").append(i % 2 == 0 ? "a" : "b").append("\"}, \"data\": {\"amount\": ")
            .append(100 + 20 * random.nextGaussian() + (today ? 15 : 0)).append(", \"score\": ").append(p).append("}}");
        feedback.append(i == 0 ? "" : ",").append("{\"prediction_id\": \"q").append(i).append("\", \"data\": {\"label\": ")
            .append(random.nextDouble() < p ? 1 : 0).append("}}");
      }
      assertThat(s.predictions("fraud", batch.append("]").toString()).status()).isEqualTo(200);
      assertThat(s.postJson("/v1/endpoints/fraud/feedback", feedback.append("]").toString()).status()).isEqualTo(200);
      assertThat(
              s.putJson(
                      "/v1/endpoints/fraud/monitoring",
                      "{\"score\": \"score\", \"label\": \"label\", \"features\": [\"amount\"], \"segments\": [\"tags.segment\"],"
                          + " \"reference\": {\"previous\": \"P1D\"}}")
                  .status())
          .isEqualTo(200);
      time.advance(Duration.ofMinutes(1));

      String hour = "granularity=1h&from=2026-11-30T12:00:00Z&to=2026-11-30T13:00:00Z";
      String windows = "from=2026-11-30T12:00:00Z&to=2026-11-30T13:00:00Z&reference_from=2026-11-29T00:00:00Z&reference_to=2026-11-30T00:00:00Z";
      for (String segment : new String[] {"", "tags.segment=a"}) {
        JsonNode drift = s.get("/v1/endpoints/fraud/drift?" + windows + (segment.isEmpty() ? "" : "&segment=" + segment)).json();
        double amountDrift = drift.get("columns").get(0).get("statistic").asDouble();
        // The open hour's figures come from sketches (KLL): DESIGN §10 allows KS D within ± 0.01.
        assertThat(points(s, "metric=drift&column=amount&segment=" + segment + "&" + hour))
            .singleElement()
            .satisfies(p -> assertThat(p.get("value").asDouble()).isCloseTo(amountDrift, within(0.01)));
        assertThat(points(s, "metric=drifted_share&segment=" + segment + "&" + hour).get(0).get("value").asDouble())
            .isEqualTo(drift.get("drifted_share").asDouble());
      }
      assertThat(points(s, "metric=prediction_drift&" + hour)).hasSize(1);
      JsonNode evaluation = s.get("/v1/endpoints/fraud/evaluation?from=2026-11-30T12:00:00Z&to=2026-11-30T13:00:00Z&by=tags.segment").json();
      for (JsonNode g : evaluation.get("groups")) {
        String segment = "tags.segment=" + g.get("group").get("tags.segment").asText();
        assertThat(points(s, "metric=accuracy&segment=" + segment + "&" + hour).get(0).get("value").asDouble())
            .isEqualTo(g.get("realized").get("accuracy").asDouble());
        assertThat(points(s, "metric=estimated_roc_auc&segment=" + segment + "&" + hour)).hasSize(1);
      }
    }
  }

  @Test
  void aConfigChangeRecomputesTheWindowsItAffects() throws Exception {
    ManualScheduler time = new ManualScheduler(NOW);
    try (TestServer s = new TestServer(dir, c -> {}, time)) {
      assertThat(s.predictions("fraud", records("c", Instant.parse("2026-11-30T10:00:00Z"), 20)).status()).isEqualTo(200);
      time.advance(Duration.ofMinutes(1));
      String closedHour = "granularity=1h&from=2026-11-30T10:00:00Z&to=2026-11-30T11:00:00Z";
      assertThat(points(s, "metric=volume&" + closedHour)).hasSize(1);
      assertThat(points(s, "metric=volume&segment=tags.segment=a&" + closedHour)).isEmpty();

      assertThat(s.putJson("/v1/endpoints/fraud/monitoring", "{\"segments\": [\"tags.segment\"]}").status()).isEqualTo(200);
      time.advance(Duration.ofMinutes(1));
      assertThat(points(s, "metric=volume&segment=tags.segment=a&" + closedHour))
          .singleElement()
          .satisfies(p -> assertThat(p.get("value").asDouble()).isEqualTo(10));
    }
  }

  @Test
  void aSeriesRequestNamesWhatIsWrong() throws Exception {
    try (TestServer s = new TestServer(dir)) {
      assertThat(s.get("/v1/endpoints/fraud/metrics").json().get("error").asText()).startsWith("'metric' is missing; one of: accuracy,");
      assertThat(s.get("/v1/endpoints/fraud/metrics?metric=vollume").json().get("error").asText()).startsWith("unknown metric 'vollume'");
      assertThat(s.get("/v1/endpoints/fraud/metrics?metric=mean").json().get("error").asText()).contains("add column=");
      assertThat(s.get("/v1/endpoints/fraud/metrics?metric=volume&granularity=5m").status()).isEqualTo(400);
      assertThat(s.get("/v1/endpoints/fraud/metrics?metric=volume&from=yesterday").json().get("error").asText())
          .contains("'from' must be an ISO-8601 UTC time");
    }
  }

  private static double populationStd(double[] v) {
    double mean = Arrays.stream(v).average().orElseThrow();
    return Math.sqrt(Arrays.stream(v).map(x -> (x - mean) * (x - mean)).sum() / v.length);
  }

}
