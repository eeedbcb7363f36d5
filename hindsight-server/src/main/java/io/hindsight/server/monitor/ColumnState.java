package io.hindsight.server.monitor;

import io.hindsight.server.monitor.ColumnProfile.Categories;
import io.hindsight.server.monitor.ColumnProfile.Kind;
import io.hindsight.server.monitor.stats.QuantileGrid;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.datasketches.hll.HllSketch;
import org.apache.datasketches.kll.KllDoublesSketch;
import org.apache.datasketches.quantilescommon.DoublesSortedView;
import org.apache.datasketches.quantilescommon.QuantileSearchCriteria;

/**
 * One column's values in one slice of an open window, summarised so that rows can be added as
 * they arrive (DESIGN §10's figures without rescanning the window): counts, moments, a KLL
 * quantile sketch, a HyperLogLog distinct count and, while the values are few, counts per value.
 */
final class ColumnState {
  /**
   * KLL's accuracy parameter: a rank error of about 0.7 % (99 % confidence), well inside the
   * KS ± 0.01 that DESIGN §10 allows a sketch.
   */
  static final int QUANTILE_K = 400;

  private static final int HLL_LG_K = 12;

  /**
   * Numbers are also counted per value (a column of a few distinct numbers is compared as
   * categories) until they have this many distinct values; past it they cannot be categorical.
   */
  static final int MAX_NUMBER_VALUES = 1_000;

  private final boolean numeric;
  private long present;
  private long finite;
  private long conflicts;
  private double mean;
  private double m2;
  private double min = Double.POSITIVE_INFINITY;
  private double max = Double.NEGATIVE_INFINITY;
  private KllDoublesSketch quantiles;
  private final HllSketch distinct = new HllSketch(HLL_LG_K);
  /** Counts per value as text (for numbers, only finite ones); null once numbers are too many. */
  private Map<String, Long> counts = new HashMap<>();
  /** Text values past {@link Profiler#MAX_CATEGORIES} categories, counted together. */
  private long otherCount;

  /** @param numeric whether the column's SQL type is a number */
  ColumnState(boolean numeric) {
    this.numeric = numeric;
    if (numeric) {
      quantiles = KllDoublesSketch.newHeapInstance(QUANTILE_K);
    }
  }

  boolean numeric() {
    return numeric;
  }

  /** Whether numbers are still counted per value (the fold then reads their text too). */
  boolean countsNumbers() {
    return numeric && counts != null;
  }

  /** Numbers are no longer counted per value (a fold did not read their text). */
  void stopCountingNumbers() {
    if (numeric) {
      counts = null;
    }
  }

  /**
   * Adds a row.
   *
   * @param number the value as a double, for numeric columns (null when NULL)
   * @param text the value as DuckDB writes it as text (for numbers, only when finite and while
   *     they are counted per value); null when NULL
   */
  void add(Double number, String text, boolean conflict) {
    if (conflict) {
      conflicts++;
    }
    if (numeric) {
      if (number == null) {
        return;
      }
      present++;
      double v = number;
      distinct.update(v);
      if (!Double.isFinite(v)) {
        return;
      }
      finite++;
      double delta = v - mean;
      mean += delta / finite;
      m2 += delta * (v - mean);
      min = Math.min(min, v);
      max = Math.max(max, v);
      quantiles.update(v);
      if (counts != null && text != null) {
        counts.merge(text, 1L, Long::sum);
        if (counts.size() > MAX_NUMBER_VALUES) {
          counts = null;
        }
      }
      return;
    }
    if (text == null) {
      return;
    }
    present++;
    distinct.update(text);
    Long n = counts.get(text);
    if (n != null) {
      counts.put(text, n + 1);
    } else if (counts.size() < Profiler.MAX_CATEGORIES) {
      counts.put(text, 1L);
    } else {
      otherCount++;
    }
  }

