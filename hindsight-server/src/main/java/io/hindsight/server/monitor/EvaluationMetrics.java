package io.hindsight.server.monitor;

import java.util.LinkedHashMap;
import java.util.Map;

/** Metric values by name in the order they were added; an undefined (non-finite) value is left out. */
final class EvaluationMetrics {
  private final Map<String, Double> values = new LinkedHashMap<>();

  EvaluationMetrics put(String name, double value) {
    if (Double.isFinite(value)) {
      values.put(name, value);
    }
    return this;
  }

  EvaluationMetrics putAll(Map<String, Double> more) {
    values.putAll(more);
    return this;
  }

  Map<String, Double> asMap() {
    return values;
  }

  /** {@code numerator / denominator}, 0 when the denominator is 0 (scikit-learn's zero_division=0). */
  static double ratioOrZero(double numerator, double denominator) {
    return denominator == 0 ? 0 : numerator / denominator;
  }
}
