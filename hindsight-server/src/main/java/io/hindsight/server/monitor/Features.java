package io.hindsight.server.monitor;

import io.hindsight.server.schema.SqlText;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * The columns an endpoint's monitoring looks at, resolved to SQL over {@code predictions} with
 * whether they hold numbers: a logged key by its schema type, a derived column by the type DuckDB
 * gives its expression, a JSON path by what the endpoint's data holds there.
 */
final class Features {
  private static final Set<String> NUMERIC_SQL_TYPES =
      Set.of("TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "UTINYINT", "USMALLINT", "UINTEGER", "UBIGINT", "FLOAT", "DOUBLE");

  /** A monitored column: its reference as the user wrote it, the SQL that reads it, and its kind. */
  record Feature(String name, String sql, boolean numeric) {}

  private Features() {}

  /** Resolves {@code references} for {@code endpoint}; {@code field} names them in messages. */
  static List<Feature> resolve(Connection conn, ColumnReferences refs, String endpoint, String field, List<String> references)
      throws SQLException {
    List<ColumnReferences.Resolved> resolved = new ArrayList<>();
    for (String r : references) {
      resolved.add(refs.resolve(field, r));
    }
    List<Feature> out = new ArrayList<>();
    if (resolved.isEmpty()) {
      return out;
    }
    Set<String> viewColumns = viewColumns(conn);
    List<String> types = new ArrayList<>();
    StringBuilder describe = new StringBuilder("DESCRIBE SELECT ");
    for (int i = 0; i < resolved.size(); i++) {
      describe.append(i == 0 ? "" : ", ").append(readable(resolved.get(i), viewColumns)).append(" AS c").append(i);
    }
    try (Statement st = conn.createStatement();
        ResultSet rs = st.executeQuery(describe + " FROM predictions")) {
      while (rs.next()) {
        types.add(rs.getString("column_type"));
      }
    }
    for (int i = 0; i < resolved.size(); i++) {
      ColumnReferences.Resolved r = resolved.get(i);
      String sql = readable(r, viewColumns);
      if (r.kind() == ColumnReferences.Kind.JSON_PATH && !sql.equals("NULL")) {
        String held = jsonTypeHeld(conn, endpoint, sql);
        if (held.equals("number")) {
          out.add(new Feature(r.reference(), "TRY_CAST(" + sql + " AS DOUBLE)", true));
        } else {
          out.add(new Feature(r.reference(), sql, false));
        }
      } else {
        out.add(new Feature(r.reference(), sql, NUMERIC_SQL_TYPES.contains(types.get(i))));
      }
    }
    return out;
  }

  /** A logged key the lake has no file with yet reads as NULL instead of failing the query. */
  private static String readable(ColumnReferences.Resolved r, Set<String> viewColumns) {
    String head = r.reference().split("[.\\[]", 2)[0];
    if (!viewColumns.contains(head)) {
      return "NULL";
    }
    return r.sql();
  }

  private static Set<String> viewColumns(Connection conn) throws SQLException {
    Set<String> names = new java.util.HashSet<>();
    try (Statement st = conn.createStatement();
        ResultSet rs = st.executeQuery("DESCRIBE predictions")) {
      while (rs.next()) {
        names.add(rs.getString(1));
      }
    }
    return names;
  }

  /** "number" when most values at a JSON path of the endpoint's records are numbers, else "other". */
  private static String jsonTypeHeld(Connection conn, String endpoint, String textSql) throws SQLException {
    // json_extract_string(col, path) -> the JSON type is read from json_extract(col, path).
    String jsonSql = textSql.replaceFirst("^json_extract_string\\(", "json_extract(");
    String sql =
        "SELECT json_type(" + jsonSql + ") AS t, count(*) AS n FROM (SELECT * FROM predictions WHERE endpoint = "
            + SqlText.string(endpoint) + " ORDER BY ts DESC LIMIT 10000) WHERE " + jsonSql
            + " IS NOT NULL GROUP BY t ORDER BY n DESC LIMIT 1";
    try (Statement st = conn.createStatement();
        ResultSet rs = st.executeQuery(sql)) {
      if (rs.next()) {
        String t = rs.getString(1);
        return Set.of("BIGINT", "UBIGINT", "DOUBLE").contains(t) ? "number" : "other";
      }
      return "other";
    }
  }
}
