package io.hindsight.server.monitor;

import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * The drift statistics computed the textbook way from the raw values, independently of the
 * calculator's summaries, to check it against.
 */
final class DriftFormulas {
  private DriftFormulas() {}

  /** Two-sample KS D by walking both sorted samples. */
  static double ksStatistic(double[] a, double[] b) {
    double[] x = sorted(a);
    double[] y = sorted(b);
    int i = 0;
    int j = 0;
    double d = 0;
    while (i < x.length && j < y.length) {
      double v = Math.min(x[i], y[j]);
      while (i < x.length && x[i] == v) {
        i++;
      }
      while (j < y.length && y[j] == v) {
        j++;
      }
      d = Math.max(d, Math.abs((double) i / x.length - (double) j / y.length));
    }
    return d;
  }

  /** W1 = ∫|F - G| dx over the merged sorted values. */
  static double wasserstein(double[] a, double[] b) {
    double[] x = sorted(a);
    double[] y = sorted(b);
    double[] all = sorted(concat(x, y));
    double w = 0;
    int i = 0;
    int j = 0;
    for (int k = 0; k < all.length - 1; k++) {
      while (i < x.length && x[i] <= all[k]) {
        i++;
      }
      while (j < y.length && y[j] <= all[k]) {
        j++;
      }
      w += Math.abs((double) i / x.length - (double) j / y.length) * (all[k + 1] - all[k]);
    }
    return w;
  }

  static double populationStd(double[] a) {
    double mean = Arrays.stream(a).average().orElseThrow();
    return Math.sqrt(Arrays.stream(a).map(v -> (v - mean) * (v - mean)).sum() / a.length);
  }

  /** PSI over the reference's deciles (the inverse-ECDF decile), bins (d(k-1), d(k)], zero shares 0.0001. */
  static double psi(double[] reference, double[] current) {
    double[] r = sorted(reference);
    double[] edges = new double[9];
    for (int k = 1; k <= 9; k++) {
      edges[k - 1] = r[(int) Math.ceil(k / 10.0 * r.length) - 1];
    }
    double[] rs = binShares(reference, edges);
    double[] cs = binShares(current, edges);
    double psi = 0;
    for (int k = 0; k < 10; k++) {
      double p = rs[k] == 0 ? 0.0001 : rs[k];
      double q = cs[k] == 0 ? 0.0001 : cs[k];
      psi += (q - p) * Math.log(q / p);
    }
    return psi;
  }

  private static double[] binShares(double[] values, double[] edges) {
    double[] shares = new double[edges.length + 1];
    for (double v : values) {
      int bin = 0;
      while (bin < edges.length && v > edges[bin]) {
        bin++;
      }
      shares[bin] += 1.0 / values.length;
    }
    return shares;
  }

  /** Jensen–Shannon distance (natural log) between the frequencies of two samples of categories. */
  static double jensenShannon(List<String> a, List<String> b) {
    double js = 0;
    for (String key : union(a, b)) {
      double p = share(a, key);
      double q = share(b, key);
      double m = (p + q) / 2;
      js += (p > 0 ? p * Math.log(p / m) : 0) + (q > 0 ? q * Math.log(q / m) : 0);
    }
    return Math.sqrt(js / 2);
  }

  /** Pearson's χ² of the current counts against the reference's shares, 0.0001 for a category the reference lacks. */
  static double chiSquare(List<String> reference, List<String> current) {
    double chi = 0;
    for (String key : union(reference, current)) {
      double share = share(reference, key);
      double expected = (share == 0 ? 0.0001 : share) * current.size();
      double observed = current.stream().filter(key::equals).count();
      chi += (observed - expected) * (observed - expected) / expected;
    }
    return chi;
  }

  static int categories(List<String> reference, List<String> current) {
    return union(reference, current).size();
  }

  private static Set<String> union(List<String> a, List<String> b) {
    Set<String> keys = new LinkedHashSet<>(a);
    keys.addAll(b);
    return keys;
  }

  private static double share(List<String> values, String key) {
    return (double) values.stream().filter(key::equals).count() / values.size();
  }

  private static double[] sorted(double[] a) {
    double[] s = a.clone();
    Arrays.sort(s);
    return s;
  }

  private static double[] concat(double[] a, double[] b) {
    double[] c = Arrays.copyOf(a, a.length + b.length);
    System.arraycopy(b, 0, c, a.length, b.length);
    return c;
  }
}
