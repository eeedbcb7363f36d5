package io.hindsight.server.connect;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.hindsight.server.ingest.IngestService;
import io.hindsight.server.schema.Table;
import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * What an import reads and how its rows become records; the options of {@code hindsight import}
 * and the body of {@code POST /v1/jobs/imports}.
 *
 * @param from a local folder or {@code s3://bucket/prefix}: the root of a Hive-layout tree
 * @param kind {@link Table#PREDICTIONS} or {@link Table#FEEDBACK}
 * @param idColumn the column holding {@code prediction_id}; null: ids are generated (predictions)
 * @param tsColumn the column holding {@code ts}; null: the time of import
 * @param mappings record key → source column: a system field ({@code model_version}), {@code
 *     tags.<name>}, or a key of {@code data}; unmapped columns become keys of their own name,
 *     unmapped partition columns tags (predictions) or keys (feedback)
 * @param watermark the column whose largest imported value is the watermark; null: no watermark
 * @param delay with a watermark, how far behind it rows are still taken (late data)
 * @param every null: run once; else the period between runs
 */
public record ImportSpec(
    String from,
    SourceFormat format,
    String endpoint,
    Table kind,
    String idColumn,
    String tsColumn,
    Map<String, String> mappings,
    String watermark,
    Duration delay,
    Duration every) {

  /** The shortest period between runs. */
  public static final Duration MIN_EVERY = Duration.ofSeconds(1);

  public ImportSpec {
    if (from == null || from.isBlank()) {
      throw new IllegalArgumentException("an import needs a source: a folder or s3://bucket/prefix ('from')");
    }
    if (format == null) {
      throw new IllegalArgumentException("an import needs a format: parquet, csv or json");
    }
    if (endpoint == null) {
      throw new IllegalArgumentException("an import needs the endpoint its records belong to");
    }
    IngestService.checkEndpointName(endpoint);
    if (kind != Table.PREDICTIONS && kind != Table.FEEDBACK) {
      throw new IllegalArgumentException("an import stores predictions or feedback");
    }
    mappings = Map.copyOf(mappings == null ? Map.of() : mappings);
    delay = delay == null ? Duration.ZERO : delay;
    if (delay.isNegative()) {
      throw new IllegalArgumentException("the delay must not be negative");
    }
    if (!delay.isZero() && watermark == null) {
      throw new IllegalArgumentException("a delay needs a watermark column to count back from (--watermark)");
    }
    if (every != null && every.compareTo(MIN_EVERY) < 0) {
      throw new IllegalArgumentException("'every' must be at least " + MIN_EVERY.toSeconds() + " s");
    }
    RecordColumns.checkTargets(kind, mappings.keySet());
  }

  /** Reads the JSON form {@code {"from", "format", "endpoint", "kind", "id_column"?, ...}}. */
  public static ImportSpec fromJson(JsonNode o) {
    if (o == null || !o.isObject()) {
      throw new IllegalArgumentException("an import is a JSON object: {\"from\", \"format\", \"endpoint\", \"kind\", ...}");
    }
    Map<String, String> map = new LinkedHashMap<>();
    JsonNode m = o.path("map");
    if (!m.isMissingNode() && !m.isNull()) {
      if (!m.isObject()) {
        throw new IllegalArgumentException("'map' is an object of record key to source column: {\"model_version\": \"version\"}");
      }
      m.fields().forEachRemaining(e -> map.put(e.getKey(), e.getValue().asText()));
    }
    return new ImportSpec(
        text(o, "from"),
        SourceFormat.of(required(o, "format")),
        required(o, "endpoint"),
        kind(o.hasNonNull("kind") ? o.get("kind").asText() : "predictions"),
        text(o, "id_column"),
        text(o, "ts_column"),
        map,
        text(o, "watermark"),
        duration(o, "delay"),
        duration(o, "every"));
  }

  /** {@code predictions} or {@code feedback}. */
  public static Table kind(String name) {
    return switch (name) {
      case "predictions" -> Table.PREDICTIONS;
      case "feedback" -> Table.FEEDBACK;
      default -> throw new IllegalArgumentException("kind '" + name + "' cannot be imported; use predictions or feedback");
    };
  }

  public ObjectNode toJson(ObjectMapper json) {
    ObjectNode o = json.createObjectNode();
    o.put("from", from);
    o.put("format", format.publicName());
    o.put("endpoint", endpoint);
    o.put("kind", kind.dirName());
    o.put("id_column", idColumn);
    o.put("ts_column", tsColumn);
    ObjectNode m = o.putObject("map");
    mappings.forEach(m::put);
    o.put("watermark", watermark);
    o.put("delay", delay.toString());
    o.put("every", every == null ? null : every.toString());
    return o;
  }

  private static String required(JsonNode o, String field) {
    String v = text(o, field);
    if (v == null) {
      throw new IllegalArgumentException("an import needs '" + field + "'");
    }
    return v;
  }

  private static String text(JsonNode o, String field) {
    JsonNode v = o.get(field);
    return v == null || v.isNull() || v.asText().isBlank() ? null : v.asText();
  }

  private static Duration duration(JsonNode o, String field) {
    String v = text(o, field);
    if (v == null) {
      return null;
    }
    try {
      return Duration.parse(v);
    } catch (DateTimeParseException e) {
      throw new IllegalArgumentException("'" + field + "' is an ISO-8601 duration such as PT1H or PT5M, not '" + v + "'");
    }
  }
}
