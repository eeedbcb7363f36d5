package io.hindsight.server.monitor;

import java.util.Objects;

/**
 * How binary predictions are read (multiclass and regression ignore it).
 *
 * @param threshold a row without a {@code predicted} value is predicted positive when its score is
 *     at least this (monitoring config {@code threshold}, default 0.5)
 * @param positiveClass the label and {@code predicted} value that means positive; every other
 *     value is negative (monitoring config {@code positive_class}, default {@code "true"})
 */
public record EvaluationSpec(double threshold, String positiveClass) {
  /** Threshold 0.5, positive class {@code "true"}. */
  public static final EvaluationSpec DEFAULTS = new EvaluationSpec(0.5, "true");

  public EvaluationSpec {
    if (!Double.isFinite(threshold)) {
      throw new IllegalArgumentException("threshold must be a finite number, got " + threshold);
    }
    Objects.requireNonNull(positiveClass, "positive_class");
  }
}
