package io.hindsight.server.alert;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.Set;

/** A rule muted until a time: its state is still tracked, its notifications are not sent. */
public record Silence(String rule, Instant until) {

  /**
   * Reads {@code {"rule": "drift-high", "until": "2026-11-30T18:00:00Z"}}, the body of {@code POST
   * /v1/alerts/silences}; whether the rule exists and the time is ahead is the engine's check.
   *
   * @throws IllegalArgumentException naming the field that is wrong
   */
  public static Silence fromJson(JsonNode json) {
    JsonFields f = new JsonFields("silence", json, Set.of("rule", "until"));
    String rule = f.requiredText("rule");
    String until = f.requiredText("until");
    try {
      return new Silence(rule, Instant.parse(until));
    } catch (DateTimeParseException e) {
      throw new IllegalArgumentException(
          "silence: field 'until' must be an RFC 3339 UTC time such as 2026-11-30T18:00:00Z, got '" + until + "'");
    }
  }

  public ObjectNode toJson() {
    return JsonNodeFactory.instance.objectNode().put("rule", rule).put("until", until.toString());
  }
}
