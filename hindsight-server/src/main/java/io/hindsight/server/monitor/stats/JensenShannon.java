package io.hindsight.server.monitor.stats;

/**
 * The Jensen–Shannon distance with natural logarithms, as {@code scipy.spatial.distance.jensenshannon}:
 * {@code sqrt((KL(p || m) + KL(q || m)) / 2)} with {@code m = (p + q) / 2}, each side first scaled
 * to sum to 1. Between 0 and {@code sqrt(ln 2)}.
 */
public final class JensenShannon {
  private JensenShannon() {}

  /** The distance between two frequency vectors over the same categories (counts or shares). */
  public static double distance(double[] p, double[] q) {
    if (p.length != q.length) {
      throw new IllegalArgumentException("frequencies over " + p.length + " and " + q.length + " categories");
    }
    double sp = sum(p);
    double sq = sum(q);
    double divergence = 0;
    for (int i = 0; i < p.length; i++) {
      double a = p[i] / sp;
      double b = q[i] / sq;
      double m = (a + b) / 2;
      divergence += part(a, m) + part(b, m);
    }
    return Math.sqrt(Math.max(0, divergence / 2));
  }

  private static double part(double x, double m) {
    return x > 0 ? x * Math.log(x / m) : 0;
  }

  private static double sum(double[] v) {
    double s = 0;
    for (double x : v) {
      s += x;
    }
    if (!(s > 0)) {
      throw new IllegalArgumentException("frequencies must have a positive sum");
    }
    return s;
  }
}
