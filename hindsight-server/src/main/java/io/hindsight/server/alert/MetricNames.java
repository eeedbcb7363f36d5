package io.hindsight.server.alert;

import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/** The metric names a rule may watch: those of the metric store (DESIGN §10). */
final class MetricNames {
  private MetricNames() {}

  /** Metrics of a feature: a rule on one of these names its column. */
  static final Set<String> PER_COLUMN =
      Set.of("missing_share", "conflict_count", "mean", "std", "min", "max", "p50", "distinct_count", "drift", "drifted");

  /** Quality against ground truth; each also exists label-free as {@code estimated_<name>}. */
  static final List<String> REALIZED =
      List.of(
          "accuracy", "precision", "recall", "f1", "roc_auc", "pr_auc", "log_loss", "brier", "positive_rate",
          "mae", "rmse", "mape", "r2", "mean_error", "macro_precision", "macro_recall", "macro_f1");

  /** Metrics of the whole endpoint (or segment): a rule on one of these has no column. */
  static final Set<String> PER_ENDPOINT =
      Stream.of(
              Stream.of(
                  "volume", "error_rate", "latency_p50", "latency_p95", "latency_p99", "feedback_count",
                  "labeled_share", "drifted_share", "prediction_drift"),
              REALIZED.stream(),
              REALIZED.stream().map(m -> "estimated_" + m))
          .flatMap(s -> s)
          .collect(Collectors.toUnmodifiableSet());

  static boolean known(String metric) {
    return PER_COLUMN.contains(metric) || PER_ENDPOINT.contains(metric);
  }
}
