package io.hindsight.examples.fraud;

import java.util.Arrays;
import java.util.TreeSet;

/**
 * A shallow classification tree grown by Gini impurity on quantile thresholds; leaves hold the
 * fraud rate shrunk towards the overall rate, so a small leaf does not claim certainty.
 */
final class DecisionTree {
  private static final int MIN_LEAF = 25;
  private static final int THRESHOLDS = 32;

  private final Node root;

  private record Node(int feature, double threshold, Node left, Node right, double p) {
    boolean leaf() {
      return left == null;
    }
  }

  private DecisionTree(Node root) {
    this.root = root;
  }

  static DecisionTree train(double[][] x, boolean[] y, int maxDepth) {
    int d = x[0].length;
    double[][] thresholds = new double[d][];
    for (int j = 0; j < d; j++) {
      double[] col = new double[x.length];
      for (int i = 0; i < x.length; i++) {
        col[i] = x[i][j];
      }
      Arrays.sort(col);
      TreeSet<Double> t = new TreeSet<>();
      for (int q = 1; q < THRESHOLDS; q++) {
        t.add(col[(int) ((long) q * (col.length - 1) / THRESHOLDS)]);
      }
      thresholds[j] = t.stream().mapToDouble(Double::doubleValue).toArray();
    }
    int[] all = new int[x.length];
    int positives = 0;
    for (int i = 0; i < x.length; i++) {
      all[i] = i;
      positives += y[i] ? 1 : 0;
    }
    double prior = (double) positives / x.length;
    return new DecisionTree(grow(x, y, all, thresholds, maxDepth, prior));
  }

  private static Node grow(double[][] x, boolean[] y, int[] rows, double[][] thresholds, int depth, double prior) {
    int pos = 0;
    for (int i : rows) {
      pos += y[i] ? 1 : 0;
    }
    double p = (pos + 4 * prior) / (rows.length + 4.0);
    if (depth == 0 || pos == 0 || pos == rows.length || rows.length < 2 * MIN_LEAF) {
      return new Node(-1, 0, null, null, p);
    }
    double parent = gini(pos, rows.length) * rows.length;
    double bestGain = 1e-9;
    int bestFeature = -1;
    double bestThreshold = 0;
    for (int j = 0; j < thresholds.length; j++) {
      for (double t : thresholds[j]) {
        int nl = 0;
        int pl = 0;
        for (int i : rows) {
          if (x[i][j] <= t) {
            nl++;
            pl += y[i] ? 1 : 0;
          }
        }
        int nr = rows.length - nl;
        if (nl < MIN_LEAF || nr < MIN_LEAF) {
          continue;
        }
        double gain = parent - gini(pl, nl) * nl - gini(pos - pl, nr) * nr;
        if (gain > bestGain) {
          bestGain = gain;
          bestFeature = j;
          bestThreshold = t;
        }
      }
    }
    if (bestFeature < 0) {
      return new Node(-1, 0, null, null, p);
    }
    int f = bestFeature;
    double t = bestThreshold;
    int[] left = Arrays.stream(rows).filter(i -> x[i][f] <= t).toArray();
    int[] right = Arrays.stream(rows).filter(i -> x[i][f] > t).toArray();
    return new Node(
        f, t, grow(x, y, left, thresholds, depth - 1, prior), grow(x, y, right, thresholds, depth - 1, prior), p);
  }

  private static double gini(int pos, int n) {
    if (n == 0) {
      return 0;
    }
    double q = (double) pos / n;
    return 2 * q * (1 - q);
  }

  double score(double[] x) {
    Node n = root;
    while (!n.leaf()) {
      n = x[n.feature()] <= n.threshold() ? n.left() : n.right();
    }
    return n.p();
  }
}
