package io.hindsight.server.alert;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.hindsight.server.TestServer;
import io.hindsight.server.ops.ManualScheduler;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Alerts through a real server (DESIGN §11): a rule on a metric the monitor computes from the lake
 * goes pending, firing and resolved with the clock stepped, its notifications reach a real HTTP
 * receiver, and every change is a row of the SQL table {@code alerts} and an {@code alert} event.
 */
class AlertsApiTest {
  @TempDir Path dir;

  private static String records(Instant ts, int n, double amount, String prefix) {
    StringBuilder sb = new StringBuilder("[");
    for (int i = 0; i < n; i++) {
      sb.append(i == 0 ? "" : ",").append("{\"prediction_id\": \"").append(prefix).append(i).append("\", \"ts\": \"")
          .append(ts.plusSeconds(i)).append("\", \"data\": {\"amount\": ").append(amount).append("}}");
    }
    return sb.append("]").toString();
  }

  @Test
  void aRuleOnALoggedFeatureFiresAndResolvesAndLeavesItsHistoryInSql() throws Exception {
    ManualScheduler time = new ManualScheduler(Instant.parse("2026-11-30T12:00:00Z"));
    try (WebhookReceiver receiver = new WebhookReceiver();
        TestServer s = new TestServer(dir, c -> {}, time)) {
      assertThat(s.predictions("fraud", records(Instant.parse("2026-11-30T11:50:00Z"), 10, 200, "a")).status()).isEqualTo(200);
      assertThat(s.putJson("/v1/alerts/notifiers/ops", "{\"type\": \"webhook\", \"url\": \"" + receiver.url("/hook") + "\", \"format\": \"alertmanager\"}").status())
          .isEqualTo(200);
      TestServer.Response put =
          s.putJson(
              "/v1/alerts/rules/big-amounts",
              "{\"endpoint\": \"fraud\", \"metric\": \"mean\", \"column\": \"amount\", \"window\": \"PT1H\", \"op\": \">\","
                  + " \"threshold\": 150, \"for\": \"PT2M\", \"every\": \"PT1M\", \"labels\": {\"severity\": \"page\"},"
                  + " \"annotations\": {\"summary\": \"Large amounts on fraud\"}, \"notify\": [\"ops\"]}");
      assertThat(put.status()).as(put.body()).isEqualTo(200);

      time.advance(Duration.ofMinutes(1));
      JsonNode rule = s.get("/v1/alerts").json().get("rules").get(0);
      assertThat(rule.get("state").asText()).isEqualTo("pending");
      assertThat(rule.get("value").asDouble()).isEqualTo(200);
      assertThat(receiver.bodies()).as("pending is not announced").isEmpty();

      time.advance(Duration.ofMinutes(2));
      assertThat(s.get("/v1/alerts/rules/big-amounts").json().get("state").asText()).isEqualTo("firing");
      time.advance(Duration.ofSeconds(2));
      assertThat(receiver.bodies()).hasSize(1);
      JsonNode firing = receiver.bodies().get(0);
      assertThat(firing.get("version").asText()).isEqualTo("4");
      assertThat(firing.get("status").asText()).isEqualTo("firing");
      JsonNode alert = firing.get("alerts").get(0);
      assertThat(alert.get("labels").get("alertname").asText()).isEqualTo("big-amounts");
      assertThat(alert.get("labels").get("endpoint").asText()).isEqualTo("fraud");
      assertThat(alert.get("labels").get("severity").asText()).isEqualTo("page");
      assertThat(alert.get("generatorURL").asText()).isEqualTo(s.url("/v1/alerts/rules/big-amounts"));

      // Small amounts bring the hour's mean to 125: the next evaluation resolves the alert.
      assertThat(s.predictions("fraud", records(Instant.parse("2026-11-30T12:02:00Z"), 30, 100, "b")).status()).isEqualTo(200);
      time.advance(Duration.ofMinutes(1));
      time.advance(Duration.ofSeconds(2));
      assertThat(s.get("/v1/alerts/rules/big-amounts").json().get("state").asText()).isEqualTo("inactive");
      assertThat(receiver.bodies()).hasSize(2);
      assertThat(receiver.bodies().get(1).get("status").asText()).isEqualTo("resolved");

      s.flush();
      JsonNode history = s.query("SELECT rule, from_state, to_state, value, threshold FROM alerts ORDER BY ts").get("rows");
      assertThat(history.toString())
          .isEqualTo(
              "[[\"big-amounts\",\"inactive\",\"pending\",200.0,150.0],[\"big-amounts\",\"pending\",\"firing\",200.0,150.0],"
                  + "[\"big-amounts\",\"firing\",\"inactive\",125.0,150.0]]");
      assertThat(s.scalar("SELECT count(*) FROM events WHERE endpoint = 'fraud' AND kind = 'alert'").asLong()).isEqualTo(3);
    }
  }

