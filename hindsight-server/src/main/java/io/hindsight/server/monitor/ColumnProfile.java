package io.hindsight.server.monitor;

import io.hindsight.server.monitor.stats.QuantileGrid;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * One column of one window, summarised: what drift and the metric store need, without rows.
 *
 * @param column the column's public name
 * @param kind numeric or categorical (see {@link Kind})
 * @param rows rows of the window
 * @param missing rows where the value is NULL (or, for numbers, NaN or infinite)
 * @param numeric the numeric figures; present for every column of a numeric SQL type that has a
 *     value, null otherwise and in the current window's profiles that drift takes ({@link
 *     Profiler}), which only need the quantiles
 * @param quantiles the quantile grid numeric drift is computed from; present for every column of a
 *     numeric SQL type that has a value, null otherwise
 * @param categories the counts per value as text; present for categorical columns, null otherwise
 */
public record ColumnProfile(
    String column, Kind kind, long rows, long missing, Numeric numeric, QuantileGrid quantiles, Categories categories) {

  /**
   * How a column is compared. A column of numbers with more than {@value Profiler#NUMERIC_MIN_DISTINCT}
   * distinct values is numeric; anything else (text, booleans, a few distinct numbers) is
   * categorical and compared as text.
   */
  public enum Kind {
    NUMERIC("numeric"),
    CATEGORICAL("categorical");

    private final String publicName;

    Kind(String publicName) {
      this.publicName = publicName;
    }

    /** The name reports use. */
    public String publicName() {
      return publicName;
    }
  }

  /** Rows that have a value. */
  public long values() {
    return rows - missing;
  }

  /** Missing rows as a share of rows; 0 for a window without rows. */
  public double missingShare() {
    return rows == 0 ? 0 : (double) missing / rows;
  }

  /**
   * Numeric figures over the values (missing left out).
   *
   * @param std the population standard deviation
   * @param p50 the median (lower median, or the sketch's, see {@link Profiler})
   * @param distinctCount exact up to {@value Profiler#EXACT_DISTINCT_UP_TO} distinct values,
   *     approximate (HyperLogLog) above
   */
  public record Numeric(double mean, double std, double min, double max, double p50, long distinctCount) {}

  /**
   * Counts per value as text, largest first, bounded to {@value Profiler#MAX_CATEGORIES} categories.
   *
   * @param counts the largest categories and their counts, largest first
   * @param otherCount values in the categories left out of {@code counts}, counted together
   * @param distinctCount how many categories there are in all, those left out included
   */
  public record Categories(Map<String, Long> counts, long otherCount, long distinctCount) {
    public Categories {
      counts = Collections.unmodifiableMap(new LinkedHashMap<>(counts));
    }

    /** Whether categories were left out of {@code counts} (and counted in {@code otherCount}). */
    public boolean truncated() {
      return distinctCount > counts.size();
    }
  }
}
