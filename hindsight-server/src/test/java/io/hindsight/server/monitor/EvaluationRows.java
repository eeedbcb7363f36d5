package io.hindsight.server.monitor;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import org.duckdb.DuckDBAppender;
import org.duckdb.DuckDBConnection;

/** An in-memory DuckDB holding tables of evaluation rows (grp, score, predicted, label). */
final class EvaluationRows implements AutoCloseable {
  /** One row; {@code label} is a String (classification), a Double (regression) or null. */
  record Row(String grp, Double score, String predicted, Object label) {}

  final Connection db;

  EvaluationRows() throws SQLException {
    db = DriverManager.getConnection("jdbc:duckdb:");
  }

  /** Creates table {@code name} with a VARCHAR label, or DOUBLE when {@code numericLabel}. */
  String table(String name, boolean numericLabel, List<Row> rows) throws SQLException {
    try (Statement st = db.createStatement()) {
      st.execute(
          "CREATE TABLE " + name + " (grp VARCHAR, score DOUBLE, predicted VARCHAR, label "
              + (numericLabel ? "DOUBLE" : "VARCHAR") + ")");
    }
    try (DuckDBAppender a = ((DuckDBConnection) db).createAppender(DuckDBConnection.DEFAULT_SCHEMA, name)) {
      for (Row r : rows) {
        a.beginRow().append(r.grp()).append(r.score()).append(r.predicted());
        if (numericLabel) {
          a.append((Double) r.label());
        } else {
          a.append((String) r.label());
        }
        a.endRow();
      }
    }
    return name;
  }

  List<GroupEvaluation> evaluate(Task task, String rows, String reference, EvaluationSpec spec) throws SQLException {
    return new Evaluator(db).evaluate(task, rows, reference, spec);
  }

  @Override
  public void close() throws SQLException {
    db.close();
  }
}