  @Test
  void aModelThatStopsLoggingPagesWithNoDataAlert() throws Exception {
    ManualScheduler time = new ManualScheduler(Instant.parse("2026-11-30T12:00:00Z"));
    try (TestServer s = new TestServer(dir, c -> {}, time)) {
      s.predictions("fraud", records(Instant.parse("2026-11-30T11:59:00Z"), 3, 1, "a"));
      s.putJson(
          "/v1/alerts/rules/silent-model",
          "{\"endpoint\": \"fraud\", \"metric\": \"volume\", \"window\": \"PT10M\", \"op\": \"<\", \"threshold\": 1,"
              + " \"no_data\": \"alert\", \"every\": \"PT1M\"}");
      time.advance(Duration.ofMinutes(1));
      assertThat(s.get("/v1/alerts/rules/silent-model").json().get("state").asText()).isEqualTo("inactive");
      time.advance(Duration.ofMinutes(10));
      assertThat(s.get("/v1/alerts/rules/silent-model").json().get("state").asText()).isEqualTo("firing");
    }
  }

  @Test
  void badRulesAndNotifiersAre400NamingTheField() throws Exception {
    try (TestServer s = new TestServer(dir)) {
      Map<String, String> rules =
          Map.of(
              "{\"endpoint\": \"fraud\", \"metric\": \"vollume\", \"op\": \">\", \"threshold\": 1}", "unknown metric 'vollume'",
              "{\"endpoint\": \"fraud\", \"metric\": \"mean\", \"op\": \">\", \"threshold\": 1}", "set 'column'",
              "{\"endpoint\": \"Fraud Model\", \"metric\": \"volume\", \"op\": \">\", \"threshold\": 1}", "endpoint",
              "{\"endpoint\": \"fraud\", \"metric\": \"volume\", \"op\": \">\", \"threshold\": 1, \"notify\": [\"nobody\"]}", "nobody");
      rules.forEach(
          (body, message) -> {
            TestServer.Response r = s.putJson("/v1/alerts/rules/r1", body);
            assertThat(r.status()).as(body).isEqualTo(400);
            assertThat(r.json().get("error").asText()).as(body).contains(message);
          });
      TestServer.Response notifier = s.putJson("/v1/alerts/notifiers/ops", "{\"type\": \"webhook\", \"url\": \"ftp://example.org/hook\"}");
      assertThat(notifier.status()).isEqualTo(400);
      assertThat(notifier.json().get("error").asText()).contains("http");
      assertThat(s.get("/v1/alerts/rules/r1").status()).isEqualTo(404);
      assertThat(s.get("/v1/alerts").json().get("rules").size()).isZero();
    }
  }

  @Test
  void rulesAndNotifiersOfTheConfigFileArePutAtStart() throws Exception {
    try (TestServer s =
        new TestServer(
            dir,
            c -> {
              c.alerts.notifiers.put("slack", Map.of("type", "webhook", "url", "http://127.0.0.1:9/hook", "format", "slack"));
              c.alerts.rules.put(
                  "drift",
                  Map.of("endpoint", "fraud", "metric", "drifted_share", "op", ">", "threshold", 0.3, "notify", List.of("slack")));
            })) {
      JsonNode rules = s.get("/v1/alerts").json().get("rules");
      assertThat(rules).singleElement().satisfies(r -> {
        assertThat(r.get("name").asText()).isEqualTo("drift");
        assertThat(r.get("state").asText()).isEqualTo("inactive");
      });
    }
  }
}
