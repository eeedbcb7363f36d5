package io.hindsight.compat;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The lake as Trino tables (Hive connector), one per endpoint and kind, declared from the
 * endpoint's schema ({@code GET /v1/endpoints/{e}/schema}), and a view over every endpoint that
 * brings a key's types to one: the recipe docs/DEPLOY.md ("Trino") gives, as code.
 */
final class TrinoTables {
  /** A column as the schema API names and types it. */
  record Column(String name, String type) {}

  /** An endpoint's table: its name in Trino and its columns. */
  record EndpointTable(String endpoint, String table, List<Column> columns) {}

  private TrinoTables() {}

  /** The columns of a {@code GET /v1/endpoints/{e}/schema} answer, system columns first. */
  static List<Column> columns(JsonNode schema) {
    List<Column> out = new ArrayList<>();
    for (JsonNode c : schema.path("columns")) {
      out.add(new Column(c.path("name").asText(), c.path("type").asText()));
    }
    return out;
  }

  /**
   * {@code CREATE TABLE} of one endpoint's files, e.g. {@code predictions_fraud} over {@code
   * s3://bucket/prefix/predictions/endpoint=fraud}, partitioned by {@code date}. Register its
   * partitions after with {@code CALL system.sync_partition_metadata(schema, table, 'FULL')}.
   */
  static String createTable(String table, List<Column> columns, String endpointLocation) {
    List<String> defs = new ArrayList<>();
    for (Column c : columns) {
      defs.add(quote(c.name()) + " " + trinoType(c.type()));
    }
    defs.add("\"date\" date");
    return "CREATE TABLE " + table + " (" + String.join(", ", defs) + ") WITH ("
        + "external_location = '" + endpointLocation + "', format = 'PARQUET', partitioned_by = ARRAY['date'])";
  }

  /**
   * A view over every endpoint's table with an {@code endpoint} column: a key the endpoints typed differently becomes double when they are bigint
   * and double, else varchar; a key an endpoint lacks is null there.
   */
  static String unionView(String view, List<EndpointTable> tables) {
    Map<String, String> common = new LinkedHashMap<>();
    for (EndpointTable t : tables) {
      for (Column c : t.columns()) {
        common.merge(c.name(), trinoType(c.type()), TrinoTables::commonType);
      }
    }
    List<String> selects = new ArrayList<>();
    for (EndpointTable t : tables) {
      Map<String, String> own = new LinkedHashMap<>();
      for (Column c : t.columns()) {
        own.put(c.name(), trinoType(c.type()));
      }
      List<String> cols = new ArrayList<>();
      cols.add("'" + t.endpoint() + "' AS endpoint");
      for (Map.Entry<String, String> c : common.entrySet()) {
        String type = own.get(c.getKey());
        String value = type == null ? "NULL" : quote(c.getKey());
        cols.add(c.getValue().equals(type) ? value : cast(value, type, c.getValue()) + " AS " + quote(c.getKey()));
      }
      cols.add("\"date\"");
      selects.add("SELECT " + String.join(", ", cols) + " FROM " + t.table());
    }
    return "CREATE OR REPLACE VIEW " + view + " AS " + String.join(" UNION ALL ", selects);
  }

  private static String cast(String value, String from, String to) {
    // Trino writes a double as text in scientific notation (9.5E0); its JSON text is plain (9.5).
    return "double".equals(from) && to.equals("varchar")
        ? "json_format(CAST(" + value + " AS json))"
        : "CAST(" + value + " AS " + to + ")";
  }

  /** The Trino type of a schema API type; nested values and media references are JSON text. */
  static String trinoType(String schemaType) {
    return switch (schemaType) {
      case "boolean" -> "boolean";
      case "bigint" -> "bigint";
      case "double" -> "double";
      case "timestamp" -> "timestamp(6)";
      case "map" -> "map(varchar, varchar)";
      case "string", "json", "media" -> "varchar";
      default -> throw new IllegalArgumentException("no Trino type for schema type '" + schemaType + "'");
    };
  }

  private static String commonType(String a, String b) {
    if (a.equals(b)) {
      return a;
    }
    boolean numbers = (a.equals("bigint") || a.equals("double")) && (b.equals("bigint") || b.equals("double"));
    return numbers ? "double" : "varchar";
  }

  private static String quote(String name) {
    return "\"" + name.replace("\"", "\"\"") + "\"";
  }
}
