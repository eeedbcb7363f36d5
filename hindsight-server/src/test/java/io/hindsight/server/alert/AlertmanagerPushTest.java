package io.hindsight.server.alert;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.hindsight.server.ops.ManualScheduler;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** The {@code alertmanager} notifier against a real Prometheus Alertmanager. */
@Timeout(60)
class AlertmanagerPushTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  @TempDir Path dir;

  @Test
  void aFiringAlertIsActiveInAlertmanagerAndGoneOnceResolved() throws Exception {
    assumeTrue(
        AlertmanagerProcess.installed(),
        AlertmanagerProcess.BINARY + " is absent (apt-get install prometheus-alertmanager): the push to a real"
            + " Alertmanager is not checked");
    // Alertmanager judges endsAt by the real clock: the stepped clock starts two hours back, so the
    // alert fires an hour ago (valid for 4 h) and resolves about now.
    Instant start = Instant.now().truncatedTo(ChronoUnit.SECONDS).minus(Duration.ofHours(2));
    ManualScheduler scheduler = new ManualScheduler(start);
    SettableMetric metric = new SettableMetric();
    SimpleMeterRegistry registry = new SimpleMeterRegistry();
    try (AlertmanagerProcess alertmanager = AlertmanagerProcess.start(dir);
        AlertEngine engine =
            new AlertEngine(
                dir.resolve("alerts"), scheduler, metric, t -> {}, registry,
                AlertSettings.defaults(URI.create("http://hindsight.test:7070")))) {
      engine.putNotifier(
          Notifier.fromJson("am", JSON.createObjectNode().put("type", "alertmanager").put("url", alertmanager.url().toString())));
      engine.putRule(
          AlertRule.fromJson(
              "latency-high",
              JSON.readTree(
                  "{\"endpoint\": \"fraud-model\", \"metric\": \"latency_p95\", \"op\": \">\", \"threshold\": 250,"
                      + " \"every\": \"PT1H\", \"labels\": {\"severity\": \"page\"},"
                      + " \"annotations\": {\"summary\": \"Slow fraud-model\"}, \"notify\": [\"am\"]}")));

      metric.set(400);
      scheduler.advance(Duration.ofHours(1).plusSeconds(1)); // fires, pushed a second later
      Instant firedAt = start.plus(Duration.ofHours(1));

      JsonNode active = alertmanager.alerts();
      assertThat(active).hasSize(1);
      JsonNode alert = active.get(0);
      Map<String, String> labels = Map.of("alertname", "latency-high", "endpoint", "fraud-model", "severity", "page");
      assertThat(JSON.convertValue(alert.get("labels"), Map.class)).isEqualTo(labels);
      assertThat(alert.at("/annotations/summary").asText()).isEqualTo("Slow fraud-model");
      assertThat(alert.at("/status/state").asText()).isEqualTo("active");
      assertThat(Instant.parse(alert.get("startsAt").asText())).isEqualTo(firedAt);
      assertThat(Instant.parse(alert.get("endsAt").asText())).isEqualTo(firedAt.plus(Duration.ofHours(4)));
      assertThat(alert.get("generatorURL").asText()).isEqualTo("http://hindsight.test:7070/v1/alerts/rules/latency-high");
      assertThat(alert.get("fingerprint").asText()).isEqualTo(AlertLabels.fingerprint(labels));

      metric.set(100);
      scheduler.advance(Duration.ofHours(1)); // resolves at the start of the test's real time, pushed at once

      assertThat(alertmanager.alertsWithin(Duration.ofSeconds(5), JsonNode::isEmpty))
          .as("alerts after the resolution; deliveries: %s; Alertmanager's log:%n%s", registry.getMetersAsString(), alertmanager.log())
          .isEmpty();
      assertThat(registry.find("hindsight_alert_deliveries").tags("outcome", "sent").counter().count()).isEqualTo(2);
      assertThat(registry.find("hindsight_alert_deliveries").tags("outcome", "failed").counter().count()).isZero();
    }
  }
}
