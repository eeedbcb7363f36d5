package io.hindsight.server.monitor;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;

/**
 * Multiclass classification in one query grouped by {@code grp}: accuracy and the macro averages of
 * precision, recall and F1 (scikit-learn's {@code average='macro', zero_division=0}: the unweighted
 * mean over every class that occurs as a label or a prediction in the group, a ratio with a zero
 * denominator counting 0). Rows count when they have both a label and a {@code predicted} class;
 * the score is not used.
 */
final class MulticlassMetrics {
  private static final String QUERY =
      """
      WITH src AS (SELECT grp, CAST(predicted AS VARCHAR) AS predicted, CAST(label AS VARCHAR) AS label FROM %s),
      judged AS (SELECT * FROM src WHERE label IS NOT NULL AND predicted IS NOT NULL),
      per_class AS (
        SELECT grp, class, sum(is_label) AS labeled_as, sum(is_predicted) AS predicted_as, sum(hit) AS hits
        FROM (SELECT grp, label AS class, 1 AS is_label, 0 AS is_predicted, (predicted = label)::INTEGER AS hit
              FROM judged
              UNION ALL SELECT grp, predicted, 0, 1, 0 FROM judged)
        GROUP BY grp, class),
      macro AS (
        SELECT grp, sum(hits) / sum(labeled_as) AS accuracy,
          avg(CASE WHEN predicted_as > 0 THEN hits / predicted_as ELSE 0 END) AS precision,
          avg(CASE WHEN labeled_as > 0 THEN hits / labeled_as ELSE 0 END) AS recall,
          avg(2 * hits / (labeled_as + predicted_as)) AS f1
        FROM per_class GROUP BY grp),
      counts AS (
        SELECT grp, count(*) AS n_rows, count(label) AS n_labeled, count(*) FILTER (predicted IS NULL) AS n_missing
        FROM src GROUP BY grp)
      SELECT * FROM counts LEFT JOIN macro USING (grp) ORDER BY grp
      """;

  private MulticlassMetrics() {}

  static List<GroupEvaluation> evaluate(Connection db, String rows) throws SQLException {
    List<GroupEvaluation> groups = new ArrayList<>();
    try (Statement st = db.createStatement(); ResultSet rs = st.executeQuery(QUERY.formatted(rows))) {
      while (rs.next()) {
        EvaluationMetrics realized = new EvaluationMetrics();
        if (rs.getObject("accuracy") != null) {
          realized.put("accuracy", rs.getDouble("accuracy"));
          // Macro averages, named so that they never read as a binary metric of one class.
          for (String metric : List.of("precision", "recall", "f1")) {
            realized.put("macro_" + metric, rs.getDouble(metric));
          }
        }
        groups.add(GroupEvaluation.realizedOnly(rs, realized.asMap()));
      }
    }
    return groups;
  }
}
