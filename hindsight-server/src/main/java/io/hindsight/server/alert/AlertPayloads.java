package io.hindsight.server.alert;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.math.BigDecimal;
import java.net.URI;
import java.time.Instant;
import java.util.Locale;
import java.util.Map;

/** The bodies the notifiers post, in the formats their receivers expect. */
final class AlertPayloads {
  static final ObjectMapper JSON = new ObjectMapper();

  /** Go's zero time: the {@code endsAt} Alertmanager's webhook shows for an alert still firing. */
  static final String UNSET_TIME = "0001-01-01T00:00:00Z";

  private volatile String externalUrl;

  /** @param externalUrl the server's address as people reach it, for links back to the rule */
  AlertPayloads(URI externalUrl) {
    linkTo(externalUrl);
  }

  /** Where links back to the server point from now on. */
  void linkTo(URI externalUrl) {
    String url = externalUrl.toString();
    this.externalUrl = url.endsWith("/") ? url.substring(0, url.length() - 1) : url;
  }

  /** The body a notifier posts for {@code notice}; {@code pushValidUntil} is for an Alertmanager. */
  byte[] body(Notifier notifier, Notice notice, Instant pushValidUntil) {
    return bytes(
        switch (notifier.type()) {
          case ALERTMANAGER -> postableAlerts(notice, pushValidUntil);
          case WEBHOOK -> notifier.format() == Notifier.Format.SLACK ? slack(notice) : webhookV4(notice, notifier.name());
        });
  }

  /** Alertmanager's webhook payload, version 4, as its webhook receiver sends it for one alert. */
  ObjectNode webhookV4(Notice notice, String receiver) {
    Map<String, String> labels = AlertLabels.of(notice.rule());
    ObjectNode json = JSON.createObjectNode();
    json.put("version", "4");
    json.put("groupKey", "{}:{alertname=\"" + notice.rule().name() + "\"}");
    json.put("truncatedAlerts", 0);
    json.put("status", notice.status());
    json.put("receiver", receiver);
    json.putObject("groupLabels").put("alertname", notice.rule().name());
    labels.forEach(json.putObject("commonLabels")::put);
    notice.rule().annotations().forEach(json.putObject("commonAnnotations")::put);
    json.put("externalURL", externalUrl);
    ObjectNode alert = json.putArray("alerts").addObject();
    alert.put("status", notice.status());
    labels.forEach(alert.putObject("labels")::put);
    annotations(notice, alert.putObject("annotations"));
    alert.put("startsAt", notice.startsAt().toString());
    alert.put("endsAt", notice.resolved() ? notice.at().toString() : UNSET_TIME);
    alert.put("generatorURL", generatorUrl(notice.rule()));
    alert.put("fingerprint", AlertLabels.fingerprint(labels));
    return json;
  }

  /** The rule's annotations, and why the alert resolved when it was not its metric. */
  private static void annotations(Notice notice, ObjectNode out) {
    notice.rule().annotations().forEach(out::put);
    if (notice.reason() != null) {
      out.put("resolution", notice.reason());
    }
  }

  /** A Slack incoming webhook's message: one readable line. */
  ObjectNode slack(Notice notice) {
    AlertRule rule = notice.rule();
    StringBuilder text = new StringBuilder();
    text.append('[').append(notice.status().toUpperCase(Locale.ROOT)).append("] ")
        .append(rule.name()).append(" on ").append(rule.endpoint());
    if (!rule.segment().isEmpty()) {
      text.append(" [").append(rule.segment()).append(']');
    }
    text.append(": ").append(rule.metric());
    if (rule.column() != null) {
      text.append(" of ").append(rule.column());
    }
    text.append(notice.value() == null ? " has no data" : " = " + number(notice.value()))
        .append(" (threshold ").append(rule.op().symbol()).append(' ').append(number(rule.threshold())).append(')');
    if (notice.reason() != null) {
      text.append("; ").append(notice.reason());
    }
    String summary = rule.annotations().get("summary");
    if (summary != null) {
      text.append(" — ").append(summary);
    }
    return JSON.createObjectNode().put("text", text.toString());
  }

  /**
   * The body of Alertmanager's {@code POST /api/v2/alerts}: the alert as Prometheus pushes it, valid
   * until {@code validUntil} while firing (Alertmanager resolves it then unless it is sent again),
   * ended at the resolution time once resolved.
   */
  ArrayNode postableAlerts(Notice notice, Instant validUntil) {
    ArrayNode json = JSON.createArrayNode();
    ObjectNode alert = json.addObject();
    AlertLabels.of(notice.rule()).forEach(alert.putObject("labels")::put);
    annotations(notice, alert.putObject("annotations"));
    alert.put("startsAt", notice.startsAt().toString());
    alert.put("endsAt", (notice.resolved() ? notice.at() : validUntil).toString());
    alert.put("generatorURL", generatorUrl(notice.rule()));
    return json;
  }

  String generatorUrl(AlertRule rule) {
    return externalUrl + "/v1/alerts/rules/" + rule.name();
  }

  private static String number(double v) {
    return BigDecimal.valueOf(v).stripTrailingZeros().toPlainString();
  }

  private static byte[] bytes(Object json) {
    try {
      return JSON.writeValueAsBytes(json);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("a JSON tree always serializes", e);
    }
  }
}
