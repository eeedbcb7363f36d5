package io.hindsight.server.alert;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.hindsight.server.ops.ManualScheduler;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** The engine on a stepped clock, notifying a real HTTP receiver. */
@Timeout(30)
class AlertEngineTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Instant START = Instant.parse("2026-11-30T12:00:00Z");
  private static final Duration MINUTE = Duration.ofMinutes(1);
  private static final Duration SECOND = Duration.ofSeconds(1);

  @TempDir Path dir;
  private final ManualScheduler scheduler = new ManualScheduler(START);
  private final SettableMetric metric = new SettableMetric();
  private final List<AlertTransition> transitions = new CopyOnWriteArrayList<>();
  private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
  private WebhookReceiver receiver;
  private AlertEngine engine;

  @BeforeEach
  void start() throws IOException {
    receiver = new WebhookReceiver();
    engine = newEngine();
  }

  private AlertEngine newEngine() throws IOException {
    AlertSettings settings =
        AlertSettings.defaults(URI.create("http://hindsight.test:7070"))
            .withTimeouts(Duration.ofSeconds(2), Duration.ofSeconds(2));
    return new AlertEngine(dir, scheduler, metric, transitions::add, registry, settings);
  }

  @AfterEach
  void stop() {
    engine.close();
    receiver.close();
  }

  private static JsonNode json(String text) throws IOException {
    return JSON.readTree(text.replace('\'', '"'));
  }

  private void webhook(String name, String format) throws IOException {
    engine.putNotifier(
        Notifier.fromJson(name, json("{'type': 'webhook', 'url': '" + receiver.url("/hook") + "', 'format': '" + format + "'}")));
  }

  private AlertRule putRule(String name, String fields) throws IOException {
    String body =
        "{'endpoint': 'fraud-model', 'metric': 'drifted_share', 'op': '>', 'threshold': 0.3, 'notify': ['ops']"
            + (fields.isEmpty() ? "" : ", " + fields) + "}";
    return engine.putRule(AlertRule.fromJson(name, json(body))).rule();
  }

  private double counter(String name, String... tags) {
    return registry.get(name).tags(tags).counter().count();
  }

  private AlertState state(String rule) {
    return engine.rule(rule).orElseThrow().state();
  }

  @Test
  void goesPendingThenFiringAfterForAndResolvesAfterKeepFiringFor() throws IOException {
    webhook("ops", "alertmanager");
    putRule(
        "drift-high",
        "'for': 'PT2M', 'keep_firing_for': 'PT2M', 'labels': {'severity': 'page'},"
            + " 'annotations': {'summary': 'Input drift on fraud-model'}");
    metric.set(0.5);

    scheduler.advance(MINUTE); // 12:01 true: pending
    assertThat(state("drift-high")).isEqualTo(AlertState.PENDING);
    scheduler.advance(MINUTE); // 12:02 true for 1 min < 2 min
    assertThat(state("drift-high")).isEqualTo(AlertState.PENDING);
    assertThat(receiver.received()).isEmpty();

    scheduler.advance(MINUTE.plus(SECOND)); // 12:03 true for 2 min: firing, delivered a second later
    RuleStatus firing = engine.rule("drift-high").orElseThrow();
    assertThat(firing.state()).isEqualTo(AlertState.FIRING);
    assertThat(firing.value()).isEqualTo(0.5);
    assertThat(firing.since()).isEqualTo(START.plus(MINUTE));
    assertThat(receiver.bodies()).containsExactly(json(webhookPayload("firing", "0001-01-01T00:00:00Z")));
    assertThat(receiver.received().get(0).path()).isEqualTo("/hook");

    metric.set(0.1);
    scheduler.advance(MINUTE); // 12:04 false: kept firing
    scheduler.advance(MINUTE); // 12:05 false for 1 min < 2 min
    assertThat(state("drift-high")).isEqualTo(AlertState.FIRING);
    assertThat(receiver.received()).hasSize(1);

    scheduler.advance(MINUTE.plus(SECOND)); // 12:06 false for 2 min: resolved
    assertThat(state("drift-high")).isEqualTo(AlertState.INACTIVE);
    assertThat(receiver.bodies()).element(1).isEqualTo(json(webhookPayload("resolved", "2026-11-30T12:06:00Z")));

    assertThat(transitions)
        .extracting(t -> t.from() + ">" + t.to() + "@" + t.at() + "=" + t.value())
        .containsExactly(
            "INACTIVE>PENDING@2026-11-30T12:01:00Z=0.5",
            "PENDING>FIRING@2026-11-30T12:03:00Z=0.5",
            "FIRING>INACTIVE@2026-11-30T12:06:00Z=0.1");
    AlertTransition fired = transitions.get(1);
    assertThat(fired.rule()).isEqualTo("drift-high");
    assertThat(fired.endpoint()).isEqualTo("fraud-model");
    assertThat(fired.metric()).isEqualTo("drifted_share");
    assertThat(fired.labels()).containsExactly(
        java.util.Map.entry("alertname", "drift-high"), java.util.Map.entry("endpoint", "fraud-model"),
        java.util.Map.entry("severity", "page"));
    assertThat(fired.annotations()).containsEntry("summary", "Input drift on fraud-model");
    assertThat(fired.toJson())
        .isEqualTo(json("{'rule': 'drift-high', 'endpoint': 'fraud-model', 'metric': 'drifted_share', 'column': null,"
            + " 'segment': '', 'from': 'pending', 'to': 'firing', 'value': 0.5, 'op': '>', 'threshold': 0.3,"
            + " 'at': '2026-11-30T12:03:00Z', 'labels': {'alertname': 'drift-high', 'endpoint': 'fraud-model',"
            + " 'severity': 'page'}, 'annotations': {'summary': 'Input drift on fraud-model'}}"));
    assertThat(metric.asked())
        .first()
        .isEqualTo(new SettableMetric.Window("drift-high", START.plus(MINUTE).minusSeconds(3600), START.plus(MINUTE)));
    assertThat(counter("hindsight_alert_deliveries", "notifier", "ops", "outcome", "sent")).isEqualTo(2);
    assertThat(counter("hindsight_alert_evaluations", "rule", "drift-high", "outcome", "ok")).isEqualTo(6);
  }

  private static String webhookPayload(String status, String endsAt) {
    String labels = "{'alertname': 'drift-high', 'endpoint': 'fraud-model', 'severity': 'page'}";
    String annotations = "{'summary': 'Input drift on fraud-model'}";
    return ("{'version': '4', 'groupKey': '{}:{alertname=\\'drift-high\\'}', 'truncatedAlerts': 0,"
            + " 'status': '" + status + "', 'receiver': 'ops', 'groupLabels': {'alertname': 'drift-high'},"
            + " 'commonLabels': " + labels + ", 'commonAnnotations': " + annotations + ","
            + " 'externalURL': 'http://hindsight.test:7070',"
            + " 'alerts': [{'status': '" + status + "', 'labels': " + labels + ", 'annotations': " + annotations + ","
            + " 'startsAt': '2026-11-30T12:03:00Z', 'endsAt': '" + endsAt + "',"
            + " 'generatorURL': 'http://hindsight.test:7070/v1/alerts/rules/drift-high',"
            + " 'fingerprint': '3655fad68c280017'}]}")
        .replace("\\'", "\\\"");
  }

  @Test
  void slackFormatPostsOneReadableLine() throws IOException {
    webhook("ops", "slack");
    putRule("drift-high", "'segment': 'tags.segment=high_value', 'annotations': {'summary': 'Input drift on fraud-model'}");
    metric.set(0.42);
    scheduler.advance(MINUTE.plus(SECOND));
    metric.set(0.1);
    scheduler.advance(MINUTE);

    assertThat(receiver.bodies())
        .containsExactly(
            json("{'text': '[FIRING] drift-high on fraud-model [tags.segment=high_value]: drifted_share = 0.42"
                + " (threshold > 0.3) — Input drift on fraud-model'}"),
            json("{'text': '[RESOLVED] drift-high on fraud-model [tags.segment=high_value]: drifted_share = 0.1"
                + " (threshold > 0.3) — Input drift on fraud-model'}"));
  }

  @Test
  void deletingAFiringRuleResolvesItsAlert() throws IOException {
    webhook("ops", "slack");
    putRule("drift-high", "");
    metric.set(0.42);
    scheduler.advance(MINUTE.plus(SECOND)); // firing, delivered
    assertThat(engine.deleteRule("drift-high")).isTrue();
    scheduler.advance(SECOND);

    assertThat(receiver.bodies()).extracting(b -> b.get("text").asText())
        .containsExactly(
            "[FIRING] drift-high on fraud-model: drifted_share = 0.42 (threshold > 0.3)",
            "[RESOLVED] drift-high on fraud-model: drifted_share = 0.42 (threshold > 0.3); the rule was deleted");
    assertThat(transitions).last().satisfies(t -> {
      assertThat(t.from()).isEqualTo(AlertState.FIRING);
      assertThat(t.to()).isEqualTo(AlertState.INACTIVE);
    });
  }

  @Test
  void anEmptyWindowFiresOnlyWhenNoDataIsAlert() throws IOException {
    webhook("ops", "alertmanager");
    engine.putRule(AlertRule.fromJson("silent-model", json(
        "{'endpoint': 'fraud-model', 'metric': 'volume', 'op': '<', 'threshold': 1, 'no_data': 'alert', 'notify': ['ops']}")));
    engine.putRule(AlertRule.fromJson("quiet-ok", json(
        "{'endpoint': 'fraud-model', 'metric': 'volume', 'op': '<', 'threshold': 1, 'no_data': 'ok', 'notify': ['ops']}")));
    metric.noRows();

    scheduler.advance(MINUTE.plus(SECOND));

    assertThat(state("silent-model")).isEqualTo(AlertState.FIRING);
    assertThat(engine.rule("silent-model").orElseThrow().value()).isNull();
    assertThat(state("quiet-ok")).isEqualTo(AlertState.INACTIVE);
    assertThat(receiver.bodies()).singleElement()
        .satisfies(b -> assertThat(b.at("/commonLabels/alertname").asText()).isEqualTo("silent-model"))
        .satisfies(b -> assertThat(b.at("/alerts/0/fingerprint").asText()).isEqualTo("08ea4b0024f69180"));
  }

  @Test
  void aSilenceMutesNotificationsUntilItEnds() throws IOException {
    webhook("ops", "alertmanager");
    putRule("drift-high", "");
    Instant until = START.plus(Duration.ofMinutes(3)).plusSeconds(30);
    engine.silence("drift-high", until);
    metric.set(0.5);

    scheduler.advance(Duration.ofMinutes(3).plus(SECOND)); // fires at 12:01, still firing at 12:03
    assertThat(state("drift-high")).isEqualTo(AlertState.FIRING);
    assertThat(engine.rule("drift-high").orElseThrow().silencedUntil()).isEqualTo(until);
    assertThat(engine.silences()).containsExactly(new Silence("drift-high", until));
    assertThat(receiver.received()).isEmpty();

    scheduler.advance(MINUTE); // 12:04: the silence ended, the alert still fires: announced now
    assertThat(engine.silences()).isEmpty();
    assertThat(engine.rule("drift-high").orElseThrow().silencedUntil()).isNull();
    assertThat(receiver.bodies()).singleElement()
        .satisfies(b -> assertThat(b.get("status").asText()).isEqualTo("firing"))
        .satisfies(b -> assertThat(b.at("/alerts/0/startsAt").asText()).isEqualTo("2026-11-30T12:01:00Z"));
  }

  @Test
  void aFailedDeliveryIsRetriedWithGrowingWaitsOnTheSchedulersClock() throws IOException {
    receiver.answering(500, 500);
    webhook("ops", "alertmanager");
    putRule("drift-high", "");
    metric.set(0.5);

    scheduler.advance(MINUTE.plus(SECOND)); // fires at 12:01; first attempt at 12:01:01 fails
    assertThat(receiver.received()).hasSize(1);
    scheduler.advance(SECOND); // second attempt 1 s later fails
    assertThat(receiver.received()).hasSize(2);
    scheduler.advance(SECOND); // the next wait is 2 s
    assertThat(receiver.received()).hasSize(2);
    scheduler.advance(SECOND); // third attempt succeeds
    assertThat(receiver.received()).hasSize(3);
    assertThat(receiver.bodies()).allSatisfy(b -> assertThat(b.get("status").asText()).isEqualTo("firing"));

    assertThat(counter("hindsight_alert_deliveries", "notifier", "ops", "outcome", "failed")).isEqualTo(2);
    assertThat(counter("hindsight_alert_deliveries", "notifier", "ops", "outcome", "sent")).isEqualTo(1);
    assertThat(registry.scrape())
        .contains("hindsight_alert_deliveries_total{notifier=\"ops\",outcome=\"failed\"} 2.0")
        .contains("hindsight_alert_deliveries_total{notifier=\"ops\",outcome=\"dropped\"} 0.0")
        .contains("hindsight_alert_evaluations_total{outcome=\"error\",rule=\"drift-high\"} 0.0")
        .contains("hindsight_alert_evaluations_total{outcome=\"ok\",rule=\"drift-high\"} 1.0");
  }

  @Test
  void aDeadReceiverIsCountedAndGivenUpWhileEvaluationsGoOn() throws IOException {
    int closedPort;
    try (ServerSocket s = new ServerSocket(0)) {
      closedPort = s.getLocalPort();
    }
    engine.putNotifier(Notifier.fromJson("ops", json("{'type': 'webhook', 'url': 'http://127.0.0.1:" + closedPort + "/hook'}")));
    putRule("drift-high", "'every': 'PT10S'");
    metric.set(0.5);

    scheduler.advance(Duration.ofSeconds(11)); // fires at 12:00:10
    assertThat(state("drift-high")).isEqualTo(AlertState.FIRING);
    metric.set(0.1);
    scheduler.advance(Duration.ofSeconds(10)); // resolved at 12:00:20 while the firing notice still waits
    assertThat(state("drift-high")).isEqualTo(AlertState.INACTIVE);
    scheduler.advance(MINUTE);

    assertThat(counter("hindsight_alert_evaluations", "rule", "drift-high", "outcome", "ok")).isEqualTo(8);
    // Two notices (firing, resolved), five attempts each, then given up.
    assertThat(counter("hindsight_alert_deliveries", "notifier", "ops", "outcome", "failed")).isEqualTo(10);
    assertThat(counter("hindsight_alert_deliveries", "notifier", "ops", "outcome", "abandoned")).isEqualTo(2);
    assertThat(counter("hindsight_alert_deliveries", "notifier", "ops", "outcome", "sent")).isZero();
  }

  @Test
  void notificationsBeyondTheQueueLimitAreDroppedAndCounted() throws IOException {
    engine.close();
    AlertSettings oneQueued =
        new AlertSettings(
            URI.create("http://hindsight.test:7070"), SECOND, SECOND, 1, 5, SECOND, Duration.ofMinutes(5), SECOND);
    engine = new AlertEngine(dir, scheduler, metric, transitions::add, registry, oneQueued);
    webhook("ops", "alertmanager");
    putRule("drift-high", "");
    putRule("drift-higher", "");
    metric.set(0.5);

    scheduler.advance(MINUTE.plus(SECOND)); // both fire at 12:01; the queue holds one notice

    assertThat(counter("hindsight_alert_deliveries", "notifier", "ops", "outcome", "dropped")).isEqualTo(1);
    assertThat(receiver.bodies()).singleElement()
        .satisfies(b -> assertThat(b.at("/groupLabels/alertname").asText()).isEqualTo("drift-high"));
    assertThat(state("drift-higher")).isEqualTo(AlertState.FIRING);
  }

  @Test
  void anAlertmanagerGetsTheAlertAtEveryEvaluationWhileFiringAndOnceResolved() throws IOException {
    engine.putNotifier(Notifier.fromJson("am", json("{'type': 'alertmanager', 'url': '" + receiver.url("") + "'}")));
    engine.putRule(AlertRule.fromJson("drift-high", json(
        "{'endpoint': 'fraud-model', 'metric': 'drifted_share', 'op': '>', 'threshold': 0.3, 'notify': ['am'],"
            + " 'labels': {'severity': 'page'}, 'annotations': {'summary': 'Input drift'}}")));
    metric.set(0.5);

    scheduler.advance(Duration.ofMinutes(2).plus(SECOND)); // firing at 12:01 and 12:02
    metric.set(0.1);
    scheduler.advance(MINUTE); // resolved at 12:03
    scheduler.advance(MINUTE); // inactive: nothing more

    String alert =
        "[{'labels': {'alertname': 'drift-high', 'endpoint': 'fraud-model', 'severity': 'page'},"
            + " 'annotations': {'summary': 'Input drift'}, 'startsAt': '2026-11-30T12:01:00Z', 'endsAt': '%s',"
            + " 'generatorURL': 'http://hindsight.test:7070/v1/alerts/rules/drift-high'}]";
    assertThat(receiver.received()).extracting(WebhookReceiver.Received::path).containsOnly("/api/v2/alerts");
    assertThat(receiver.bodies())
        .containsExactly(
            json(alert.formatted("2026-11-30T12:05:00Z")), // valid for 4 evaluations
            json(alert.formatted("2026-11-30T12:06:00Z")),
            json(alert.formatted("2026-11-30T12:03:00Z")));
  }

  @Test
  void aFailedMetricIsTheRulesLastErrorAndKeepsItsState() throws IOException {
    webhook("ops", "alertmanager");
    putRule("drift-high", "");
    metric.set(0.5);
    scheduler.advance(MINUTE);
    metric.failWith("monitoring config of fraud-model has no features");
    scheduler.advance(MINUTE);

    RuleStatus status = engine.rule("drift-high").orElseThrow();
    assertThat(status.state()).isEqualTo(AlertState.FIRING);
    assertThat(status.lastError()).isEqualTo("monitoring config of fraud-model has no features");
    assertThat(status.lastEvaluation()).isEqualTo(START.plus(Duration.ofMinutes(2)));
    assertThat(counter("hindsight_alert_evaluations", "rule", "drift-high", "outcome", "error")).isEqualTo(1);
    assertThat(status.toJson().get("last_error").asText()).contains("no features");
  }

  @Test
  void rulesNotifiersAndSilencesSurviveARestart() throws IOException {
    webhook("ops", "slack");
    AlertRule rule = putRule("drift-high", "'for': 'PT10M', 'labels': {'severity': 'page'}");
    Instant until = START.plus(Duration.ofHours(1));
    engine.silence("drift-high", until);
    engine.close();

    engine = newEngine();

    assertThat(engine.rules()).extracting(RuleStatus::rule).containsExactly(rule);
    assertThat(engine.notifiers()).extracting(n -> (JsonNode) n.toJson())
        .containsExactly(json("{'type': 'webhook', 'url': '" + receiver.url("/hook") + "', 'format': 'slack'}"));
    assertThat(engine.silences()).containsExactly(new Silence("drift-high", until));
    assertThat(scheduler.taskNames()).contains("alert-rule-drift-high", "alert-deliveries");
  }

  @Test
  void aRuleMayOnlyNotifyKnownNotifiersAndAUsedNotifierStays() throws IOException {
    assertThatThrownBy(() -> putRule("drift-high", ""))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("unknown notifier 'ops'");
    webhook("ops", "alertmanager");
    putRule("drift-high", "");
    assertThatThrownBy(() -> engine.deleteNotifier("ops"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("used by alert rules [drift-high]");

    assertThat(engine.deleteRule("drift-high")).isTrue();
    assertThat(engine.deleteNotifier("ops")).isTrue();
    assertThat(engine.rules()).isEmpty();
    assertThat(scheduler.taskNames()).doesNotContain("alert-rule-drift-high");
  }

  @Test
  void aReplacedRuleKeepsItsStateAndRunsAtItsNewPeriod() throws IOException {
    webhook("ops", "alertmanager");
    putRule("drift-high", "");
    metric.set(0.5);
    scheduler.advance(MINUTE); // firing at 12:01

    putRule("drift-high", "'every': 'PT10S', 'threshold': 0.4");
    scheduler.advance(Duration.ofSeconds(30));

    assertThat(scheduler.taskNames()).containsOnlyOnce("alert-rule-drift-high");
    assertThat(metric.asked()).hasSize(1 + 3);
    RuleStatus status = engine.rule("drift-high").orElseThrow();
    assertThat(status.state()).isEqualTo(AlertState.FIRING);
    assertThat(status.since()).isEqualTo(START.plus(MINUTE));
    assertThat(status.rule().threshold()).isEqualTo(0.4);
    assertThat(transitions).hasSize(1);
  }

  @Test
  void aSilenceNeedsAKnownRuleAndAnEndInTheFuture() throws IOException {
    webhook("ops", "alertmanager");
    putRule("drift-high", "");
    assertThatThrownBy(() -> engine.silence("nope", START.plusSeconds(60)))
        .hasMessageContaining("no alert rule named 'nope'");
    assertThatThrownBy(() -> engine.silence("drift-high", START))
        .hasMessageContaining("must end in the future");
  }

  @Test
  void theListingShowsEachRuleWithItsStateValueAndSince() throws IOException {
    webhook("ops", "alertmanager");
    putRule("drift-high", "'for': 'PT5M'");
    metric.set(0.5);
    scheduler.advance(MINUTE);

    JsonNode listed = engine.rules().get(0).toJson();
    assertThat(listed.get("name").asText()).isEqualTo("drift-high");
    assertThat(listed.get("metric").asText()).isEqualTo("drifted_share");
    assertThat(listed.get("state").asText()).isEqualTo("pending");
    assertThat(listed.get("value").asDouble()).isEqualTo(0.5);
    assertThat(listed.get("since").asText()).isEqualTo("2026-11-30T12:01:00Z");
    assertThat(listed.get("last_evaluation").asText()).isEqualTo("2026-11-30T12:01:00Z");
    assertThat(listed.get("last_error").isNull()).isTrue();
    assertThat(listed.get("silenced_until").isNull()).isTrue();
  }
}
