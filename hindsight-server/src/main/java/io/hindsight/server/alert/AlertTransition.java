package io.hindsight.server.alert;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Instant;
import java.util.Map;

/**
 * One change of a rule's state, as the server records it: a row of the SQL table {@code alerts} and
 * an event of kind {@code alert} on the endpoint's timeline.
 *
 * @param value the metric's value at that evaluation; null when the window had no rows
 * @param labels the alert's labels: {@code alertname}, {@code endpoint} and the rule's labels
 */
public record AlertTransition(
    String rule,
    String endpoint,
    String metric,
    String column,
    String segment,
    AlertState from,
    AlertState to,
    Double value,
    String op,
    double threshold,
    Instant at,
    Map<String, String> labels,
    Map<String, String> annotations) {

  static AlertTransition of(AlertRule rule, AlertState from, AlertState to, Double value, Instant at) {
    return new AlertTransition(
        rule.name(), rule.endpoint(), rule.metric(), rule.column(), rule.segment(), from, to, value,
        rule.op().symbol(), rule.threshold(), at, AlertLabels.of(rule), rule.annotations());
  }

  /**
   * The change as JSON, e.g. for the {@code data} of the {@code alert} event: {@code rule, metric,
   * column, segment, from, to, value, op, threshold, at, labels, annotations} (states in lower case).
   */
  public ObjectNode toJson() {
    ObjectNode json = JsonNodeFactory.instance.objectNode();
    json.put("rule", rule);
    json.put("endpoint", endpoint);
    json.put("metric", metric);
    json.put("column", column);
    json.put("segment", segment);
    json.put("from", from.jsonName());
    json.put("to", to.jsonName());
    json.put("value", value);
    json.put("op", op);
    json.put("threshold", threshold);
    json.put("at", at.toString());
    labels.forEach(json.putObject("labels")::put);
    annotations.forEach(json.putObject("annotations")::put);
    return json;
  }
}
