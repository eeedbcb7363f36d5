package io.hindsight.server.retention;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import io.hindsight.server.ServerConfig;
import io.hindsight.server.TestServer;
import io.hindsight.server.ops.ManualScheduler;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Period;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Consumer;
import java.util.function.Function;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Retention and manual deletion on a real server whose time the test steps (the scheduler's clock
 * says 2026-11-30T12:00Z): what expired goes, files and SQL rows alike, with an event and counters;
 * what an audited endpoint must keep stays.
 */
class RetentionTest {
  @TempDir Path dir;

  private static final Function<String, Optional<Period>> FRAUD_AUDITED_25_MONTHS =
      e -> e.equals("fraud") ? Optional.of(Period.ofMonths(25)) : Optional.empty();

  /** Nothing periodic runs while a test steps a minute, but the retention check. */
  private static Consumer<ServerConfig> settings(Consumer<ServerConfig.RetentionPeriods> fraud) {
    return c -> {
      c.lake.flushInterval = Duration.ofHours(1);
      c.lake.compactionInterval = Duration.ofDays(1);
      c.monitoring.refreshInterval = Duration.ofHours(1);
      c.retention.interval = Duration.ofMinutes(1);
      ServerConfig.RetentionPeriods p = new ServerConfig.RetentionPeriods();
      fraud.accept(p);
      if (p.predictions != null || p.feedback != null || p.events != null || p.metrics != null) {
        c.retention.endpoints.put("fraud", p);
      }
    };
  }

  private static String predictions(String... idAndDay) {
    List<String> records = new ArrayList<>();
    for (int i = 0; i < idAndDay.length; i += 2) {
      records.add(
          "{\"prediction_id\": \"" + idAndDay[i] + "\", \"ts\": \"" + idAndDay[i + 1] + "T10:00:00Z\", \"data\": {\"amount\": " + i + "}}");
    }
    return "[" + String.join(",", records) + "]";
  }

  private static void accepted(TestServer.Response r) {
    assertThat(r.status()).as(r.body()).isEqualTo(200);
    assertThat(r.json().get("rejected")).as(r.body()).isEmpty();
  }

  private static void loadFraud(TestServer s) {
    accepted(s.predictions("fraud", predictions("old-1", "2026-10-01", "old-2", "2026-10-01", "edge", "2026-10-30",
        "kept-1", "2026-10-31", "kept-2", "2026-11-29")));
    accepted(s.predictions("other", predictions("other-old", "2026-10-01")));
    accepted(s.postJson("/v1/endpoints/fraud/feedback",
        "[{\"prediction_id\": \"old-1\", \"ts\": \"2026-10-02T00:00:00Z\", \"data\": {\"label\": \"fraud\"}},"
            + " {\"prediction_id\": \"kept-2\", \"ts\": \"2026-11-29T11:00:00Z\", \"data\": {\"label\": \"legit\"}}]"));
    accepted(s.postJson("/v1/endpoints/fraud/events",
        "[{\"ts\": \"2026-10-01T00:00:00Z\", \"kind\": \"deploy\", \"text\": \"v1\"},"
            + " {\"ts\": \"2026-11-20T00:00:00Z\", \"kind\": \"deploy\", \"text\": \"v2\"}]"));
    s.flush();
  }

  private static List<String> column(TestServer s, String sql) {
    List<String> out = new ArrayList<>();
    s.query(sql).get("rows").forEach(r -> out.add(r.get(0).asText()));
    return out;
  }

  /** The one job of a kind the server started by itself. */
  private static String jobOfKind(TestServer s, String kind) {
    for (JsonNode j : s.get("/v1/jobs").json().get("jobs")) {
      if (j.get("kind").asText().equals(kind)) {
        return j.get("id").asText();
      }
    }
    throw new AssertionError("no " + kind + " job in " + s.get("/v1/jobs").body());
  }

