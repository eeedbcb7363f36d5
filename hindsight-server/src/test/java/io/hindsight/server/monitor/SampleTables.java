package io.hindsight.server.monitor;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.StringJoiner;
import org.duckdb.DuckDBAppender;
import org.duckdb.DuckDBConnection;

/** Generated samples loaded into tables of an in-memory DuckDB. */
final class SampleTables implements AutoCloseable {
  final DuckDBConnection db;

  SampleTables() throws SQLException {
    db = (DuckDBConnection) DriverManager.getConnection("jdbc:duckdb:");
  }

  Connection connection() {
    return db;
  }

  static double[] normal(Random random, int n, double mean, double std) {
    double[] v = new double[n];
    for (int i = 0; i < n; i++) {
      v[i] = mean + std * random.nextGaussian();
    }
    return v;
  }

  /** A table of DOUBLE columns of equal length; NaN stays NaN. */
  void numbers(String table, Map<String, double[]> columns) throws SQLException {
    int rows = columns.values().iterator().next().length;
    create(table, columns.keySet(), "DOUBLE");
    try (DuckDBAppender ap = db.createAppender(DuckDBConnection.DEFAULT_SCHEMA, table)) {
      for (int r = 0; r < rows; r++) {
        ap.beginRow();
        for (double[] c : columns.values()) {
          ap.append(c[r]);
        }
        ap.endRow();
      }
    }
  }

  void numbers(String table, String column, double[] values) throws SQLException {
    Map<String, double[]> columns = new LinkedHashMap<>();
    columns.put(column, values);
    numbers(table, columns);
  }

  /** A table of one VARCHAR column; null is NULL. */
  void texts(String table, String column, List<String> values) throws SQLException {
    create(table, List.of(column), "VARCHAR");
    try (DuckDBAppender ap = db.createAppender(DuckDBConnection.DEFAULT_SCHEMA, table)) {
      for (String v : values) {
        ap.beginRow();
        if (v == null) {
          ap.appendNull();
        } else {
          ap.append(v);
        }
        ap.endRow();
      }
    }
  }

  void execute(String sql) throws SQLException {
    try (Statement s = db.createStatement()) {
      s.execute(sql);
    }
  }

  private void create(String table, Iterable<String> columns, String type) throws SQLException {
    StringJoiner ddl = new StringJoiner(", ", "CREATE TABLE " + table + " (", ")");
    for (String c : columns) {
      ddl.add(c + " " + type);
    }
    execute(ddl.toString());
  }

  @Override
  public void close() throws SQLException {
    db.close();
  }
}
