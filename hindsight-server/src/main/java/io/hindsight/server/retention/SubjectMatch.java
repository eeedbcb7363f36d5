package io.hindsight.server.retention;

import com.fasterxml.jackson.databind.JsonNode;
import io.hindsight.server.ApiException;
import io.hindsight.server.schema.Column;
import io.hindsight.server.schema.ColumnType;
import io.hindsight.server.schema.EndpointSchema;
import io.hindsight.server.schema.SchemaRegistry;
import io.hindsight.server.schema.SqlText;
import io.hindsight.server.schema.Table;
import java.util.Set;

/**
 * How an erasure finds a data subject's records in one table: the SQL condition "{@code key} equals
 * {@code value}". The key is a user key of the endpoint (matched case-insensitively, as SQL does),
 * {@code prediction_id}, {@code request_id}, {@code model_version}, or a tag as {@code tags.<name>};
 * only scalar keys (string, bigint, double, boolean) can be matched. The value is compared typed:
 * {@code 712} and {@code "712"} both match a bigint 712.
 *
 * @param column the column the condition needs in a file (null: the table cannot match)
 * @param condition the SQL condition (null: the table cannot match)
 */
record SubjectMatch(String column, String condition) {
  private static final Set<String> SYSTEM_KEYS = Set.of("prediction_id", "request_id", "model_version");
  static final SubjectMatch NONE = new SubjectMatch(null, null);

  boolean possible() {
    return condition != null;
  }

  /** Whether a file (or files) with these columns can hold a match. */
  boolean applies(Set<String> columns) {
    return possible() && columns.contains(column);
  }

  /**
   * The match in {@code table}, or {@link #NONE} when the table has no such key.
   *
   * @throws ApiException 400 when the value cannot be of the key's type or the key is not scalar
   */
  static SubjectMatch of(SchemaRegistry schemas, Table table, String endpoint, String key, JsonNode value) {
    if (key.startsWith("tags.") && table == Table.PREDICTIONS) {
      String tag = key.substring("tags.".length());
      return new SubjectMatch("tags", "tags[" + SqlText.string(tag) + "] = " + literal(key, ColumnType.STRING, value));
    }
    if (SYSTEM_KEYS.contains(key) && table.isSystemColumn(key)) {
      return new SubjectMatch(key, SqlText.identifier(key) + " = " + literal(key, ColumnType.STRING, value));
    }
    EndpointSchema schema = schemas.existing(table, endpoint);
    Column c = schema == null || table.isReserved(key) ? null : schema.column(key);
    if (c == null) {
      return NONE;
    }
    return new SubjectMatch(c.name(), SqlText.identifier(c.name()) + " = " + literal(key, c.type(), value));
  }

  /** The value as an SQL literal of the column's type. */
  private static String literal(String key, ColumnType type, JsonNode value) {
    String text = value.asText();
    switch (type) {
      case STRING:
        return SqlText.string(text);
      case BIGINT:
        try {
          return Long.toString(value.isIntegralNumber() ? value.longValue() : Long.parseLong(text));
        } catch (NumberFormatException e) {
          throw wrongType(key, type, value);
        }
      case DOUBLE:
        try {
          return "CAST(" + (value.isNumber() ? value.doubleValue() : Double.parseDouble(text)) + " AS DOUBLE)";
        } catch (NumberFormatException e) {
          throw wrongType(key, type, value);
        }
      case BOOLEAN:
        if (value.isBoolean() || text.equals("true") || text.equals("false")) {
          return Boolean.toString(value.isBoolean() ? value.booleanValue() : Boolean.parseBoolean(text));
        }
        throw wrongType(key, type, value);
      default:
        throw ApiException.badRequest(
            "'key': '" + key + "' holds " + type.publicName() + " values; erasure matches keys of strings, numbers or booleans");
    }
  }

  private static ApiException wrongType(String key, ColumnType type, JsonNode value) {
    return ApiException.badRequest("'value' " + value + " cannot be a value of '" + key + "', whose type is " + type.publicName());
  }
}
