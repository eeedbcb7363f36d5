package io.hindsight.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Iterator;
import java.util.Map;
import java.util.Set;

/**
 * Flat records — every key at the top level, as a CSV row has them — turned into the wire form
 * (DESIGN §4): a kind's system fields stay at the top, every other key goes into {@code data}.
 * CSV rows and NDJSON or JSON objects without a {@code data} object take this one path.
 */
final class FlatRecords {
  /** The top-level fields of a record of each kind, as the server accepts them. */
  private static final Map<String, Set<String>> SYSTEM_FIELDS =
      Map.of(
          "predictions",
          Set.of("prediction_id", "ts", "model_version", "request_id", "tags", "latency_ms", "status", "error", "sample_rate"),
          "feedback", Set.of("prediction_id", "ts"),
          "events", Set.of("ts", "kind", "text"));

  /** System fields that are text even when they look like a number or a boolean in a CSV cell. */
  private static final Set<String> TEXT_FIELDS =
      Set.of("prediction_id", "model_version", "request_id", "status", "error", "kind", "text");

  private FlatRecords() {}

  static boolean isKind(String kind) {
    return SYSTEM_FIELDS.containsKey(kind);
  }

  /** A JSON object as it is when it has a {@code data} object, else read as a flat record. */
  static ObjectNode fromJson(ObjectNode object, String kind) {
    if (object.has("data")) {
      return object;
    }
    ObjectNode record = JsonNodeFactory.instance.objectNode();
    ObjectNode data = JsonNodeFactory.instance.objectNode();
    for (Iterator<Map.Entry<String, JsonNode>> it = object.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> e = it.next();
      (SYSTEM_FIELDS.get(kind).contains(e.getKey()) ? record : data).set(e.getKey(), e.getValue());
    }
    // Events may go without data; predictions and feedback always have it.
    if (!kind.equals("events") || !data.isEmpty()) {
      record.set("data", data);
    }
    return record;
  }

  /** A CSV row: empty cells left out, the rest typed (number, boolean, text), then read as a flat record. */
  static ObjectNode fromCsv(Map<String, String> row, String kind) {
    ObjectNode flat = JsonNodeFactory.instance.objectNode();
    for (Map.Entry<String, String> e : row.entrySet()) {
      String v = e.getValue();
      if (v == null || v.isEmpty()) {
        continue;
      }
      if (TEXT_FIELDS.contains(e.getKey())) {
        flat.put(e.getKey(), v);
      } else if (v.equals("true") || v.equals("false")) {
        flat.put(e.getKey(), Boolean.parseBoolean(v));
      } else if (v.matches("-?(0|[1-9][0-9]{0,17})")) {
        flat.put(e.getKey(), Long.parseLong(v));
      } else if (v.matches("-?[0-9]+(\\.[0-9]+)?([eE][-+]?[0-9]+)?")) {
        flat.put(e.getKey(), Double.parseDouble(v));
      } else {
        flat.put(e.getKey(), v);
      }
    }
    return fromJson(flat, kind);
  }
}