  @Test
  void theDailyJobDeletesWhatExpiredWithAnEventAndCounters() throws Exception {
    ManualScheduler time = new ManualScheduler();
    try (TestServer s = new TestServer(dir, settings(p -> {
      p.predictions = "P30D";
      p.feedback = "P30D";
      p.events = "P30D";
    }), time)) {
      loadFraud(s);
      Path fraudPredictions = dir.resolve("lake/predictions/endpoint=fraud");
      assertThat(fraudPredictions.resolve("date=2026-10-01")).isDirectory();

      time.advance(Duration.ofMinutes(1));
      JsonNode job = s.awaitJob(jobOfKind(s, "retention"));
      s.flush();

      assertThat(job.get("state").asText()).as(job.toString()).isEqualTo("done");
      assertThat(job.get("progress").asDouble()).isEqualTo(1.0);
      assertThat(job.get("counts").get("predictions_rows").asLong()).isEqualTo(3);
      assertThat(job.get("counts").get("predictions_files").asLong()).isEqualTo(2);
      assertThat(job.get("counts").get("feedback_rows").asLong()).isEqualTo(1);
      assertThat(job.get("counts").get("events_rows").asLong()).isEqualTo(1);
      // Today minus 30 days is 2026-10-31: the days before it are gone, that day itself stays.
      assertThat(fraudPredictions.resolve("date=2026-10-01")).doesNotExist();
      assertThat(fraudPredictions.resolve("date=2026-10-30")).doesNotExist();
      assertThat(column(s, "SELECT prediction_id FROM predictions WHERE endpoint = 'fraud' ORDER BY 1"))
          .containsExactly("kept-1", "kept-2");
      assertThat(column(s, "SELECT prediction_id FROM predictions WHERE endpoint = 'other'"))
          .as("an endpoint without a period keeps everything").containsExactly("other-old");
      assertThat(column(s, "SELECT prediction_id FROM feedback")).containsExactly("kept-2");
      assertThat(column(s, "SELECT text FROM events WHERE kind = 'deploy'")).containsExactly("v2");

      JsonNode rows = s.query(
          "SELECT json_extract_string(data, '$.kind') AS kind, json_extract(data, '$.rows')::BIGINT AS rows, text"
              + " FROM events WHERE endpoint = 'fraud' AND kind = 'retention' ORDER BY 1").get("rows");
      assertThat(rows).hasSize(3);
      assertThat(rows.get(0).get(0).asText()).isEqualTo("events");
      assertThat(rows.get(2).get(0).asText()).isEqualTo("predictions");
      assertThat(rows.get(2).get(1).asLong()).isEqualTo(3);
      assertThat(rows.get(2).get(2).asText()).contains("deleted 3 predictions before 2026-10-31");

      String metrics = s.get("/metrics").body();
      assertThat(metrics)
          .containsPattern("hindsight_retention_deleted_rows_total\\{endpoint=\"fraud\",kind=\"predictions\"} 3\\.0")
          .containsPattern("hindsight_retention_deleted_files_total\\{endpoint=\"fraud\",kind=\"predictions\"} 2\\.0");
    }
  }

  @Test
  void aRetentionShorterThanTheAuditedMinimumStopsTheStart() {
    assertThatThrownBy(() -> new TestServer(dir, settings(p -> p.predictions = "P400D"), new ManualScheduler(), FRAUD_AUDITED_25_MONTHS))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("retention.endpoints.fraud.predictions is P400D")
        .hasMessageContaining("retain_min P25M");
  }

  @Test
  void anAuditedEndpointKeepsItsPredictionsAndDeletionsThatWouldReachThemAreRefused() throws Exception {
    try (TestServer s = new TestServer(dir, settings(p -> {}), new ManualScheduler(), FRAUD_AUDITED_25_MONTHS)) {
      loadFraud(s);
      TestServer.Response refused = s.delete("/v1/endpoints/fraud/data?before=2026-11-01&kind=predictions");
      assertThat(refused.status()).isEqualTo(409);
      assertThat(refused.json().get("error").asText())
          .contains("audited", "P25M", "predictions before 2024-10-30 may be deleted", "not before 2026-11-01");

      TestServer.Response feedback = s.delete("/v1/endpoints/fraud/data?before=2026-11-01&kind=feedback");
      assertThat(feedback.status()).as("feedback is not an audit record").isEqualTo(202);
      assertThat(s.awaitJob(feedback.json().get("id").asText()).get("state").asText()).isEqualTo("done");
      TestServer.Response oldEnough = s.delete("/v1/endpoints/fraud/data?before=2024-10-30&kind=predictions");
      assertThat(oldEnough.status()).isEqualTo(202);
      assertThat(s.awaitJob(oldEnough.json().get("id").asText()).get("state").asText()).isEqualTo("done");

      assertThat(s.scalar("SELECT count(*) FROM predictions WHERE endpoint = 'fraud'").asLong()).isEqualTo(5);
      assertThat(s.scalar("SELECT count(*) FROM feedback").asLong()).isEqualTo(1);
    }
  }

  /**
   * Deleted rows are still in the write-ahead log (its segment is not full): a restart must not
   * replay them, and rows logged later into the same day must not be mistaken for them.
   */
  @Test
  void aManualDeletionOfEverythingLeavesAnEmptyTableThatStaysEmptyAcrossRestarts() throws Exception {
    try (TestServer s = new TestServer(dir, settings(p -> {}), new ManualScheduler())) {
      accepted(s.predictions("fraud", predictions("a", "2026-10-01", "b", "2026-11-30")));
      s.flush();
      TestServer.Response r = s.delete("/v1/endpoints/fraud/data?before=2026-12-01&kind=predictions");
      assertThat(r.status()).isEqualTo(202);
      assertThat(r.headers().firstValue("Location")).contains("/v1/jobs/" + r.json().get("id").asText());
      JsonNode job = s.awaitJob(r.json().get("id").asText());
      assertThat(job.get("kind").asText()).isEqualTo("deletion");
      assertThat(job.get("counts").get("predictions_rows").asLong()).isEqualTo(2);
      assertThat(s.scalar("SELECT count(*) FROM predictions").asLong()).as("an empty table, not an error").isZero();

      s.restart();
      assertThat(s.scalar("SELECT count(*) FROM predictions").asLong()).as("nothing replayed from the log").isZero();
      accepted(s.predictions("fraud", predictions("late", "2026-10-01")));
      s.flush();
      s.restart();
      assertThat(column(s, "SELECT prediction_id FROM predictions")).containsExactly("late");
      assertThat(s.get("/v1/jobs/" + job.get("id").asText()).json().get("state").asText()).isEqualTo("done");
    }
  }

