package io.hindsight.server.schema;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.BiConsumer;

/**
 * The one shape of a stored record that the lookup API returns and the audit log hashes: system
 * fields at the top, the endpoint's own keys under {@code data}, JSON values parsed back, nulls
 * left out. Built from a normalized row at ingest and from a lake row at lookup and verification,
 * through the same {@link #shape}, so the two agree for every column type.
 */
public final class LookupRecord {
  /** How the lookup writes a timestamp: RFC 3339, UTC, microseconds. */
  public static final DateTimeFormatter TS = DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSSSSS'Z'");
  private static final Set<String> HIDDEN = Set.of("endpoint", "date", Table.LEAF);

  private LookupRecord() {}

  /**
   * The record of a normalized row, as the lookup returns it once the row is in the lake: the
   * same fields in the same order (the table's system columns first, as its files hold them).
   */
  public static Map<String, Object> of(Row row, ObjectMapper json) {
    Map<String, Object> columns = new LinkedHashMap<>();
    for (Table.SystemColumn c : row.table().systemColumns()) {
      columns.put(c.name(), c.name().equals("ts") ? formatMicros(row.tsMicros()) : row.values().get(c.name()));
    }
    row.values().forEach(columns::putIfAbsent);
    return shape(row.table(), row.endpoint(), columns, null, json);
  }

  /**
   * The RFC 8785 text of the record {@link #of} shapes (what an audited record's leaf hashes),
   * written from the row without building the record's maps.
   */
  public static byte[] canonical(Row row, ObjectMapper json) throws IOException {
    List<Map.Entry<String, Object>> top = new ArrayList<>(12);
    List<Map.Entry<String, Object>> data = new ArrayList<>(row.values().size());
    top.add(Map.entry("endpoint", row.endpoint()));
    top.add(Map.entry("ts", formatMicros(row.tsMicros())));
    top.add(Map.entry("data", new CanonicalJson.Members(data)));
    BiConsumer<String, Object> toTop = (k, v) -> top.add(Map.entry(k, v));
    BiConsumer<String, Object> toData = (k, v) -> data.add(Map.entry(k, v));
    for (Map.Entry<String, Object> e : row.values().entrySet()) {
      if (!e.getKey().equals("ts")) { // held apart, in tsMicros
        place(row.table(), e.getKey(), e.getValue(), null, json, toTop, toData);
      }
    }
    return CanonicalJson.of(new CanonicalJson.Members(top));
  }

  /** Whether a column of a stored row appears in the record (partition columns and the leaf do not). */
  public static boolean shows(String column) {
    return !HIDDEN.contains(column);
  }

  /** The record's name of a system column. */
  public static String fieldName(String systemColumn) {
    return systemColumn.equals("_conflicts") ? "conflicts" : systemColumn;
  }

  /** A timestamp in µs since the epoch as the lookup writes it. */
  public static String formatMicros(long micros) {
    return TS.format(Instant.ofEpochSecond(Math.floorDiv(micros, 1_000_000L), Math.floorMod(micros, 1_000_000L) * 1000).atOffset(ZoneOffset.UTC));
  }

  /**
   * Shapes a record from its columns by name: values as the query engine returns them
   * (timestamps as text, maps, numbers, strings) or as a normalized row holds them ({@link
   * JsonText} for JSON). {@code schema} says which text columns hold JSON; null when JSON values
   * are {@link JsonText}.
   */
  public static Map<String, Object> shape(
      Table table, String endpoint, Map<String, Object> columns, EndpointSchema schema, ObjectMapper json) {
    Map<String, Object> out = new LinkedHashMap<>();
    Map<String, Object> data = new LinkedHashMap<>();
    out.put("endpoint", endpoint);
    for (Map.Entry<String, Object> e : columns.entrySet()) {
      place(table, e.getKey(), e.getValue(), schema, json, out::put, data::put);
    }
    out.put("data", data);
    return out;
  }

  /**
   * Where a column goes in the record: a system field at the top, a key of the endpoint's under
   * {@code data} (JSON text parsed back), a null or hidden column nowhere.
   */
  private static void place(
      Table table, String name, Object v, EndpointSchema schema, ObjectMapper json,
      BiConsumer<String, Object> top, BiConsumer<String, Object> data) {
    if (v == null || !shows(name)) {
      return;
    }
    if (table.isSystemColumn(name)) {
      top.accept(fieldName(name), name.equals("_conflicts") ? parsed(v, json) : v);
      return;
    }
    Column c = schema == null ? null : schema.column(name);
    boolean jsonText = v instanceof JsonText || (c != null && c.type().isJsonText() && v instanceof String);
    data.accept(name, jsonText ? parsed(v, json) : v);
  }

  /** JSON text as the value it holds; canonical text stays as it is (it is written verbatim). */
  private static Object parsed(Object v, ObjectMapper json) {
    if (v instanceof JsonText t && t.canonical()) {
      return t;
    }
    String text = v instanceof JsonText ? ((JsonText) v).json() : v.toString();
    try {
      return json.readValue(text, Object.class);
    } catch (IOException e) {
      return text;
    }
  }
}
