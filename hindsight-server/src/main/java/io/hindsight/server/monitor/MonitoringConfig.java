package io.hindsight.server.monitor;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * An endpoint's monitoring config (DESIGN §10): what the model does, where its score, prediction
 * and label are, which columns are features and segments, what the reference period is, and the
 * derived columns it adds to SQL. Parsed strictly: an unknown field or a wrong type is refused with
 * a message naming the field, so a typo never silently turns monitoring off.
 */
public record MonitoringConfig(
    Task task,
    String score,
    String prediction,
    double threshold,
    String positiveClass,
    String label,
    List<String> features,
    List<String> segments,
    Reference reference,
    Map<String, String> derived) {

  /** The period drift is measured against. */
  public sealed interface Reference {
    /** A fixed period. */
    record Window(Instant from, Instant to) implements Reference {}

    /** The first 7 days of a model version. */
    record Version(String modelVersion) implements Reference {}

    /** The period of this length just before the window examined (the default, P7D). */
    record Previous(Duration length) implements Reference {}
  }

  public static final Reference DEFAULT_REFERENCE = new Reference.Previous(Duration.ofDays(7));

  /** A derived column's name: like a logged key, so it reads the same in SQL. */
  private static final Pattern DERIVED_NAME = Pattern.compile("[A-Za-z][A-Za-z0-9_]{0,127}");

  private static final Set<String> FIELDS =
      Set.of(
          "task", "score", "prediction", "threshold", "positive_class", "label", "features", "segments",
          "reference", "derived");

  public MonitoringConfig {
    features = features == null ? null : List.copyOf(features);
    segments = List.copyOf(segments);
    derived = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(derived));
  }

  /** Whether {@code features} was left out: then every scalar logged key is a feature. */
  public boolean defaultFeatures() {
    return features == null;
  }

  /** Parses the JSON object of the API or the config file; IllegalArgumentException names the field. */
  public static MonitoringConfig parse(JsonNode node) {
    if (node == null || !node.isObject()) {
      throw new IllegalArgumentException("the monitoring config must be a JSON object, e.g. {\"task\": \"binary_classification\", \"score\": \"probabilities[1]\"}");
    }
    for (Iterator<String> it = node.fieldNames(); it.hasNext(); ) {
      String f = it.next();
      if (!FIELDS.contains(f)) {
        throw new IllegalArgumentException(
            "unknown field '" + f + "' in the monitoring config; known fields: " + String.join(", ", new java.util.TreeSet<>(FIELDS)));
      }
    }
    Task task;
    try {
      task = node.has("task") ? Task.fromWireName(text(node, "task")) : Task.BINARY_CLASSIFICATION;
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("'task': " + e.getMessage());
    }
    double threshold = 0.5;
    if (node.hasNonNull("threshold")) {
      if (!node.get("threshold").isNumber()) {
        throw new IllegalArgumentException("'threshold' must be a number, e.g. 0.5");
      }
      threshold = node.get("threshold").asDouble();
      if (!Double.isFinite(threshold)) {
        throw new IllegalArgumentException("'threshold' must be a finite number");
      }
    }
    String positiveClass = null;
    if (node.hasNonNull("positive_class")) {
      JsonNode p = node.get("positive_class");
      if (!p.isValueNode()) {
        throw new IllegalArgumentException("'positive_class' must be a string, number or boolean");
      }
      positiveClass = p.asText();
    }
    Map<String, String> derived = new LinkedHashMap<>();
    if (node.hasNonNull("derived")) {
      JsonNode d = node.get("derived");
      if (!d.isObject()) {
        throw new IllegalArgumentException("'derived' must be an object of name -> SQL expression");
      }
      for (Iterator<Map.Entry<String, JsonNode>> it = d.fields(); it.hasNext(); ) {
        Map.Entry<String, JsonNode> e = it.next();
        if (!DERIVED_NAME.matcher(e.getKey()).matches()) {
          throw new IllegalArgumentException(
              "derived column '" + e.getKey() + "': a name starts with a letter and has letters, digits and _ only");
        }
        if (!e.getValue().isTextual() || e.getValue().asText().isBlank()) {
          throw new IllegalArgumentException("derived column '" + e.getKey() + "' must be a SQL expression as a string");
        }
        derived.put(e.getKey(), e.getValue().asText());
      }
    }
    return new MonitoringConfig(
        task,
        optionalText(node, "score"),
        optionalText(node, "prediction"),
        threshold,
        positiveClass,
        optionalText(node, "label"),
        node.hasNonNull("features") ? texts(node, "features") : null,
        node.hasNonNull("segments") ? texts(node, "segments") : List.of(),
        node.hasNonNull("reference") ? reference(node.get("reference")) : DEFAULT_REFERENCE,
        derived);
  }

  /** Parses a reference object: {from, to}, {model_version} or {previous}. */
  public static Reference reference(JsonNode r) {
    if (!r.isObject()) {
      throw new IllegalArgumentException(
          "'reference' must be {\"from\": ..., \"to\": ...}, {\"model_version\": ...} or {\"previous\": \"P7D\"}");
    }
    if (r.has("model_version") && r.size() == 1) {
      return new Reference.Version(text(r, "model_version"));
    }
    if (r.has("previous") && r.size() == 1) {
      Duration d = duration("reference.previous", text(r, "previous"));
      return new Reference.Previous(d);
    }
    if (r.has("from") && r.has("to") && r.size() == 2) {
      Instant from = instant("reference.from", text(r, "from"));
      Instant to = instant("reference.to", text(r, "to"));
      if (!from.isBefore(to)) {
        throw new IllegalArgumentException("'reference.from' (" + from + ") must be before 'reference.to' (" + to + ")");
      }
      return new Reference.Window(from, to);
    }
    throw new IllegalArgumentException(
        "'reference' must be {\"from\": ..., \"to\": ...}, {\"model_version\": ...} or {\"previous\": \"P7D\"}, not " + r);
  }

  /** An ISO-8601 instant, e.g. 2026-11-01T00:00:00Z; the message names {@code field}. */
  public static Instant instant(String field, String value) {
    try {
      return Instant.parse(value);
    } catch (DateTimeParseException e) {
      throw new IllegalArgumentException("'" + field + "' must be an ISO-8601 UTC time such as 2026-11-01T00:00:00Z, not '" + value + "'");
    }
  }

  /** An ISO-8601 duration of days or less, e.g. P7D or PT1H; the message names {@code field}. */
  public static Duration duration(String field, String value) {
    try {
      Duration d = Duration.parse(value);
      if (d.isNegative() || d.isZero()) {
        throw new IllegalArgumentException("'" + field + "' must be longer than zero, not '" + value + "'");
      }
      return d;
    } catch (DateTimeParseException e) {
      throw new IllegalArgumentException("'" + field + "' must be an ISO-8601 duration such as P7D or PT1H, not '" + value + "'");
    }
  }

  private static String text(JsonNode node, String field) {
    JsonNode v = node.get(field);
    if (v == null || !v.isTextual() || v.asText().isBlank()) {
      throw new IllegalArgumentException("'" + field + "' must be a non-empty string");
    }
    return v.asText();
  }

  private static String optionalText(JsonNode node, String field) {
    return node.hasNonNull(field) ? text(node, field) : null;
  }

  private static List<String> texts(JsonNode node, String field) {
    JsonNode v = node.get(field);
    if (!v.isArray()) {
      throw new IllegalArgumentException("'" + field + "' must be an array of column references");
    }
    List<String> out = new ArrayList<>();
    for (JsonNode e : v) {
      if (!e.isTextual() || e.asText().isBlank()) {
        throw new IllegalArgumentException("'" + field + "' must hold column references as strings, not " + e);
      }
      out.add(e.asText());
    }
    return out;
  }

  /** The JSON form, as the API returns it. */
  public ObjectNode toJson(ObjectMapper json) {
    ObjectNode o = json.createObjectNode();
    o.put("task", task.wireName());
    o.put("score", score);
    o.put("prediction", prediction);
    o.put("threshold", threshold);
    o.put("positive_class", positiveClass);
    o.put("label", label);
    if (features == null) {
      o.putNull("features");
    } else {
      features.forEach(o.putArray("features")::add);
    }
    var segs = o.putArray("segments");
    segments.forEach(segs::add);
    ObjectNode r = o.putObject("reference");
    if (reference instanceof Reference.Window w) {
      r.put("from", w.from().toString()).put("to", w.to().toString());
    } else if (reference instanceof Reference.Version v) {
      r.put("model_version", v.modelVersion());
    } else if (reference instanceof Reference.Previous p) {
      r.put("previous", p.length().toString());
    }
    ObjectNode d = o.putObject("derived");
    derived.forEach(d::put);
    return o;
  }
}
