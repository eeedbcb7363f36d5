package io.hindsight.server.monitor;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * An increasing isotonic regression of the label (1 positive, 0 negative) on the score, with the
 * semantics of scikit-learn's {@code IsotonicRegression(increasing=True, out_of_bounds='clip')}: the
 * pool-adjacent-violators fit over the distinct scores (equal scores pooled first, weighted by their
 * rows), linear interpolation between the fitted points and the end values outside them. Only the
 * points where the fitted value changes are kept, as scikit-learn does, so the map stays small.
 * It is applied in SQL where the rows live.
 */
final class IsotonicCalibration {
  private final double[] knotScores;
  private final double[] knotValues;
  private final double[] slopes;

  private IsotonicCalibration(double[] knotScores, double[] knotValues) {
    this.knotScores = knotScores;
    this.knotValues = knotValues;
    this.slopes = new double[knotScores.length];
    for (int k = 0; k + 1 < knotScores.length; k++) {
      slopes[k] = (knotValues[k + 1] - knotValues[k]) / (knotScores[k + 1] - knotScores[k]);
    }
  }

  /**
   * Fits over the labeled rows of a reference: a SQL FROM-item with columns {@code score} and
   * {@code label} (see {@link Evaluator}). Only the (score, label) pairs aggregated by distinct score
   * come to Java. Returns null when the reference has no labeled row with a score.
   */
  static IsotonicCalibration fitOnReference(Connection db, String reference, String positiveClass)
      throws SQLException {
    String sql =
        "SELECT score, count(*) AS n, count(*) FILTER (label = $1) AS positives FROM "
            + reference
            + " WHERE score IS NOT NULL AND label IS NOT NULL GROUP BY score ORDER BY score";
    DoubleColumn scores = new DoubleColumn();
    DoubleColumn positives = new DoubleColumn();
    DoubleColumn rows = new DoubleColumn();
    try (PreparedStatement ps = db.prepareStatement(sql)) {
      ps.setString(1, positiveClass);
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          scores.add(rs.getDouble(1));
          rows.add(rs.getLong(2));
          positives.add(rs.getLong(3));
        }
      }
    }
    return scores.size == 0 ? null : fit(scores.values(), positives.values(), rows.values());
  }

  /**
   * Fits over distinct scores in ascending order, each with the sum of its labels (its positives)
   * and its weight (its rows).
   */
  static IsotonicCalibration fit(double[] scores, double[] labelSums, double[] weights) {
    int n = scores.length;
    if (n == 0 || labelSums.length != n || weights.length != n) {
      throw new IllegalArgumentException("need as many label sums and weights as scores, and at least one");
    }
    for (int i = 1; i < n; i++) {
      if (!(scores[i - 1] < scores[i])) {
        throw new IllegalArgumentException("scores must be distinct and ascending");
      }
    }
    // Pool adjacent violators: blocks on a stack, merged while the earlier mean is not below the later.
    double[] blockSum = new double[n];
    double[] blockWeight = new double[n];
    int[] blockEnd = new int[n];
    int blocks = 0;
    for (int i = 0; i < n; i++) {
      blockSum[blocks] = labelSums[i];
      blockWeight[blocks] = weights[i];
      blockEnd[blocks] = i;
      blocks++;
      while (blocks > 1
          && blockSum[blocks - 2] / blockWeight[blocks - 2] >= blockSum[blocks - 1] / blockWeight[blocks - 1]) {
        blockSum[blocks - 2] += blockSum[blocks - 1];
        blockWeight[blocks - 2] += blockWeight[blocks - 1];
        blockEnd[blocks - 2] = blockEnd[blocks - 1];
        blocks--;
      }
    }
    double[] fitted = new double[n];
    for (int b = 0, i = 0; b < blocks; b++) {
      double mean = blockSum[b] / blockWeight[b];
      for (; i <= blockEnd[b]; i++) {
        fitted[i] = mean;
      }
    }
    // Keep the ends and every point next to a change; the interpolation between the rest is flat.
    List<Integer> keep = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      if (i == 0 || i == n - 1 || fitted[i - 1] != fitted[i] || fitted[i] != fitted[i + 1]) {
        keep.add(i);
      }
    }
    return new IsotonicCalibration(
        keep.stream().mapToDouble(i -> scores[i]).toArray(),
        keep.stream().mapToDouble(i -> fitted[i]).toArray());
  }

  /** The scores at which the map bends, ascending. */
  double[] knotScores() {
    return knotScores.clone();
  }

  /** The calibrated probability at each knot score. */
  double[] knotValues() {
    return knotValues.clone();
  }

  /**
   * {@code rows} with a column {@code calibrated_p} added: the calibrated probability of each row's score (null
   * without a score). Uses the four parameters from {@code $firstParameter} on; bind them with
   * {@link #bind}.
   */
  String calibratedRows(String rows, int firstParameter) {
    int a = firstParameter;
    // scipy's interp1d, which scikit-learn uses: slope * (x - x_lo) + y_lo; clipped at both ends.
    return "(SELECT r.*, CASE WHEN r.score IS NOT NULL THEN coalesce(k.slope * (r.score - k.x) + k.y, $"
        + (a + 3)
        + ") END AS calibrated_p FROM "
        + rows
        + " r ASOF LEFT JOIN (SELECT unnest($"
        + a
        + "::DOUBLE[]) AS x, unnest($"
        + (a + 1)
        + "::DOUBLE[]) AS y, unnest($"
        + (a + 2)
        + "::DOUBLE[]) AS slope) k ON r.score >= k.x)";
  }

  /** Binds the parameters of {@link #calibratedRows} from {@code firstParameter} on. */
  void bind(PreparedStatement ps, int firstParameter) throws SQLException {
    Connection c = ps.getConnection();
    ps.setObject(firstParameter, c.createArrayOf("DOUBLE", boxed(knotScores)));
    ps.setObject(firstParameter + 1, c.createArrayOf("DOUBLE", boxed(knotValues)));
    ps.setObject(firstParameter + 2, c.createArrayOf("DOUBLE", boxed(slopes)));
    ps.setDouble(firstParameter + 3, knotValues[0]);
  }

  private static Double[] boxed(double[] values) {
    return Arrays.stream(values).boxed().toArray(Double[]::new);
  }

  /** A growing array of doubles, so a large reference is not held as boxed values. */
  private static final class DoubleColumn {
    private double[] values = new double[1024];
    private int size;

    void add(double v) {
      if (size == values.length) {
        values = Arrays.copyOf(values, size * 2);
      }
      values[size++] = v;
    }

    double[] values() {
      return Arrays.copyOf(values, size);
    }
  }
}
