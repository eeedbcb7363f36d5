package io.hindsight.server.monitor;

import static io.hindsight.server.monitor.EvaluationMetrics.ratioOrZero;

import java.util.Map;

/**
 * A two-class confusion matrix, counted from labels or expected from calibrated probabilities
 * (CBPE), and the metrics read from it. A ratio with a zero denominator is 0, as scikit-learn's
 * {@code zero_division=0}.
 */
record ConfusionMetrics(double truePositives, double falsePositives, double falseNegatives, double trueNegatives) {

  double total() {
    return truePositives + falsePositives + falseNegatives + trueNegatives;
  }

  /** accuracy, precision, recall, f1; empty when the matrix holds no rows. */
  Map<String, Double> metrics() {
    EvaluationMetrics m = new EvaluationMetrics();
    if (total() == 0) {
      return m.asMap();
    }
    return m.put("accuracy", (truePositives + trueNegatives) / total())
        .put("precision", ratioOrZero(truePositives, truePositives + falsePositives))
        .put("recall", ratioOrZero(truePositives, truePositives + falseNegatives))
        .put("f1", ratioOrZero(2 * truePositives, 2 * truePositives + falsePositives + falseNegatives))
        .asMap();
  }

  /** The share of rows predicted positive. */
  double positiveRate() {
    return (truePositives + falsePositives) / total();
  }
}
