package io.hindsight.server.monitor.stats;

/**
 * The two-sample Kolmogorov–Smirnov test: the statistic {@code D = sup |F(x) - G(x)|} and its
 * asymptotic p-value (Kolmogorov's limiting distribution at {@code sqrt(n m / (n + m)) D}).
 *
 * <p>scipy's {@code ks_2samp(method="asymp")} uses the finite-sample distribution of {@code
 * round(n m / (n + m))} instead; the two agree for large samples, and for small ones the limit
 * gives the larger (more cautious) p-value.
 */
public final class KolmogorovSmirnov {
  private KolmogorovSmirnov() {}

  /**
   * D between two distributions given as quantile grids. Both step CDFs only jump at grid values,
   * so the supremum is reached at one of them; each side's error is its grid's (at most {@code 1 /
   * G} for exact quantiles).
   */
  public static double statistic(QuantileGrid a, QuantileGrid b) {
    double d = 0;
    for (QuantileGrid g : new QuantileGrid[] {a, b}) {
      for (int i = 0; i <= g.steps(); i++) {
        double x = g.value(i);
        d = Math.max(d, Math.abs(a.cdf(x) - b.cdf(x)));
      }
    }
    return d;
  }

  /**
   * The asymptotic p-value of {@code d} for samples of {@code n} and {@code m} values: the
   * survival function of Kolmogorov's distribution at {@code z = sqrt(n m / (n + m)) d}.
   */
  public static double pValue(double d, long n, long m) {
    double en = (double) n * m / (n + m);
    return kolmogorovSurvival(Math.sqrt(en) * d);
  }

  /** {@code P(K > z)} for Kolmogorov's distribution, by whichever of its two series converges fast. */
  static double kolmogorovSurvival(double z) {
    if (z <= 0) {
      return 1;
    }
    if (z < 1.18) {
      // CDF = sqrt(2 pi) / z * sum exp(-(2k-1)^2 pi^2 / (8 z^2))
      double sum = 0;
      double w = Math.PI * Math.PI / (8 * z * z);
      for (int k = 1; k <= 20; k++) {
        sum += Math.exp(-(2 * k - 1) * (2 * k - 1) * w);
      }
      return clip(1 - Math.sqrt(2 * Math.PI) / z * sum);
    }
    // survival = 2 sum (-1)^(k-1) exp(-2 k^2 z^2)
    double sum = 0;
    for (int k = 1; k <= 100; k++) {
      double term = Math.exp(-2.0 * k * k * z * z);
      sum += (k % 2 == 1) ? term : -term;
      if (term < 1e-16) {
        break;
      }
    }
    return clip(2 * sum);
  }

  private static double clip(double p) {
    return Math.min(1, Math.max(0, p));
  }
}
