package io.hindsight.server.monitor.stats;

/**
 * The Wasserstein-1 (earth mover's) distance between two one-dimensional distributions: {@code
 * ∫|F - G| dx}, which equals {@code ∫₀¹ |F⁻¹(u) - G⁻¹(u)| du}.
 */
public final class Wasserstein {
  private Wasserstein() {}

  /**
   * W1 from two quantile grids of the same number of steps: the trapezoid rule over the levels of
   * {@code ∫₀¹ |Qa(u) - Qb(u)| du}.
   */
  public static double distance(QuantileGrid a, QuantileGrid b) {
    if (a.steps() != b.steps()) {
      throw new IllegalArgumentException("grids of " + a.steps() + " and " + b.steps() + " steps");
    }
    int g = a.steps();
    double sum = 0;
    double previous = Math.abs(a.value(0) - b.value(0));
    for (int i = 1; i <= g; i++) {
      double current = Math.abs(a.value(i) - b.value(i));
      sum += (previous + current) / 2;
      previous = current;
    }
    return sum / g;
  }
}
