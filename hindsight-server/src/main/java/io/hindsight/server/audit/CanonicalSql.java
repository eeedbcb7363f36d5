package io.hindsight.server.audit;

import io.hindsight.server.schema.CanonicalJson;
import io.hindsight.server.schema.Column;
import io.hindsight.server.schema.EndpointSchema;
import io.hindsight.server.schema.LookupRecord;
import io.hindsight.server.schema.SqlText;
import io.hindsight.server.schema.Table;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * A DuckDB expression that renders a stored prediction as the canonical JSON its audit leaf
 * hashed, so that {@code audit verify} lets DuckDB read and render the lake on every core instead
 * of handing each value to Java. It follows {@link LookupRecord#shape} member by member; DuckDB
 * writes most values as RFC 8785 does (strings, integers, the shortest digits of most doubles,
 * microsecond timestamps), nested values are stored canonical on audited endpoints, and where it
 * writes a value differently (a control character's escape, a whole double from 2^53 to 1e21, a
 * record stored before nested values were kept canonical) the leaf simply does not match
 * and the verifier recomputes that record in Java. A rendering can thus only slow a verification
 * down, never pass a record that differs from the one hashed: it writes every shown column.
 */
final class CanonicalSql {
  /** Integers up to 2^53 are exact doubles, which RFC 8785 writes as plain digits. */
  private static final String EXACT = "9007199254740992";

  private CanonicalSql() {}

  /** A column of the source as DuckDB types it. */
  record SourceColumn(String name, String duckType) {}

  /**
   * The expression rendering a record of {@code endpoint} from the source's columns, or null when
   * a column has a type it cannot render (the verifier then recomputes every record in Java).
   */
  static String record(String endpoint, List<SourceColumn> columns, EndpointSchema schema) throws IOException {
    Map<String, String> top = new TreeMap<>(); // String order is RFC 8785's order of keys
    Map<String, String> data = new TreeMap<>();
    top.put("endpoint", SqlText.string(json("endpoint") + ":" + json(endpoint)));
    for (SourceColumn c : columns) {
      if (!LookupRecord.shows(c.name())) {
        continue;
      }
      boolean system = Table.PREDICTIONS.isSystemColumn(c.name());
      Column declared = schema == null || system ? null : schema.column(c.name());
      boolean jsonText = system ? c.name().equals("_conflicts") : declared != null && declared.type().isJsonText();
      String value = value(SqlText.identifier(c.name()), c.duckType(), jsonText);
      if (value == null) {
        return null;
      }
      String key = system ? LookupRecord.fieldName(c.name()) : c.name();
      (system ? top : data).put(key, member(c.name(), key, value));
    }
    top.put("data", SqlText.string(json("data") + ":{") + " || " + members(data) + " || '}'");
    return "'{' || " + members(top) + " || '}'";
  }

  private static String json(String s) throws IOException {
    return new String(CanonicalJson.of(s), StandardCharsets.UTF_8);
  }

  /** Members joined by commas; a member whose column is null is left out, as the lookup does. */
  private static String members(Map<String, String> members) {
    if (members.isEmpty()) {
      return "''";
    }
    return "concat_ws(',', " + String.join(", ", members.values()) + ")";
  }

  private static String member(String column, String key, String value) throws IOException {
    return "CASE WHEN " + SqlText.identifier(column) + " IS NULL THEN NULL ELSE " + SqlText.string(json(key) + ":") + " || " + value + " END";
  }

  private static String value(String col, String duckType, boolean jsonText) {
    return switch (duckType) {
      case "VARCHAR" -> jsonText ? col : "to_json(" + col + ")::VARCHAR";
      case "BIGINT", "INTEGER", "SMALLINT", "TINYINT" -> col + "::VARCHAR";
      // DuckDB writes 1e21 where ECMAScript writes 1e+21.
      case "DOUBLE", "FLOAT" ->
          "CASE WHEN " + col + " = round(" + col + ") AND abs(" + col + ") <= " + EXACT + " THEN " + col + "::BIGINT::VARCHAR"
              + " WHEN abs(" + col + ") >= 1e21 THEN replace(to_json(" + col + "::DOUBLE)::VARCHAR, 'e', 'e+')"
              + " ELSE to_json(" + col + "::DOUBLE)::VARCHAR END";
      case "BOOLEAN" -> "CASE WHEN " + col + " THEN 'true' ELSE 'false' END";
      case "TIMESTAMP WITH TIME ZONE", "TIMESTAMP" ->
          "strftime(make_timestamp(epoch_us(" + col + ")), '\"%Y-%m-%dT%H:%M:%S.%fZ\"')";
      // Audited endpoints store maps with their keys in order (AuditLog.canonical).
      case "MAP(VARCHAR, VARCHAR)" -> "to_json(" + col + ")::VARCHAR";
      default -> null;
    };
  }
}