  /** The base figures of DESIGN §10 for this column over {@code volume} rows of the slice. */
  void figures(String column, String segment, long volume, List<MetricValue> out) {
    out.add(new MetricValue("missing_share", column, segment, (double) (volume - present) / volume, volume));
    out.add(new MetricValue("conflict_count", column, segment, conflicts, volume));
    out.add(new MetricValue("distinct_count", column, segment, Math.round(distinct.getEstimate()), present));
    if (numeric && finite > 0) {
      out.add(new MetricValue("mean", column, segment, mean, present));
      out.add(new MetricValue("std", column, segment, Math.sqrt(m2 / finite), present));
      out.add(new MetricValue("min", column, segment, min, present));
      out.add(new MetricValue("max", column, segment, max, present));
      out.add(new MetricValue("p50", column, segment, continuousQuantile(quantiles, 0.5), present));
    }
  }

  /**
   * The column as drift compares it, the way the reference's profile says ({@code kind}), over
   * {@code rows} rows of the slice.
   *
   * @throws IllegalArgumentException when the reference's numbers are not numbers here
   */
  ColumnProfile profile(String column, Kind kind, long rows) {
    if (kind == Kind.NUMERIC) {
      if (!numeric) {
        throw new IllegalArgumentException("column '" + column + "' is numeric in the reference but not a number here");
      }
      return new ColumnProfile(column, kind, rows, rows - finite, null, finite == 0 ? null : grid(), null);
    }
    long values = numeric ? finite : present;
    return new ColumnProfile(column, kind, rows, rows - values, null, null, categories(values));
  }

  /**
   * The quantile as DuckDB's {@code quantile_cont} defines it (linear interpolation between the
   * closest ranks): exact while the sketch still holds every value, within its rank error after.
   */
  static double continuousQuantile(KllDoublesSketch sketch, double level) {
    if (sketch.isEstimationMode()) {
      return sketch.getQuantile(level, QuantileSearchCriteria.INCLUSIVE);
    }
    DoublesSortedView view = sketch.getSortedView();
    double[] items = view.getQuantiles();
    long[] cumulative = view.getCumulativeWeights();
    double h = (sketch.getN() - 1) * level;
    long below = (long) Math.floor(h);
    double lower = valueAtRank(items, cumulative, below);
    double upper = valueAtRank(items, cumulative, Math.min(below + 1, sketch.getN() - 1));
    return lower + (h - below) * (upper - lower);
  }

  /** The value at 0-based rank {@code r} of a sorted view whose items stand for their weights. */
  private static double valueAtRank(double[] items, long[] cumulative, long r) {
    int i = 0;
    while (cumulative[i] <= r) {
      i++;
    }
    return items[i];
  }

  private QuantileGrid grid() {
    return QuantileGrid.fromEstimates(
        quantiles.getQuantiles(QuantileGrid.levels(Profiler.GRID_STEPS), QuantileSearchCriteria.INCLUSIVE),
        quantiles.getQuantiles(QuantileGrid.tailLevels(Profiler.GRID_STEPS), QuantileSearchCriteria.INCLUSIVE));
  }

  /**
   * Counts per value, largest first. Numbers past {@link #MAX_NUMBER_VALUES} distinct values are
   * all one unknown category (they are many against a reference of at most a few).
   */
  private Categories categories(long values) {
    if (counts == null) {
      return new Categories(Map.of(), values, Math.round(distinct.getEstimate()));
    }
    List<Map.Entry<String, Long>> sorted = new ArrayList<>(counts.entrySet());
    sorted.sort(Map.Entry.<String, Long>comparingByValue().reversed().thenComparing(Map.Entry.comparingByKey()));
    Map<String, Long> out = new LinkedHashMap<>();
    sorted.forEach(e -> out.put(e.getKey(), e.getValue()));
    long distinctCount = otherCount == 0 ? out.size() : Math.max(out.size() + 1, Math.round(distinct.getEstimate()));
    return new Categories(out, otherCount, distinctCount);
  }
}
