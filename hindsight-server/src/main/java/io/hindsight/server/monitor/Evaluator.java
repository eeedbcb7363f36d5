package io.hindsight.server.monitor;

import java.sql.Connection;
import java.sql.SQLException;
import java.util.List;
import java.util.Objects;

/**
 * Model quality over a set of prediction rows, per group, computed in DuckDB where the rows live:
 * a few grouped queries per evaluation whatever the row count; only a binary reference's (score,
 * label) counts by distinct score come to Java, to fit the calibration.
 *
 * <p>Rows are given as a SQL FROM-item (a table, a view, {@code read_parquet(...)} or a
 * parenthesised SELECT) built by the server, never taken from a user, with these columns:
 *
 * <ul>
 *   <li>{@code grp} VARCHAR: the group value, {@code ''} when not grouped;
 *   <li>{@code score} DOUBLE: the positive-class probability (binary) or the predicted value
 *       (regression); may be NULL, then the row is counted in {@code missingScore} and left out;
 *   <li>{@code predicted} VARCHAR: the predicted class (multiclass; binary: compared with the
 *       positive class, and when NULL the score against the threshold decides); may be NULL;
 *   <li>{@code label} VARCHAR class, or DOUBLE value for regression: NULL while not labeled.
 * </ul>
 *
 * <p>Binary {@code realized}: accuracy, precision, recall, f1, roc_auc, pr_auc (average precision),
 * log_loss (natural log, probabilities clipped to [eps, 1 − eps] as scikit-learn does), brier and
 * positive_rate (the share of the labeled rows predicted positive). Binary {@code estimated}
 * (confidence-based performance estimation, CBPE, over every row with a score, labeled or not):
 * accuracy, precision, recall, f1 and roc_auc from the expected confusion matrix and ROC curve of
 * the calibrated probabilities. Multiclass: accuracy, macro_precision, macro_recall, macro_f1. Regression:
 * mae, rmse, mape, r2, mean_error (prediction − label). See {@link BinaryMetrics}, {@link
 * MulticlassMetrics} and {@link RegressionMetrics} for the exact definitions; they match
 * scikit-learn's. A metric undefined for a group is absent from its map.
 *
 * <p>Not thread-safe: one evaluation at a time per connection.
 */
public final class Evaluator {
  private final Connection db;

  public Evaluator(Connection duckdb) {
    this.db = Objects.requireNonNull(duckdb, "duckdb");
  }

  /**
   * Evaluates {@code rows}, one result per group ordered by group value.
   *
   * @param reference binary only: rows of the same shape whose labeled rows fit the isotonic
   *     calibration of the scores for the estimate, over all its groups together; null (or no
   *     labeled row with a score) takes the raw scores as calibrated probabilities
   * @param spec threshold and positive class for binary classification
   */
  public List<GroupEvaluation> evaluate(Task task, String rows, String reference, EvaluationSpec spec)
      throws SQLException {
    Objects.requireNonNull(task, "task");
    Objects.requireNonNull(spec, "spec");
    if (rows == null || rows.isBlank()) {
      throw new IllegalArgumentException("rows must be a SQL FROM-item, got '" + rows + "'");
    }
    return switch (task) {
      case BINARY_CLASSIFICATION -> {
        IsotonicCalibration calibration =
            reference == null ? null : IsotonicCalibration.fitOnReference(db, reference, spec.positiveClass());
        yield new BinaryMetrics(db, rows, calibration, spec).evaluate();
      }
      case MULTICLASS_CLASSIFICATION -> MulticlassMetrics.evaluate(db, rows);
      case REGRESSION -> RegressionMetrics.evaluate(db, rows);
    };
  }
}