  @Test
  void badDeletionRequestsAreRefusedNamingTheField() throws Exception {
    try (TestServer s = new TestServer(dir, settings(p -> {}), new ManualScheduler())) {
      loadFraud(s);
      assertRefused(s.delete("/v1/endpoints/fraud/data?before=2026-11-01"), 400, "'kind' is missing");
      assertRefused(s.delete("/v1/endpoints/fraud/data?before=2026-11-01&kind=logs"), 400, "unknown kind 'logs'");
      assertRefused(s.delete("/v1/endpoints/fraud/data?kind=predictions"), 400, "'before' is missing");
      assertRefused(s.delete("/v1/endpoints/fraud/data?before=2026-13-01&kind=predictions"), 400, "'before' must be a day");
      assertRefused(s.delete("/v1/endpoints/nobody/data?before=2026-11-01&kind=predictions"), 404, "unknown endpoint 'nobody'");
      assertRefused(s.delete("/v1/endpoints/Bad%20Name/data?before=2026-11-01&kind=predictions"), 400, "endpoint name");
      assertRefused(s.get("/v1/jobs/no-such-job"), 404, "no job with id 'no-such-job'");
      assertThat(s.get("/v1/jobs").json().get("jobs")).as("no job was started").isEmpty();
    }
  }

  private static void assertRefused(TestServer.Response r, int status, String message) {
    assertThat(r.status()).as(r.body()).isEqualTo(status);
    assertThat(r.json().get("error").asText()).contains(message);
  }

  @Test
  void metricsFollowTheirOwnPeriodAndOutliveTheRawData() throws Exception {
    ManualScheduler time = new ManualScheduler();
    try (TestServer s = new TestServer(dir, settings(p -> {
      p.predictions = "P30D";
      p.metrics = "P60D";
    }).andThen(c -> c.monitoring.refreshInterval = Duration.ofMinutes(1)), time)) {
      // One batch a day: a batch marks every hour between its oldest and newest record for the store.
      accepted(s.predictions("fraud", predictions("sep", "2026-09-01")));
      accepted(s.predictions("fraud", predictions("oct", "2026-10-15")));
      accepted(s.predictions("fraud", predictions("nov", "2026-11-29")));
      s.flush();
      // One minute: the metric store computes the days the records touched, then retention runs.
      time.advance(Duration.ofMinutes(1));
      JsonNode job = s.awaitJob(jobOfKind(s, "retention"));
      assertThat(job.get("counts").get("metrics_days").asLong()).as(job.toString()).isEqualTo(1);
      assertThat(job.get("counts").get("predictions_rows").asLong()).isEqualTo(2);

      Path metrics = dir.resolve("lake/metrics/endpoint=fraud");
      assertThat(metrics.resolve("date=2026-09-01")).doesNotExist();
      assertThat(metrics.resolve("date=2026-10-15")).as("younger than 60 days, though its raw data is gone").isDirectory();
      List<String> days = new ArrayList<>();
      s.get("/v1/endpoints/fraud/metrics?metric=volume&granularity=1d&from=2026-08-01T00:00:00Z&to=2026-12-01T00:00:00Z")
          .json().get("points").forEach(p -> days.add(p.get("window_start").asText()));
      assertThat(days).contains("2026-10-15T00:00:00Z").doesNotContain("2026-09-01T00:00:00Z");
      assertThat(column(s, "SELECT DISTINCT window_start::DATE::VARCHAR FROM metrics WHERE granularity = '1d' ORDER BY 1"))
          .contains("2026-10-15").doesNotContain("2026-09-01");
      assertThat(column(s, "SELECT prediction_id FROM predictions")).containsExactly("nov");

      // A new monitoring config recomputes every window the store has: those whose raw data is gone stay.
      assertThat(s.putJson("/v1/endpoints/fraud/monitoring", "{\"features\": [\"amount\"]}").status()).isEqualTo(200);
      time.advance(Duration.ofMinutes(1));
      JsonNode october =
          s.get("/v1/endpoints/fraud/metrics?metric=volume&granularity=1d&from=2026-10-15T00:00:00Z&to=2026-10-16T00:00:00Z")
              .json().get("points");
      assertThat(october).hasSize(1);
      assertThat(october.get(0).get("value").asDouble()).isEqualTo(1.0);
    }
  }
}
