package io.hindsight.server.alert;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Pattern;

/**
 * Reads the fields of one JSON object (a rule, a notifier) with messages that name the field, what
 * it must be and what was given. Unknown fields are refused: a misspelt {@code "thresold"} must not
 * silently leave a rule without its threshold.
 */
final class JsonFields {
  /** Label and annotation names, as Prometheus and Alertmanager accept them. */
  private static final Pattern LABEL_NAME = Pattern.compile("[a-zA-Z_][a-zA-Z0-9_]*");

  private final String what;
  private final JsonNode object;

  JsonFields(String what, JsonNode object, Set<String> allowed) {
    this.what = what;
    if (object == null || !object.isObject()) {
      throw new IllegalArgumentException(what + " must be a JSON object");
    }
    this.object = object;
    for (Iterator<String> names = object.fieldNames(); names.hasNext(); ) {
      String name = names.next();
      if (!allowed.contains(name)) {
        throw new IllegalArgumentException(
            what + ": unknown field '" + name + "'; known fields: " + String.join(", ", new TreeSet<>(allowed)));
      }
    }
  }

  private JsonNode present(String field) {
    JsonNode node = object.get(field);
    return node == null || node.isNull() ? null : node;
  }

  String requiredText(String field) {
    String value = optionalText(field, null);
    if (value == null || value.isEmpty()) {
      throw new IllegalArgumentException(what + ": field '" + field + "' is required");
    }
    return value;
  }

  String optionalText(String field, String orElse) {
    JsonNode node = present(field);
    if (node == null) {
      return orElse;
    }
    if (!node.isTextual()) {
      throw new IllegalArgumentException(what + ": field '" + field + "' must be a string, got " + node);
    }
    return node.textValue();
  }

  double requiredNumber(String field) {
    JsonNode node = present(field);
    if (node == null) {
      throw new IllegalArgumentException(what + ": field '" + field + "' is required (a number)");
    }
    if (!node.isNumber()) {
      throw new IllegalArgumentException(what + ": field '" + field + "' must be a number, got " + node);
    }
    return node.doubleValue();
  }

  /** An ISO-8601 duration ({@code PT10M}), at least {@code min}. */
  Duration duration(String field, Duration orElse, Duration min) {
    String text = optionalText(field, null);
    if (text == null) {
      return orElse;
    }
    Duration d;
    try {
      d = Duration.parse(text);
    } catch (DateTimeParseException e) {
      throw new IllegalArgumentException(
          what + ": field '" + field + "' must be an ISO-8601 duration such as PT10M or PT1H, got '" + text + "'");
    }
    if (d.compareTo(min) < 0) {
      throw new IllegalArgumentException(
          what + ": field '" + field + "' must be at least " + min + ", got " + text);
    }
    return d;
  }

  /** A JSON object of string values whose keys are Prometheus label names; sorted by key. */
  Map<String, String> labelMap(String field) {
    JsonNode node = present(field);
    if (node == null) {
      return Map.of();
    }
    if (!node.isObject()) {
      throw new IllegalArgumentException(what + ": field '" + field + "' must be an object of strings");
    }
    Map<String, String> map = new TreeMap<>();
    for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> e = it.next();
      if (!LABEL_NAME.matcher(e.getKey()).matches()) {
        throw new IllegalArgumentException(
            what + ": " + field + " name '" + e.getKey() + "' must match " + LABEL_NAME.pattern());
      }
      if (!e.getValue().isTextual()) {
        throw new IllegalArgumentException(
            what + ": " + field + "." + e.getKey() + " must be a string, got " + e.getValue());
      }
      map.put(e.getKey(), e.getValue().textValue());
    }
    return Collections.unmodifiableMap(map);
  }

  List<String> textList(String field) {
    JsonNode node = present(field);
    if (node == null) {
      return List.of();
    }
    if (!node.isArray()) {
      throw new IllegalArgumentException(what + ": field '" + field + "' must be an array of names");
    }
    List<String> list = new ArrayList<>();
    for (JsonNode item : node) {
      if (!item.isTextual()) {
        throw new IllegalArgumentException(what + ": field '" + field + "' must hold names (strings), got " + item);
      }
      list.add(item.textValue());
    }
    return List.copyOf(list);
  }
}
