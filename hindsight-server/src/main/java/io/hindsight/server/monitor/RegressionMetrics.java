package io.hindsight.server.monitor;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;

/**
 * Regression in one query grouped by {@code grp}, over rows with both a score (the predicted value)
 * and a label: mae, rmse, mape (scikit-learn's mean_absolute_percentage_error: |error| / max(|label|,
 * eps), a share, not a percent), r2 and mean_error (mean of prediction − label: positive when the
 * model predicts too high). r2 follows scikit-learn: with constant labels it is 1 for a perfect fit,
 * else 0; it is left out below two rows.
 */
final class RegressionMetrics {
  private static final String QUERY =
      """
      WITH src AS (SELECT grp, CAST(score AS DOUBLE) AS s, CAST(label AS DOUBLE) AS y FROM %s)
      SELECT grp, count(*) AS n_rows, count(y) AS n_labeled, count(*) FILTER (s IS NULL) AS n_missing,
        count(*) FILTER (s IS NOT NULL AND y IS NOT NULL) AS n,
        avg(abs(s - y)) AS mae, sqrt(avg((s - y) ^ 2)) AS rmse,
        avg(abs(s - y) / greatest(abs(y), %s::DOUBLE)) AS mape,
        sum((y - s) ^ 2) AS ss_residual, var_pop(y) FILTER (s IS NOT NULL) * count(s - y) AS ss_total,
        avg(s - y) AS mean_error
      FROM src GROUP BY grp ORDER BY grp
      """;

  private RegressionMetrics() {}

  static List<GroupEvaluation> evaluate(Connection db, String rows) throws SQLException {
    List<GroupEvaluation> groups = new ArrayList<>();
    String sql = QUERY.formatted(rows, Double.toString(Math.ulp(1.0)));
    try (Statement st = db.createStatement(); ResultSet rs = st.executeQuery(sql)) {
      while (rs.next()) {
        EvaluationMetrics realized = new EvaluationMetrics();
        long n = rs.getLong("n");
        if (n > 0) {
          realized
              .put("mae", rs.getDouble("mae"))
              .put("rmse", rs.getDouble("rmse"))
              .put("mape", rs.getDouble("mape"))
              .put("r2", n < 2 ? Double.NaN : r2(rs.getDouble("ss_residual"), rs.getDouble("ss_total")))
              .put("mean_error", rs.getDouble("mean_error"));
        }
        groups.add(GroupEvaluation.realizedOnly(rs, realized.asMap()));
      }
    }
    return groups;
  }

  private static double r2(double residual, double total) {
    if (total == 0) {
      return residual == 0 ? 1 : 0;
    }
    return 1 - residual / total;
  }
}
