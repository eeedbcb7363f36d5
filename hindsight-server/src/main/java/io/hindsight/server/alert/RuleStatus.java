package io.hindsight.server.alert;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Instant;

/**
 * A rule with its state now, as {@code GET /v1/alerts} lists it.
 *
 * @param value the metric at the last evaluation; null before the first or when the window was empty
 * @param since when the alert became active (pending, then firing), or when it last became inactive;
 *     null before the first evaluation
 * @param lastError why the last evaluation failed; null when it succeeded
 * @param silencedUntil the end of the rule's silence; null when not silenced
 */
public record RuleStatus(
    AlertRule rule,
    AlertState state,
    Double value,
    Instant since,
    Instant lastEvaluation,
    String lastError,
    Instant silencedUntil) {

  /** {@code {"name": ..., <the rule's fields>, "state", "value", "since", "last_evaluation", "last_error", "silenced_until"}}. */
  public ObjectNode toJson() {
    ObjectNode json = JsonNodeFactory.instance.objectNode();
    json.put("name", rule.name());
    json.setAll(rule.toJson());
    json.put("state", state.jsonName());
    json.put("value", value);
    json.put("since", text(since));
    json.put("last_evaluation", text(lastEvaluation));
    json.put("last_error", lastError);
    json.put("silenced_until", text(silencedUntil));
    return json;
  }

  private static String text(Instant t) {
    return t == null ? null : t.toString();
  }
}
