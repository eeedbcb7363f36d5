package io.hindsight.examples.fraud;

/** Logistic regression on standardized features, trained by full-batch gradient descent with L2. */
final class LogisticRegression {
  private final double[] mean;
  private final double[] scale;
  private final double[] weights;
  private final double bias;

  private LogisticRegression(double[] mean, double[] scale, double[] weights, double bias) {
    this.mean = mean;
    this.scale = scale;
    this.weights = weights;
    this.bias = bias;
  }

  static LogisticRegression train(double[][] x, boolean[] y, int epochs, double learningRate, double l2) {
    int n = x.length;
    int d = x[0].length;
    double[] mean = new double[d];
    double[] scale = new double[d];
    for (double[] row : x) {
      for (int j = 0; j < d; j++) {
        mean[j] += row[j] / n;
      }
    }
    for (double[] row : x) {
      for (int j = 0; j < d; j++) {
        scale[j] += (row[j] - mean[j]) * (row[j] - mean[j]) / n;
      }
    }
    for (int j = 0; j < d; j++) {
      scale[j] = Math.sqrt(scale[j]) < 1e-9 ? 1 : Math.sqrt(scale[j]);
    }
    double[][] z = new double[n][d];
    for (int i = 0; i < n; i++) {
      for (int j = 0; j < d; j++) {
        z[i][j] = (x[i][j] - mean[j]) / scale[j];
      }
    }
    double[] w = new double[d];
    double b = 0;
    double[] grad = new double[d];
    for (int epoch = 0; epoch < epochs; epoch++) {
      java.util.Arrays.fill(grad, 0);
      double gb = 0;
      for (int i = 0; i < n; i++) {
        double err = sigmoid(dot(w, z[i]) + b) - (y[i] ? 1 : 0);
        for (int j = 0; j < d; j++) {
          grad[j] += err * z[i][j];
        }
        gb += err;
      }
      for (int j = 0; j < d; j++) {
        w[j] -= learningRate * (grad[j] / n + l2 * w[j]);
      }
      b -= learningRate * gb / n;
    }
    return new LogisticRegression(mean, scale, w, b);
  }

  double score(double[] x) {
    double s = bias;
    for (int j = 0; j < weights.length; j++) {
      s += weights[j] * (x[j] - mean[j]) / scale[j];
    }
    return sigmoid(s);
  }

  /** Each feature's contribution to the log-odds of this transaction, against the average one. */
  double[] contributions(double[] x) {
    double[] c = new double[weights.length];
    for (int j = 0; j < weights.length; j++) {
      c[j] = weights[j] * (x[j] - mean[j]) / scale[j];
    }
    return c;
  }

  private static double dot(double[] a, double[] b) {
    double s = 0;
    for (int j = 0; j < a.length; j++) {
      s += a[j] * b[j];
    }
    return s;
  }

  static double sigmoid(double s) {
    return 1 / (1 + Math.exp(-s));
  }
}
