package io.hindsight.server.monitor.stats;

import java.util.Arrays;

/**
 * A numeric distribution summarised by its quantiles at the evenly spaced levels {@code i / G},
 * {@code i = 0..G} (so the first value is the minimum and the last the maximum). With the inverse
 * empirical CDF as quantile definition (DuckDB's {@code quantile_disc}) the step CDF read back from
 * the grid is within {@code 1 / G} of the sample's; with a sketch's quantiles the sketch's rank
 * error adds to that.
 */
public final class QuantileGrid {
  /** Sub-steps each of the first and last steps is also read at (see {@link #tailLevels}). */
  public static final int TAIL_STEPS = 10;

  private final double[] values;
  /** Quantiles at levels {@code k / (G * TAIL_STEPS)}, {@code k = 1..TAIL_STEPS-1}; null if not taken. */
  private final double[] lowerTail;
  /** Quantiles at levels {@code 1 - (TAIL_STEPS - k) / (G * TAIL_STEPS)}, {@code k = 1..TAIL_STEPS-1}; null if not taken. */
  private final double[] upperTail;
  /** The exact mean of the values the grid summarises, when known (else NaN); see {@link #withMean}. */
  private double mean = Double.NaN;

  /**
   * @param values the quantiles at levels {@code 0, 1/G, ..., 1}, non-decreasing, at least two
   */
  public QuantileGrid(double[] values) {
    this(values, null, null);
  }

  /**
   * A grid that also holds its first and last steps at finer levels ({@link #tailLevels}), so an
   * integral over the quantile function (Wasserstein) does not take a heavy tail's extreme value
   * for the mean of a whole step.
   */
  public QuantileGrid(double[] values, double[] lowerTail, double[] upperTail) {
    if ((lowerTail == null) != (upperTail == null)
        || (lowerTail != null && (lowerTail.length != TAIL_STEPS - 1 || upperTail.length != TAIL_STEPS - 1))) {
      throw new IllegalArgumentException("both tails or none, of " + (TAIL_STEPS - 1) + " quantiles each");
    }
    this.lowerTail = lowerTail == null ? null : lowerTail.clone();
    this.upperTail = upperTail == null ? null : upperTail.clone();
    if (values.length < 2) {
      throw new IllegalArgumentException("a quantile grid needs at least the minimum and the maximum");
    }
    for (int i = 1; i < values.length; i++) {
      if (!(values[i] >= values[i - 1])) {
        throw new IllegalArgumentException(
            "quantiles must be non-decreasing, got " + values[i - 1] + " then " + values[i]);
      }
    }
    this.values = values.clone();
  }

  /** The levels {@code 0, 1/steps, ..., 1} at which a grid of {@code steps} steps is taken. */
  public static double[] levels(int steps) {
    double[] levels = new double[steps + 1];
    for (int i = 0; i <= steps; i++) {
      levels[i] = (double) i / steps;
    }
    return levels;
  }

  /**
   * A grid from an estimate's quantiles at {@link #levels} and at {@link #tailLevels}: an estimate
   * may return neighbouring quantiles a rounding error out of order, so a running maximum restores
   * the order a quantile function has, and each tail is kept within its step's ends.
   */
  public static QuantileGrid fromEstimates(double[] atLevels, double[] atTailLevels) {
    double[] values = atLevels.clone();
    for (int i = 1; i < values.length; i++) {
      values[i] = Math.max(values[i], values[i - 1]);
    }
    int t = TAIL_STEPS - 1;
    int g = values.length - 1;
    return new QuantileGrid(
        values,
        clamped(Arrays.copyOfRange(atTailLevels, 0, t), values[0], values[1]),
        clamped(Arrays.copyOfRange(atTailLevels, t, 2 * t), values[g - 1], values[g]));
  }

  private static double[] clamped(double[] tail, double low, double high) {
    double previous = low;
    for (int i = 0; i < tail.length; i++) {
      tail[i] = Math.min(high, Math.max(previous, tail[i]));
      previous = tail[i];
    }
    return tail;
  }

  /**
   * The finer levels of the first and last steps of a grid of {@code steps} steps: the lower tail's
   * {@code TAIL_STEPS - 1} levels, then the upper tail's.
   */
  public static double[] tailLevels(int steps) {
    double[] levels = new double[2 * (TAIL_STEPS - 1)];
    for (int k = 1; k < TAIL_STEPS; k++) {
      levels[k - 1] = (double) k / ((long) steps * TAIL_STEPS);
      levels[TAIL_STEPS - 1 + k - 1] = 1 - (double) (TAIL_STEPS - k) / ((long) steps * TAIL_STEPS);
    }
    return levels;
  }

  /**
   * The quantile function's values across step {@code 0} (first) or {@code G-1} (last) at its
   * finer levels, ends included ({@code TAIL_STEPS + 1} values); null when the tails were not taken.
   */
  double[] tailStep(boolean last) {
    if (lowerTail == null) {
      return null;
    }
    double[] out = new double[TAIL_STEPS + 1];
    out[0] = last ? values[values.length - 2] : values[0];
    System.arraycopy(last ? upperTail : lowerTail, 0, out, 1, TAIL_STEPS - 1);
    out[TAIL_STEPS] = last ? values[values.length - 1] : values[1];
    return out;
  }

  /**
   * The same grid knowing the exact mean of its values (a scan's {@code avg}, a sketch's running
   * mean), which lets Wasserstein take the mean difference exactly and only the part where the
   * quantile functions cross from the grids.
   */
  public QuantileGrid withMean(double exactMean) {
    QuantileGrid g = new QuantileGrid(values, lowerTail, upperTail);
    g.mean = exactMean;
    return g;
  }

  /** The exact mean of the values, or NaN when the grid was made without it. */
  public double mean() {
    return mean;
  }

  /** G, the number of steps between the minimum and the maximum. */
  public int steps() {
    return values.length - 1;
  }

  /** The quantile at level {@code i / G}. */
  public double value(int i) {
    return values[i];
  }

  /** The quantile at level {@code i / G}, for {@code level} a multiple of {@code 1 / G}. */
  public double quantile(double level) {
    return values[(int) Math.round(level * steps())];
  }

  /**
   * The share of values at most {@code x}: the share of levels {@code i / G, i >= 1} whose
   * quantile is at most {@code x} (for the inverse empirical CDF, {@code Q(u) <= x} exactly when
   * {@code u <= F(x)}).
   */
  public double cdf(double x) {
    // index of the first quantile above x among values[1..G]
    int lo = 1;
    int hi = values.length;
    while (lo < hi) {
      int mid = (lo + hi) >>> 1;
      if (values[mid] <= x) {
        lo = mid + 1;
      } else {
        hi = mid;
      }
    }
    return (double) (lo - 1) / steps();
  }

  @Override
  public String toString() {
    return "QuantileGrid" + Arrays.toString(values);
  }
}
