package io.hindsight.server.monitor.stats;

import org.apache.commons.statistics.distribution.ChiSquaredDistribution;

/**
 * Pearson's chi-square goodness-of-fit test of current counts against the reference's
 * proportions: {@code χ² = Σ (o - e)² / e} with {@code e = share · n}, {@code df = categories - 1}.
 * A category the reference lacks gets the share {@value #ABSENT_SHARE}, as Evidently does.
 */
public final class PearsonChiSquare {
  /** The reference share given to a category seen only in the current sample. */
  public static final double ABSENT_SHARE = 0.0001;

  private PearsonChiSquare() {}

  /** The statistic and its p-value. */
  public record Result(double statistic, double pValue) {}

  /**
   * @param referenceCounts the reference's count per category
   * @param currentCounts the current sample's count per category, in the same order
   */
  public static Result test(long[] referenceCounts, long[] currentCounts) {
    if (referenceCounts.length != currentCounts.length) {
      throw new IllegalArgumentException(
          "counts over " + referenceCounts.length + " and " + currentCounts.length + " categories");
    }
    double referenceTotal = 0;
    double currentTotal = 0;
    for (int i = 0; i < referenceCounts.length; i++) {
      referenceTotal += referenceCounts[i];
      currentTotal += currentCounts[i];
    }
    double statistic = 0;
    for (int i = 0; i < referenceCounts.length; i++) {
      double share = referenceCounts[i] > 0 ? referenceCounts[i] / referenceTotal : ABSENT_SHARE;
      double expected = share * currentTotal;
      double diff = currentCounts[i] - expected;
      statistic += diff * diff / expected;
    }
    int df = referenceCounts.length - 1;
    if (df < 1) {
      return new Result(0, 1);
    }
    return new Result(statistic, ChiSquaredDistribution.of(df).survivalProbability(statistic));
  }
}
