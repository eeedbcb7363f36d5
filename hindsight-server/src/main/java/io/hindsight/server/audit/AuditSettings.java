package io.hindsight.server.audit;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Period;
import java.time.format.DateTimeParseException;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Whether an endpoint is audited and how long its records must be kept at least (WORM):
 * {@code {"enabled": true, "retain_min": "P25M"}}.
 *
 * @param retainMin null when no minimum is set
 */
public record AuditSettings(boolean enabled, Period retainMin) {

  /** Reads the JSON form; throws IllegalArgumentException naming the field that is wrong. */
  public static AuditSettings parse(JsonNode node) {
    if (node == null || !node.isObject()) {
      throw new IllegalArgumentException("audit settings must be an object like {\"enabled\": true, \"retain_min\": \"P25M\"}");
    }
    node.fieldNames().forEachRemaining(f -> {
      if (!f.equals("enabled") && !f.equals("retain_min")) {
        throw new IllegalArgumentException("unknown audit setting '" + f + "'; the settings are enabled and retain_min");
      }
    });
    JsonNode enabled = node.get("enabled");
    if (enabled == null || !enabled.isBoolean()) {
      throw new IllegalArgumentException("'enabled' must be true or false");
    }
    JsonNode retain = node.get("retain_min");
    Period retainMin = null;
    if (retain != null && !retain.isNull()) {
      try {
        retainMin = Period.parse(retain.asText());
      } catch (DateTimeParseException e) {
        throw new IllegalArgumentException(
            "'retain_min' must be an ISO-8601 period such as P6M or P25M, not '" + retain.asText() + "'");
      }
      if (retainMin.isNegative()) {
        throw new IllegalArgumentException("'retain_min' must not be negative");
      }
    }
    return new AuditSettings(enabled.asBoolean(), retainMin);
  }

  /** The JSON form. */
  public Map<String, Object> toJson() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("enabled", enabled);
    m.put("retain_min", retainMin == null ? null : retainMin.toString());
    return m;
  }
}
