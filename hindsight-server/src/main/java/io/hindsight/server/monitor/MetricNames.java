package io.hindsight.server.monitor;

import java.util.List;
import java.util.Set;
import java.util.TreeSet;

/** The metric names of DESIGN §10, as the metric store, its API and alert rules know them. */
public final class MetricNames {
  private MetricNames() {}

  /** Figures of the whole window (no column). */
  public static final Set<String> WINDOW =
      Set.of("volume", "error_rate", "latency_p50", "latency_p95", "latency_p99", "feedback_count", "labeled_share",
          "drifted_share", "prediction_drift");

  /** Figures of one feature. */
  public static final Set<String> PER_COLUMN =
      Set.of("missing_share", "conflict_count", "mean", "std", "min", "max", "p50", "distinct_count", "drift", "drifted");

  /** Model quality over labeled rows; each also exists as {@code estimated_<name>}. */
  public static final List<String> QUALITY =
      List.of(
          "accuracy", "precision", "recall", "f1", "roc_auc", "pr_auc", "log_loss", "brier", "positive_rate",
          "macro_precision", "macro_recall", "macro_f1", "mae", "rmse", "mape", "r2", "mean_error");

  /** Whether {@code name} is a metric of §10. */
  public static boolean known(String name) {
    return WINDOW.contains(name)
        || PER_COLUMN.contains(name)
        || QUALITY.contains(name)
        || (name.startsWith("estimated_") && QUALITY.contains(name.substring("estimated_".length())));
  }

  /**
   * Whether the figure depends on feedback or the model's quality (feedback counts, realized and
   * estimated quality): what late feedback changes, computed from the rows (not kept in sketches).
   */
  public static boolean fromLabels(String name) {
    return name.equals("feedback_count")
        || name.equals("labeled_share")
        || QUALITY.contains(name)
        || (name.startsWith("estimated_") && QUALITY.contains(name.substring("estimated_".length())));
  }

  /** Whether the metric is of one column, so a request for it must name the column. */
  public static boolean perColumn(String name) {
    return PER_COLUMN.contains(name);
  }

  /** Every name, sorted. */
  public static Set<String> names() {
    Set<String> all = new TreeSet<>(WINDOW);
    all.addAll(PER_COLUMN);
    all.addAll(QUALITY);
    QUALITY.forEach(q -> all.add("estimated_" + q));
    return all;
  }

  /** Every name, sorted, for messages. */
  public static String all() {
    return String.join(", ", names());
  }
}
