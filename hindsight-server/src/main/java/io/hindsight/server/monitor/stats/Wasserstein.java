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
   */
  public static double distance(QuantileGrid a, QuantileGrid b) {
    if (a.steps() != b.steps()) {
      throw new IllegalArgumentException("grids of " + a.steps() + " and " + b.steps() + " steps");
    }
    int g = a.steps();
    boolean tails = a.tailStep(false) != null && b.tailStep(false) != null && g >= 2;
    double sum = 0;
    int from = tails ? 1 : 0;
    int to = tails ? g - 1 : g;
    double previous = Math.abs(a.value(from) - b.value(from));
    for (int i = from + 1; i <= to; i++) {
      double current = Math.abs(a.value(i) - b.value(i));
      sum += (previous + current) / 2;
      previous = current;
    }
    if (tails) {
      sum += trapezoid(a.tailStep(false), b.tailStep(false)) + trapezoid(a.tailStep(true), b.tailStep(true));
    }
    return sum / g;
  }

  /** The mean of |a - b| across one step read at evenly spaced sub-levels, ends included. */
  private static double trapezoid(double[] a, double[] b) {
    double sum = 0;
    for (int k = 1; k < a.length; k++) {
      sum += (Math.abs(a[k - 1] - b[k - 1]) + Math.abs(a[k] - b[k])) / 2;
    }
    return sum / (a.length - 1);
  }
}
