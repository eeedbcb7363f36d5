package io.hindsight.server.connect;

import io.hindsight.server.schema.SqlText;
import io.hindsight.server.schema.Table;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * How one source file's rows become records: the SQL that has DuckDB write each row as the JSON
 * record the ingest API takes, in UTF-8 (so values keep their types without passing through Java one by
 * one), whether the row is behind the cutoff, and its watermark value.
 */
final class RecordColumns {
  /** Record fields besides {@code data} and {@code tags} a mapping may fill, per kind. */
  private static final Map<Table, Set<String>> FIELDS =
      Map.of(
          Table.PREDICTIONS,
          Set.of("prediction_id", "ts", "model_version", "request_id", "latency_ms", "status", "error", "sample_rate"),
          Table.FEEDBACK,
          Set.of("prediction_id", "ts"));

  /** Fields sent as text whatever the column's type. */
  private static final Set<String> TEXT_FIELDS = Set.of("prediction_id", "model_version", "request_id", "status", "error");

  private static final String TAGS = "tags.";

  private RecordColumns() {}

  /** A column of a source file as DuckDB describes it. */
  record Column(String name, String type) {}

  /** Refuses mapping targets the kind has no place for. */
  static void checkTargets(Table kind, Collection<String> targets) {
    for (String t : targets) {
      if (t.startsWith(TAGS)) {
        if (kind != Table.PREDICTIONS) {
          throw new IllegalArgumentException("--map " + t + "=...: feedback has no tags; map the column to a key");
        }
        if (t.length() == TAGS.length()) {
          throw new IllegalArgumentException("--map tags.=...: name the tag, e.g. tags.region=region");
        }
      } else if (t.isEmpty() || t.equals("data") || t.equals("tags")) {
        throw new IllegalArgumentException(
            "--map " + t + "=...: map to a key, a system field (model_version...) or tags.<name>");
      }
    }
  }

  /** Record key → source column: the mappings, with the id and ts columns. */
  static Map<String, String> mappings(ImportSpec spec) {
    Map<String, String> m = new LinkedHashMap<>(spec.mappings());
    put(m, "prediction_id", spec.idColumn(), "--id-column");
    put(m, "ts", spec.tsColumn(), "--ts-column");
    return m;
  }

  private static void put(Map<String, String> m, String key, String column, String option) {
    if (column == null) {
      return;
    }
    String earlier = m.putIfAbsent(key, column);
    if (earlier != null && !earlier.equals(column)) {
      throw new IllegalArgumentException(option + " " + column + " and --map " + key + "=" + earlier + " both fill " + key);
    }
  }

  /**
   * The query over one file: {@code record} (the JSON record as UTF-8 bytes), {@code late} (behind {@code
   * cutoffMicros}), {@code wm} (the watermark column in µs, or null).
   *
   * @param partitions the file's Hive partition values, column → value, from its path
   * @param cutoffMicros null: no row is late
   */
  static String select(
      ImportSpec spec, String fileName, String read, List<Column> columns, Map<String, String> partitions, Long cutoffMicros) {
    Map<String, String> types = new LinkedHashMap<>();
    columns.forEach(c -> types.put(c.name(), c.type()));
    Map<String, String> values = new LinkedHashMap<>();
    columns.forEach(c -> values.put(c.name(), SqlText.identifier(c.name())));
    // A column the file holds itself wins over a partition of the same name.
    partitions.forEach((k, v) -> values.putIfAbsent(k, SqlText.string(v)));

    Map<String, String> mappings = mappings(spec);
    Map<String, String> top = new LinkedHashMap<>();
    Map<String, String> tags = new LinkedHashMap<>();
    Map<String, String> data = new LinkedHashMap<>();
    for (Map.Entry<String, String> m : mappings.entrySet()) {
      String expr = values.get(m.getValue());
      if (expr == null) {
        throw new IllegalArgumentException(
            fileName + " has no column '" + m.getValue() + "' for " + m.getKey() + "; its columns: " + values.keySet());
      }
      String key = m.getKey();
      if (key.equals("ts") && isTemporal(types.get(m.getValue()))) {
        // A plain TIMESTAMP is taken as UTC as it is (the cast would cost a third of the read).
        String utc = "TIMESTAMP".equals(types.get(m.getValue())) ? expr : "CAST(" + expr + " AS TIMESTAMPTZ)";
        top.put(key, "strftime(" + utc + ", '%Y-%m-%dT%H:%M:%S.%fZ')");
      } else if (FIELDS.get(spec.kind()).contains(key)) {
        top.put(key, TEXT_FIELDS.contains(key) ? text(expr) : expr);
      } else if (key.startsWith(TAGS)) {
        tags.put(key.substring(TAGS.length()), text(expr));
      } else {
        data.put(key, expr);
      }
    }
    Set<String> mapped = Set.copyOf(mappings.values());
    for (Map.Entry<String, String> v : values.entrySet()) {
      if (mapped.contains(v.getKey())) {
        continue;
      }
      boolean partition = !types.containsKey(v.getKey());
      if (partition && spec.kind().isReserved(v.getKey())) {
        // date=... and the like: the lake lays out its own from ts; map the column to keep it.
        continue;
      }
      if (partition && spec.kind() == Table.PREDICTIONS) {
        tags.putIfAbsent(v.getKey(), v.getValue());
      } else {
        data.putIfAbsent(v.getKey(), v.getValue());
      }
    }
    List<String> record = new ArrayList<>();
    top.forEach((k, e) -> record.add(SqlText.string(k) + ", " + e));
    if (!tags.isEmpty()) {
      record.add("'tags', " + object(tags));
    }
    record.add("'data', " + object(data));

    String wm = "NULL::BIGINT";
    if (spec.watermark() != null) {
      String column = values.get(spec.watermark());
      if (column == null) {
        throw new IllegalArgumentException(
            fileName + " has no watermark column '" + spec.watermark() + "'; its columns: " + values.keySet());
      }
      wm = "epoch_us(CAST(" + column + " AS TIMESTAMPTZ))";
    }
    String late = cutoffMicros == null ? "false" : "coalesce(" + wm + " <= " + cutoffMicros + ", false)";
    // As bytes (UTF-8): fetching a BLOB through JDBC costs a third of decoding a string.
    return "SELECT encode(json_object(" + String.join(", ", record) + ")::VARCHAR) AS record, " + late + " AS late, " + wm
        + " AS wm FROM " + read;
  }

  private static String object(Map<String, String> fields) {
    List<String> parts = new ArrayList<>();
    fields.forEach((k, e) -> parts.add(SqlText.string(k) + ", " + e));
    return "json_object(" + String.join(", ", parts) + ")";
  }

  private static String text(String expr) {
    return "CAST(" + expr + " AS VARCHAR)";
  }

  private static boolean isTemporal(String type) {
    return type != null && (type.startsWith("TIMESTAMP") || type.equals("DATE"));
  }
}
