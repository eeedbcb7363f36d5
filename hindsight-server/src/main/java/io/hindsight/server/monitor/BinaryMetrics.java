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
 * the counts, the confusion matrix, log loss and Brier score; one aggregation by distinct score,
 * with running sums, for ROC AUC and average precision, which treats tied scores exactly as
 * scikit-learn does (a tie counts 1/2 in the AUC; average precision steps once per distinct score),
 * and for the estimate (its expected confusion matrix and ROC AUC).
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
        sum((score - y::INTEGER) ^ 2) FILTER (labeled AND score IS NOT NULL) AS brier_sum
      FROM src GROUP BY grp ORDER BY grp
      """
          .formatted(EPS);

  // The rows are first counted per distinct score; the calibrated probability p depends on the
  // score alone, so it is looked up once per distinct score. With running sums from the highest
  // score down (c_pos, c_neg, c_eneg include the score's own rows):
  // AUC·P·N = Σ pos·(N − c_neg + neg/2) = P·N − Σ pos·c_neg + Σ pos·neg/2, the same with p·rows as
  // positives and (1 − p)·rows as negatives for the estimate;
  // average precision = Σ (pos / P) · c_pos / (c_pos + c_neg).
  private static final String RANKING =
      """
      , by_score AS (
        SELECT grp, score, count(*) FILTER (labeled AND y) AS pos, count(*) FILTER (labeled AND NOT y) AS neg,
          count(*) AS n, count(*) FILTER (yhat) AS n_yhat
        FROM src WHERE score IS NOT NULL GROUP BY grp, score),
      weighted AS (
        SELECT grp, score, pos, neg, n_yhat, n - n_yhat AS n_not_yhat, calibrated_p AS p,
          calibrated_p * n AS epos, (1 - calibrated_p) * n AS eneg
        FROM %s),
      running AS (
        SELECT *, sum(pos) OVER w AS c_pos, sum(neg) OVER w AS c_neg, sum(eneg) OVER w AS c_eneg
        FROM weighted WINDOW w AS (PARTITION BY grp ORDER BY score DESC ROWS UNBOUNDED PRECEDING))
      SELECT grp, sum(pos) AS p_total, sum(neg) AS n_total, sum(pos * c_neg) AS pos_c_neg, sum(pos * neg) AS pos_neg,
        sum(CASE WHEN pos > 0 THEN pos * c_pos / (c_pos + c_neg) END) AS precision_sum,
        sum(epos) AS ep_total, sum(eneg) AS en_total, sum(epos * c_eneg) AS epos_c_eneg, sum(epos * eneg) AS epos_eneg,
        sum(p * n_yhat) AS etp, sum((1 - p) * n_yhat) AS efp,
        sum(p * n_not_yhat) AS efn, sum((1 - p) * n_not_yhat) AS etn
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
    Map<String, Ranking> rankings = new HashMap<>();
    String calibrated =
        calibration == null
            ? "(SELECT *, score AS calibrated_p FROM by_score)"
            : calibration.calibratedRows("by_score", 3);
    try (PreparedStatement ps = prepare(RANKING.formatted(calibrated))) {
      if (calibration != null) {
        calibration.bind(ps, 3);
      }
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          rankings.put(rs.getString("grp"), Ranking.read(rs));
        }
      }
    }
    List<GroupEvaluation> groups = new ArrayList<>();
    try (PreparedStatement ps = prepare(COUNTS); ResultSet rs = ps.executeQuery()) {
      while (rs.next()) {
        String group = rs.getString("grp");
        Ranking r = rankings.getOrDefault(group, Ranking.NONE);
        ConfusionMetrics counted =
            new ConfusionMetrics(rs.getLong("tp"), rs.getLong("fp"), rs.getLong("fn"), rs.getLong("tn"));
        long scored = rs.getLong("n_scored");
        EvaluationMetrics realized =
            new EvaluationMetrics()
                .putAll(counted.metrics())
                .put("roc_auc", rocAuc(r.positives, r.negatives, r.posTimesRunningNeg, r.posTimesNeg))
                .put("pr_auc", r.precisionSum / r.positives)
                .put("log_loss", rs.getDouble("log_loss_sum") / scored)
                .put("brier", rs.getDouble("brier_sum") / scored)
                .put("positive_rate", counted.positiveRate());
        EvaluationMetrics estimated =
            new EvaluationMetrics()
                .putAll(r.expected.metrics())
                .put(
                    "roc_auc",
                    rocAuc(
                        r.expectedPositives,
                        r.expectedNegatives,
                        r.expectedPosTimesRunningNeg,
                        r.expectedPosTimesNeg));
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

  /** A query over {@code src}: the rows with y (positive label) and yhat (predicted positive). */
  private PreparedStatement prepare(String query) throws SQLException {
    String sql =
        "WITH src AS (SELECT grp, score, label IS NOT NULL AS labeled, label = $1 AS y,"
            + " coalesce(predicted = $1, score >= $2) AS yhat FROM "
            + rows
            + ")\n"
            + query;
    PreparedStatement ps = db.prepareStatement(sql);
    try {
      ps.setString(1, spec.positiveClass());
      ps.setDouble(2, spec.threshold());
      return ps;
    } catch (SQLException | RuntimeException e) {
      ps.close();
      throw e;
    }
  }

  /** One group's row of the ranking query: the sums behind ROC AUC, average precision and CBPE. */
  private record Ranking(
      double positives,
      double negatives,
      double posTimesRunningNeg,
      double posTimesNeg,
      double precisionSum,
      double expectedPositives,
      double expectedNegatives,
      double expectedPosTimesRunningNeg,
      double expectedPosTimesNeg,
      ConfusionMetrics expected) {
    static final Ranking NONE = new Ranking(0, 0, 0, 0, 0, 0, 0, 0, 0, new ConfusionMetrics(0, 0, 0, 0));

    static Ranking read(ResultSet rs) throws SQLException {
      return new Ranking(
          rs.getDouble("p_total"),
          rs.getDouble("n_total"),
          rs.getDouble("pos_c_neg"),
          rs.getDouble("pos_neg"),
          rs.getDouble("precision_sum"),
          rs.getDouble("ep_total"),
          rs.getDouble("en_total"),
          rs.getDouble("epos_c_eneg"),
          rs.getDouble("epos_eneg"),
          new ConfusionMetrics(rs.getDouble("etp"), rs.getDouble("efp"), rs.getDouble("efn"), rs.getDouble("etn")));
    }
  }
}
