package io.hindsight.server.alert;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.time.Duration;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

/** Reading rules and notifiers: DESIGN §11's shape, its defaults, and a message naming each bad field. */
class AlertRuleTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  private static JsonNode json(String text) {
    try {
      return JSON.readTree(text.replace('\'', '"'));
    } catch (IOException e) {
      throw new IllegalArgumentException(e);
    }
  }

  private static final String MINIMAL = "{'endpoint': 'fraud-model', 'metric': 'volume', 'op': '<', 'threshold': 10}";

  private static AlertRule withField(String field, String value) {
    ObjectNode body = (ObjectNode) json(MINIMAL);
    body.set(field, json("{'v': " + value + "}").get("v"));
    return AlertRule.fromJson("r", body);
  }

  @Test
  void theDesignsExampleReadsAndWritesBackTheSameJson() {
    JsonNode example =
        json(
            "{'endpoint': 'fraud-model', 'metric': 'drifted_share', 'column': null, 'segment': '',"
                + " 'window': 'PT1H', 'op': '>', 'threshold': 0.3, 'for': 'PT10M', 'keep_firing_for': 'PT0S',"
                + " 'every': 'PT1M', 'no_data': 'ok', 'labels': {'severity': 'page'},"
                + " 'annotations': {'summary': 'Input drift on fraud-model'}, 'notify': ['ops']}");
    AlertRule rule = AlertRule.fromJson("drift-high", example);

    assertThat(rule.forDuration()).isEqualTo(Duration.ofMinutes(10));
    assertThat(rule.op()).isEqualTo(Comparison.GREATER);
    assertThat(rule.toJson()).isEqualTo(example);
    assertThat(AlertRule.fromJson("drift-high", rule.toJson())).isEqualTo(rule);
  }

  @Test
  void leftOutFieldsTakeTheDesignsDefaults() {
    AlertRule rule = AlertRule.fromJson("r", json(MINIMAL));

    assertThat(rule.window()).isEqualTo(Duration.ofHours(1));
    assertThat(rule.forDuration()).isZero();
    assertThat(rule.keepFiringFor()).isZero();
    assertThat(rule.every()).isEqualTo(Duration.ofMinutes(1));
    assertThat(rule.noData()).isEqualTo(AlertRule.NoData.OK);
    assertThat(rule.segment()).isEmpty();
    assertThat(rule.column()).isNull();
    assertThat(rule.labels()).isEmpty();
    assertThat(rule.notifierNames()).isEmpty();
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "volume", "error_rate", "latency_p99", "labeled_share", "drifted_share", "prediction_drift", "accuracy",
        "roc_auc", "macro_f1", "r2", "estimated_accuracy", "estimated_roc_auc", "estimated_mae"
      })
  void everyEndpointMetricOfTheMetricStoreIsAccepted(String metric) {
    assertThat(withField("metric", "'" + metric + "'").metric()).isEqualTo(metric);
  }

  @Test
  void aPerColumnMetricNeedsItsColumn() {
    ObjectNode body = (ObjectNode) json(MINIMAL);
    body.put("metric", "missing_share");
    assertThatThrownBy(() -> AlertRule.fromJson("r", body))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("metric 'missing_share' is computed per column; set 'column'");
    body.put("column", "amount");
    assertThat(AlertRule.fromJson("r", body).column()).isEqualTo("amount");
  }

  @ParameterizedTest(name = "{0} = {1}")
  @CsvSource(
      delimiter = '|',
      quoteCharacter = '"',
      value = {
        "metric|'drift_score'|unknown metric 'drift_score'",
        "metric|'estimated_volume'|unknown metric 'estimated_volume'",
        "column|'amount'|metric 'volume' is not per column; leave 'column' null",
        "op|'=>'|op must be one of > >= < <= == !=, got '=>'",
        "threshold|'10'|field 'threshold' must be a number",
        "window|'1h'|field 'window' must be an ISO-8601 duration such as PT10M or PT1H, got '1h'",
        "for|'10 minutes'|field 'for' must be an ISO-8601 duration",
        "for|'-PT1M'|field 'for' must be at least PT0S",
        "every|'PT0.5S'|field 'every' must be at least PT1S, got PT0.5S",
        "keep_firing_for|5|field 'keep_firing_for' must be a string",
        "no_data|'fire'|no_data must be 'ok' or 'alert', got 'fire'",
        "endpoint|'Fraud Model'|endpoint 'Fraud Model' is not an endpoint name",
        "segment|'high_value'|segment must be '' (all rows) or column=value",
        "labels|{'alertname': 'x'}|labels may not set 'alertname'",
        "labels|{'bad-name': 'x'}|labels name 'bad-name' must match",
        "labels|{'severity': 1}|labels.severity must be a string",
        "notify|'ops'|field 'notify' must be an array of names",
        "thresold|0.3|unknown field 'thresold'",
      })
  void aBadFieldIsRefusedWithAMessageNamingIt(String field, String value, String message) {
    assertThatThrownBy(() -> withField(field, value))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("alert rule 'r'")
        .hasMessageContaining(message);
  }

  @Test
  void requiredFieldsAreNamedWhenMissing() {
    assertThatThrownBy(() -> AlertRule.fromJson("r", json("{'metric': 'volume', 'op': '<', 'threshold': 1}")))
        .hasMessageContaining("field 'endpoint' is required");
    assertThatThrownBy(() -> AlertRule.fromJson("r", json("{'endpoint': 'e', 'metric': 'volume', 'op': '<'}")))
        .hasMessageContaining("field 'threshold' is required");
    assertThatThrownBy(() -> AlertRule.fromJson("bad name", json(MINIMAL)))
        .hasMessageContaining("rule name 'bad name' must match");
    assertThatThrownBy(() -> AlertRule.fromJson("r", json("[1]"))).hasMessageContaining("must be a JSON object");
  }

  @Test
  void notifiersReadTheirTypeUrlAndFormat() {
    Notifier slack = Notifier.fromJson("chat", json("{'type': 'webhook', 'url': 'https://hooks.slack.test/x', 'format': 'slack'}"));
    assertThat(slack.format()).isEqualTo(Notifier.Format.SLACK);
    assertThat(slack.target()).hasToString("https://hooks.slack.test/x");

    Notifier webhook = Notifier.fromJson("hook", json("{'type': 'webhook', 'url': 'http://receiver:8080/alerts'}"));
    assertThat(webhook.format()).isEqualTo(Notifier.Format.ALERTMANAGER);

    Notifier am = Notifier.fromJson("am", json("{'type': 'alertmanager', 'url': 'http://alertmanager:9093'}"));
    assertThat(am.target()).hasToString("http://alertmanager:9093/api/v2/alerts");
    assertThat(am.toJson()).isEqualTo(json("{'type': 'alertmanager', 'url': 'http://alertmanager:9093'}"));
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(
      delimiter = '|',
      quoteCharacter = '"',
      value = {
        "{'type': 'webhook', 'url': 'ftp://host/x'}|url must be an http:// or https:// URL with a host, got 'ftp://host/x'",
        "{'type': 'webhook', 'url': 'file:///etc/passwd'}|url must be an http:// or https:// URL",
        "{'type': 'webhook', 'url': 'not a url'}|url is not a URL",
        "{'type': 'webhook', 'url': 'http://h/x', 'format': 'teams'}|format must be 'alertmanager' or 'slack', got 'teams'",
        "{'type': 'email', 'url': 'http://h/x'}|type must be 'webhook' or 'alertmanager', got 'email'",
        "{'type': 'alertmanager', 'url': 'http://h:9093', 'format': 'slack'}|format is for webhooks",
        "{'type': 'webhook'}|field 'url' is required",
        "{'type': 'webhook', 'url': 'http://h/x', 'token': 'x'}|unknown field 'token'",
      })
  void aBadNotifierIsRefusedWithAMessageNamingTheField(String body, String message) {
    assertThatThrownBy(() -> Notifier.fromJson("ops", json(body)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("notifier 'ops'")
        .hasMessageContaining(message);
  }

  @Test
  void aSilenceReadsItsRuleAndEnd() {
    assertThat(Silence.fromJson(json("{'rule': 'drift-high', 'until': '2026-11-30T18:00:00Z'}")))
        .isEqualTo(new Silence("drift-high", java.time.Instant.parse("2026-11-30T18:00:00Z")));
    assertThatThrownBy(() -> Silence.fromJson(json("{'rule': 'drift-high', 'until': 'tomorrow'}")))
        .hasMessageContaining("field 'until' must be an RFC 3339 UTC time");
    assertThatThrownBy(() -> Silence.fromJson(json("{'until': '2026-11-30T18:00:00Z'}")))
        .hasMessageContaining("silence: field 'rule' is required");
  }
}
