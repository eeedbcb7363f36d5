package io.hindsight.server.monitor;

import io.hindsight.server.schema.SqlText;
import io.hindsight.server.schema.Column;
import io.hindsight.server.schema.ColumnType;
import io.hindsight.server.schema.EndpointSchema;
import io.hindsight.server.schema.Table;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Turns the column references of DESIGN §10 into SQL over the {@code predictions} view: a system
 * field ({@code model_version}, {@code latency_ms}, {@code status}), {@code tags.<name>}, a logged
 * key, a logged key with a path into its JSON value ({@code probabilities[1]},
 * {@code features.merchant.risk}), or a derived column. A reference to nothing the endpoint has is
 * refused with the names it does have.
 */
final class ColumnReferences {
  /** System fields a reference may name; ids and timestamps are not monitored values. */
  static final Set<String> SYSTEM_FIELDS = Set.of("model_version", "latency_ms", "status", "error", "sample_rate", "request_id");

  private static final Pattern REFERENCE =
      Pattern.compile("([A-Za-z][A-Za-z0-9_]*)((?:\\.[A-Za-z0-9_\\-]+|\\[\\d+\\])*)");
  private static final Pattern STEP = Pattern.compile("\\.([A-Za-z0-9_\\-]+)|\\[(\\d+)\\]");

  private final String endpoint;
  private final EndpointSchema schema;
  private final Set<String> derived;

  /** @param schema the endpoint's predictions schema, null when it has logged nothing yet */
  ColumnReferences(String endpoint, EndpointSchema schema, Set<String> derived) {
    this.endpoint = endpoint;
    this.schema = schema;
    this.derived = derived;
  }

  /** What a reference points at, with the SQL that reads it. */
  record Resolved(String reference, String sql, Kind kind) {}

  /** How a resolved value reads: a path's JSON type is only known from the data. */
  enum Kind {
    NUMBER,
    BOOLEAN,
    TEXT,
    /** A path into JSON: {@link #sql} yields text; the data tells whether it holds numbers. */
    JSON_PATH
  }

  /** Resolves {@code reference} ({@code field} names where it came from, for the message). */
  Resolved resolve(String field, String reference) {
    Matcher m = REFERENCE.matcher(reference);
    if (!m.matches()) {
      throw new IllegalArgumentException(
          "'" + field + "': '" + reference + "' is not a column reference; use a key (amount), a system field"
              + " (model_version), tags.<name>, a path (probabilities[1], features.merchant.risk) or a derived column");
    }
    String head = m.group(1);
    String path = m.group(2);
    if (head.equals("tags")) {
      Matcher step = STEP.matcher(path);
      if (!step.lookingAt() || step.group(1) == null || step.end() != path.length()) {
        throw new IllegalArgumentException("'" + field + "': a tag is referenced as tags.<name>, not '" + reference + "'");
      }
      return new Resolved(reference, "tags[" + SqlText.string(step.group(1)) + "]", Kind.TEXT);
    }
    if (derived.contains(head)) {
      if (!path.isEmpty()) {
        throw new IllegalArgumentException("'" + field + "': derived column '" + head + "' has no path; use '" + head + "'");
      }
      return new Resolved(reference, SqlText.identifier(head), Kind.TEXT);
    }
    if (SYSTEM_FIELDS.contains(head)) {
      if (!path.isEmpty()) {
        throw new IllegalArgumentException("'" + field + "': system field '" + head + "' has no path");
      }
      ColumnType type =
          Table.PREDICTIONS.systemColumns().stream().filter(c -> c.name().equals(head)).findFirst().orElseThrow().type();
      return new Resolved(reference, SqlText.identifier(head), kindOf(type));
    }
    Column column = schema == null ? null : schema.column(head);
    if (column == null) {
      throw new IllegalArgumentException(
          "'" + field + "': endpoint '" + endpoint + "' has no column '" + head + "'"
              + (schema == null ? " (it has logged no predictions yet)" : "; its columns: " + known()));
    }
    if (path.isEmpty()) {
      return new Resolved(reference, SqlText.identifier(column.name()), kindOf(column.type()));
    }
    if (!column.type().isJsonText()) {
      throw new IllegalArgumentException(
          "'" + field + "': '" + column.name() + "' holds " + column.type().publicName() + " values, so '" + path
              + "' cannot point into it; paths apply to arrays and objects");
    }
    return new Resolved(reference, "json_extract_string(" + SqlText.identifier(column.name()) + ", " + SqlText.string(jsonPath(path)) + ")", Kind.JSON_PATH);
  }

  /** Every logged key of a scalar type: the features when the config names none. */
  List<String> scalarKeys() {
    List<String> out = new ArrayList<>();
    if (schema != null) {
      for (Column c : schema.columns()) {
        if (!c.type().isJsonText() && c.type() != ColumnType.MAP && c.type() != ColumnType.TIMESTAMP) {
          out.add(c.name());
        }
      }
    }
    return out;
  }

  private String known() {
    Set<String> names = new TreeSet<>(SYSTEM_FIELDS);
    schema.columns().forEach(c -> names.add(c.name()));
    names.addAll(derived);
    return String.join(", ", names);
  }

  private static Kind kindOf(ColumnType type) {
    return switch (type) {
      case BIGINT, DOUBLE -> Kind.NUMBER;
      case BOOLEAN -> Kind.BOOLEAN;
      default -> Kind.TEXT;
    };
  }

  /** {@code .merchant.risk[0]} as DuckDB's JSON path {@code $."merchant"."risk"[0]}. */
  private static String jsonPath(String path) {
    StringBuilder sb = new StringBuilder("$");
    Matcher step = STEP.matcher(path);
    while (step.find()) {
      sb.append(step.group(1) != null ? ".\"" + step.group(1) + "\"" : "[" + step.group(2) + "]");
    }
    return sb.toString();
  }
}
