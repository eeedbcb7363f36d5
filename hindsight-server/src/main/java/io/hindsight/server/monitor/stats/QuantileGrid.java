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
  private final double[] values;

  /**
   * @param values the quantiles at levels {@code 0, 1/G, ..., 1}, non-decreasing, at least two
   */
  public QuantileGrid(double[] values) {
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
