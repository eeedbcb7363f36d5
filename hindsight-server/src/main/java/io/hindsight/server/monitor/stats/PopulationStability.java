package io.hindsight.server.monitor.stats;

/**
 * The population stability index over the reference's deciles: bins {@code (-inf, d1], (d1, d2],
 * ..., (d9, +inf)}, then {@code PSI = Σ (c - r) ln(c / r)} over the bins' shares, a share of 0
 * replaced by {@value #EMPTY_SHARE} so the logarithm stays finite.
 */
public final class PopulationStability {
  /** The share given to an empty bin. */
  public static final double EMPTY_SHARE = 0.0001;

  private static final int BINS = 10;

  private PopulationStability() {}

  /** PSI of {@code current} against the deciles of {@code reference}; the grids' steps must be multiples of 10. */
  public static double index(QuantileGrid reference, QuantileGrid current) {
    double psi = 0;
    double refBelow = 0;
    double curBelow = 0;
    for (int k = 1; k <= BINS; k++) {
      double refUpTo = 1;
      double curUpTo = 1;
      if (k < BINS) {
        double edge = reference.quantile((double) k / BINS);
        refUpTo = reference.cdf(edge);
        curUpTo = current.cdf(edge);
      }
      psi += term(refUpTo - refBelow, curUpTo - curBelow);
      refBelow = refUpTo;
      curBelow = curUpTo;
    }
    return psi;
  }

  /** One bin's part of the index given the reference's and the current's share in it. */
  public static double term(double referenceShare, double currentShare) {
    double r = referenceShare <= 0 ? EMPTY_SHARE : referenceShare;
    double c = currentShare <= 0 ? EMPTY_SHARE : currentShare;
    return (c - r) * Math.log(c / r);
  }
}
