package io.hindsight.server.monitor;

import io.hindsight.server.monitor.ColumnProfile.Kind;
import java.util.Arrays;
import java.util.stream.Collectors;

/**
 * How a column's drift is measured, with the threshold that calls it drifted (DESIGN §10,
 * Evidently's defaults). Each method applies to one kind of column: {@link #KS}, {@link
 * #WASSERSTEIN_NORM} and {@link #PSI} to numeric columns, {@link #CHISQUARE} and {@link
 * #JENSENSHANNON} to categorical ones.
 */
public enum DriftMethod {
  /** Two-sample Kolmogorov–Smirnov D, asymptotic p-value; drifted when p < 0.05. */
  KS("ks", Kind.NUMERIC, 0.05, true),
  /** Pearson's chi-square of current counts against reference proportions; drifted when p < 0.05. */
  CHISQUARE("chisquare", Kind.CATEGORICAL, 0.05, true),
  /** Wasserstein-1 distance divided by the reference's population std; drifted when ≥ 0.1. */
  WASSERSTEIN_NORM("wasserstein_norm", Kind.NUMERIC, 0.1, false),
  /** Jensen–Shannon distance (natural log) over category frequencies; drifted when ≥ 0.1. */
  JENSENSHANNON("jensenshannon", Kind.CATEGORICAL, 0.1, false),
  /** Population stability index over the reference's deciles; drifted when ≥ 0.2. */
  PSI("psi", Kind.NUMERIC, 0.2, false);

  /** Up to this many reference rows the tests (ks, chisquare) are the default, above it the distances. */
  public static final long SMALL_REFERENCE_ROWS = 1_000;

  private final String publicName;
  private final Kind kind;
  private final double threshold;
  private final boolean byPValue;

  DriftMethod(String publicName, Kind kind, double threshold, boolean byPValue) {
    this.publicName = publicName;
    this.kind = kind;
    this.threshold = threshold;
    this.byPValue = byPValue;
  }

  /** The name the API uses ({@code method=ks}). */
  public String publicName() {
    return publicName;
  }

  /**
   * The method named {@code name} in the API; an unknown name is an {@link
   * IllegalArgumentException} listing the known ones.
   */
  public static DriftMethod fromPublicName(String name) {
    for (DriftMethod m : values()) {
      if (m.publicName.equals(name)) {
        return m;
      }
    }
    throw new IllegalArgumentException(
        "unknown drift method '" + name + "'; use one of "
            + Arrays.stream(values()).map(DriftMethod::publicName).collect(Collectors.joining(", ")));
  }

  /** The default for a column of {@code kind} against a reference of {@code referenceRows} rows. */
  public static DriftMethod defaultFor(Kind kind, long referenceRows) {
    boolean small = referenceRows <= SMALL_REFERENCE_ROWS;
    if (kind == Kind.NUMERIC) {
      return small ? KS : WASSERSTEIN_NORM;
    }
    return small ? CHISQUARE : JENSENSHANNON;
  }

  /**
   * The method for a column: {@code forced} when it applies to the column's kind, otherwise (no
   * method forced, or one for the other kind) the kind's default.
   */
  public static DriftMethod forColumn(DriftMethod forced, Kind kind, long referenceRows) {
    return forced != null && forced.kind == kind ? forced : defaultFor(kind, referenceRows);
  }

  /** The p-value limit (ks, chisquare) or the statistic's limit (the others). */
  public double threshold() {
    return threshold;
  }

  /** Whether a column with this statistic (and p-value, for tests) has drifted. */
  boolean drifted(double statistic, Double pValue) {
    return byPValue ? pValue < threshold : statistic >= threshold;
  }
}
