package io.hindsight.server.monitor;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Binary classification in two queries per evaluation, both grouped by {@code grp}: one pass for
 * the counts, confusion matrices (counted and expected), log loss and Brier score; one aggregation
 * by distinct score with running sums for ROC AUC and average precision, which treats tied scores
 * exactly as scikit-learn does (a tie counts 1/2 in the AUC; average precision steps once per
 * distinct score).
 *
 * <p>A row is positive when its label equals the positive class, predicted positive when its
 * {@code predicted} value equals the positive class, or, without one, when its score is at least
 * the threshold. Confusion-matrix metrics count labeled rows with a predicted class; score metrics
 * count labeled rows with a score. The estimate (CBPE) takes every row with a score, labeled or
 * not, with its calibrated probability p: it counts p as positive and 1 − p as negative, both in
 * the expected confusion matrix and in the ROC curve ordered by score.
 */
final class BinaryMetrics {
  /** scikit-learn's log_loss clips probabilities to [eps, 1 − eps], eps of float64. */
  private static final String EPS = Double.toString(Math.ulp(1.0)) + "::DOUBLE";

  private static final String COUNTS =
      """
      SELECT grp, count(*) AS n_rows, count(*) FILTER (labeled) AS n_labeled,
        count(*) FILTER (score IS NULL) AS n_missing,
        count(*) FILTER (labeled AND yhat AND y) AS tp, count(*) FILTER (labeled AND yhat AND NOT y) AS fp,
        count(*) FILTER (labeled AND NOT yhat AND y) AS fn, count(*) FILTER (labeled AND NOT yhat AND NOT y) AS tn,
        count(*) FILTER (labeled AND score IS NOT NULL) AS n_scored,
        sum(-ln(greatest(least(CASE WHEN y THEN score ELSE 1 - score END, 1 - %1$s), %1$s)))
          FILTER (labeled AND score IS NOT NULL) AS log_loss_sum,
        sum((score - y::INTEGER) ^ 2) FILTER (labeled AND score IS NOT NULL) AS brier_sum,
        sum(p) FILTER (p IS NOT NULL AND yhat) AS etp, sum(1 - p) FILTER (p IS NOT NULL AND yhat) AS efp,
        sum(p) FILTER (p IS NOT NULL AND NOT yhat) AS efn, sum(1 - p) FILTER (p IS NOT NULL AND NOT yhat) AS etn
      FROM src GROUP BY grp ORDER BY grp
      """
          .formatted(EPS);

  // With running sums from the highest score down (c_pos, c_neg include the score's own rows):
  // AUC·P·N = Σ pos·(N − c_neg + neg/2) = P·N − Σ pos·c_neg + Σ pos·neg/2;
  // average precision = Σ (pos / P) · c_pos / (c_pos + c_neg).
  private static final String RANKING =
      """
      , by_score AS (
        SELECT grp, score, count(*) FILTER (labeled AND y) AS pos, count(*) FILTER (labeled AND NOT y) AS neg,
          sum(p) AS epos, sum(1 - p) AS eneg
        FROM src WHERE score IS NOT NULL GROUP BY grp, score),
      running AS (
        SELECT *, sum(pos) OVER w AS c_pos, sum(neg) OVER w AS c_neg, sum(eneg) OVER w AS c_eneg
        FROM by_score WINDOW w AS (PARTITION BY grp ORDER BY score DESC ROWS UNBOUNDED PRECEDING))
      SELECT grp, sum(pos) AS p_total, sum(neg) AS n_total, sum(pos * c_neg) AS pos_c_neg, sum(pos * neg) AS pos_neg,
        sum(CASE WHEN pos > 0 THEN pos * c_pos / (c_pos + c_neg) END) AS precision_sum,
        sum(epos) AS ep_total, sum(eneg) AS en_total, sum(epos * c_eneg) AS epos_c_eneg, sum(epos * eneg) AS epos_eneg
      FROM running GROUP BY grp
      """;

  private final Connection db;
  private final String rows;
  private final IsotonicCalibration calibration;
  private final EvaluationSpec spec;

  /** {@code calibration} null: the scores are taken as calibrated probabilities. */
  BinaryMetrics(Connection db, String rows, IsotonicCalibration calibration, EvaluationSpec spec) {
    this.db = db;
    this.rows = rows;
    this.calibration = calibration;
    this.spec = spec;
  }

  List<GroupEvaluation> evaluate() throws SQLException {
    Map<String, double[]> ranking = new HashMap<>();
    try (PreparedStatement ps = prepare(RANKING); ResultSet rs = ps.executeQuery()) {
      while (rs.next()) {
        double[] v = new double[9];
        for (int i = 0; i < v.length; i++) {
          v[i] = rs.getDouble(i + 2);
        }
        ranking.put(rs.getString("grp"), v);
      }
    }
    List<GroupEvaluation> groups = new ArrayList<>();
    try (PreparedStatement ps = prepare(COUNTS); ResultSet rs = ps.executeQuery()) {
      while (rs.next()) {
        String group = rs.getString("grp");
        double[] r = ranking.getOrDefault(group, new double[9]);
        ConfusionMetrics counted =
            new ConfusionMetrics(rs.getLong("tp"), rs.getLong("fp"), rs.getLong("fn"), rs.getLong("tn"));
        long scored = rs.getLong("n_scored");
        EvaluationMetrics realized =
            new EvaluationMetrics()
                .putAll(counted.metrics())
                .put("roc_auc", rocAuc(r[0], r[1], r[2], r[3]))
                .put("pr_auc", r[4] / r[0])
                .put("log_loss", rs.getDouble("log_loss_sum") / scored)
                .put("brier", rs.getDouble("brier_sum") / scored)
                .put("positive_rate", counted.positiveRate());
        ConfusionMetrics expected =
            new ConfusionMetrics(rs.getDouble("etp"), rs.getDouble("efp"), rs.getDouble("efn"), rs.getDouble("etn"));
        EvaluationMetrics estimated =
            new EvaluationMetrics().putAll(expected.metrics()).put("roc_auc", rocAuc(r[5], r[6], r[7], r[8]));
        groups.add(
            new GroupEvaluation(
                group,
                rs.getLong("n_rows"),
                rs.getLong("n_labeled"),
                rs.getLong("n_missing"),
                realized.asMap(),
                estimated.asMap()));
      }
    }
    return groups;
  }

  /** NaN (left out) when either class has no weight. */
  private static double rocAuc(double positives, double negatives, double posTimesRunningNeg, double posTimesNeg) {
    double pairs = positives * negatives;
    return pairs > 0 ? (pairs - posTimesRunningNeg + posTimesNeg / 2) / pairs : Double.NaN;
  }

  /** The query over {@code src}: rows with y (positive label), yhat (predicted positive) and p. */
  private PreparedStatement prepare(String query) throws SQLException {
    String calibrated =
        calibration == null ? "(SELECT *, score AS calibrated_p FROM " + rows + ")" : calibration.calibratedRows(rows, 3);
    String sql =
        "WITH src AS (SELECT grp, score, calibrated_p AS p, label IS NOT NULL AS labeled, label = $1 AS y,"
            + " coalesce(predicted = $1, score >= $2) AS yhat FROM "
            + calibrated
            + ")\n"
            + query;
    PreparedStatement ps = db.prepareStatement(sql);
    try {
      ps.setString(1, spec.positiveClass());
      ps.setDouble(2, spec.threshold());
      if (calibration != null) {
        calibration.bind(ps, 3);
      }
      return ps;
    } catch (SQLException | RuntimeException e) {
      ps.close();
      throw e;
    }
  }
}
