package io.hindsight.server.monitor;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The evaluation of one group of rows (one value of the grouping column, {@code ""} when not
 * grouped).
 *
 * @param rows every row of the group
 * @param labeled rows with a label
 * @param missingScore rows without the value the task evaluates (the score for binary
 *     classification and regression, the predicted class for multiclass); left out of every metric
 * @param realized metrics over the labeled rows, by name in a fixed order; a metric undefined for the group (e.g.
 *     {@code roc_auc} when only one class is labeled) is absent
 * @param estimated label-free estimates over all rows with a score (binary classification only,
 *     else empty), by name; absent when undefined
 */
public record GroupEvaluation(
    String group,
    long rows,
    long labeled,
    long missingScore,
    Map<String, Double> realized,
    Map<String, Double> estimated) {
  public GroupEvaluation {
    realized = Collections.unmodifiableMap(new LinkedHashMap<>(realized));
    estimated = Collections.unmodifiableMap(new LinkedHashMap<>(estimated));
  }

  /**
   * A group of a task without a label-free estimate, from a result row with the columns {@code
   * grp, n_rows, n_labeled, n_missing}.
   */
  static GroupEvaluation realizedOnly(java.sql.ResultSet rs, Map<String, Double> realized) throws java.sql.SQLException {
    return new GroupEvaluation(
        rs.getString("grp"), rs.getLong("n_rows"), rs.getLong("n_labeled"), rs.getLong("n_missing"), realized, Map.of());
  }
}
