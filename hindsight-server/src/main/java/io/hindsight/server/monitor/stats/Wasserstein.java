package io.hindsight.server.monitor.stats;

/**
 * The Wasserstein-1 (earth mover's) distance between two one-dimensional distributions: {@code
 * ∫|F - G| dx}, which equals {@code ∫₀¹ |F⁻¹(u) - G⁻¹(u)| du}.
 */
public final class Wasserstein {
  private Wasserstein() {}

  /**
   * W1 from two quantile grids of the same number of steps: the trapezoid rule over the levels of
   * {@code ∫₀¹ |Qa(u) - Qb(u)| du}, over the finer levels of the first and last steps when both
   * grids have them (a heavy tail's maximum then weighs one sub-step, not half a step).
   *
   * <p>When both grids know their exact means, {@code W = |Δmean| + 2 min(P, N)}, where P and N are
   * the parts of {@code ∫(Qb - Qa)} above and below zero ({@code P - N = Δmean}): the mean
   * difference is then exact and only the part where the quantile functions cross comes from the
   * grids, so a shift (no crossing) is exact even when the grids come from a sample or a sketch.
   */
  public static double distance(QuantileGrid a, QuantileGrid b) {
    if (a.steps() != b.steps()) {
      throw new IllegalArgumentException("grids of " + a.steps() + " and " + b.steps() + " steps");
    }
    double[] parts = signedParts(a, b);
    if (!Double.isNaN(a.mean()) && !Double.isNaN(b.mean())) {
      return Math.abs(b.mean() - a.mean()) + 2 * Math.min(parts[0], parts[1]);
    }
    return parts[0] + parts[1];
  }

  /** {@code ∫ max(Qb - Qa, 0)} and {@code ∫ max(Qa - Qb, 0)} over the levels, by the trapezoid rule. */
  private static double[] signedParts(QuantileGrid a, QuantileGrid b) {
    int g = a.steps();
    boolean tails = a.tailStep(false) != null && b.tailStep(false) != null && g >= 2;
    double[] sum = new double[2];
    int from = tails ? 1 : 0;
    int to = tails ? g - 1 : g;
    for (int i = from + 1; i <= to; i++) {
      add(sum, b.value(i - 1) - a.value(i - 1), b.value(i) - a.value(i), 1.0 / g);
    }
    if (tails) {
      step(sum, a.tailStep(false), b.tailStep(false), g);
      step(sum, a.tailStep(true), b.tailStep(true), g);
    }
    return sum;
  }

  /** One step read at evenly spaced sub-levels, ends included. */
  private static void step(double[] sum, double[] a, double[] b, int g) {
    double width = 1.0 / g / (a.length - 1);
    for (int k = 1; k < a.length; k++) {
      add(sum, b[k - 1] - a[k - 1], b[k] - a[k], width);
    }
  }

  /**
   * Adds the trapezoid of a linear piece from {@code d0} to {@code d1} over {@code width} to the
   * positive and negative parts, split where it crosses zero.
   */
  private static void add(double[] sum, double d0, double d1, double width) {
    if (d0 >= 0 && d1 >= 0) {
      sum[0] += (d0 + d1) / 2 * width;
    } else if (d0 <= 0 && d1 <= 0) {
      sum[1] -= (d0 + d1) / 2 * width;
    } else {
      double zero = width * Math.abs(d0) / (Math.abs(d0) + Math.abs(d1));
      double first = Math.abs(d0) / 2 * zero;
      double second = Math.abs(d1) / 2 * (width - zero);
      sum[d0 > 0 ? 0 : 1] += first;
      sum[d1 > 0 ? 0 : 1] += second;
    }
  }
}
