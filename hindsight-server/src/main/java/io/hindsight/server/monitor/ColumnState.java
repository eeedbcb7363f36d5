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
   * KLL's accuracy parameter: a rank error of about 0.3 % (99 % confidence), well inside the KS
   * ± 0.01 DESIGN §10 allows a sketch, and small enough for Wasserstein's ± 3 % on a shift of a
   * tenth of a standard deviation and up; about 25 KB a sketch.
   */
  static final int QUANTILE_K = 1_000;

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
  private HllSketch distinct = new HllSketch(HLL_LG_K);
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
   * Adds the exact figures of some rows, as one grouped query over them counts them.
   *
   * @param present rows whose value is not NULL
   * @param finite numeric columns: values that are finite numbers; their mean, population
   *     variance, min and max follow (ignored when none)
   * @param counts counts per value as text (for numbers, finite ones), or null when the fold did
   *     not count them (numbers past {@link #MAX_NUMBER_VALUES} values)
   */
  void addCounts(long present, long conflicts, long finite, double mean, double variance, double min, double max,
      Map<String, Long> counts) {
    this.present += present;
    this.conflicts += conflicts;
    if (numeric && finite > 0) {
      // Chan et al.'s pairwise update of the count, mean and sum of squared deviations.
      long n = this.finite + finite;
      double delta = mean - this.mean;
      this.m2 += variance * finite + delta * delta * this.finite * finite / n;
      this.mean += delta * finite / n;
      this.finite = n;
      this.min = Math.min(this.min, min);
      this.max = Math.max(this.max, max);
    }
    if (counts == null) {
      stopCountingNumbers();
      return;
    }
    if (!numeric) {
      counts.keySet().forEach(distinct::update);
    }
    if (this.counts == null) {
      return;
    }
    for (Map.Entry<String, Long> e : counts.entrySet()) {
      Long n = this.counts.get(e.getKey());
      if (n != null) {
        this.counts.put(e.getKey(), n + e.getValue());
      } else if (numeric || this.counts.size() < Profiler.MAX_CATEGORIES) {
        this.counts.put(e.getKey(), e.getValue());
      } else {
        otherCount += e.getValue();
      }
    }
    if (numeric && this.counts.size() > MAX_NUMBER_VALUES) {
      this.counts = null;
    }
  }

  /**
   * Sets a numeric column's quantile and distinct-count sketches to the union of {@code parts}'
   * (the same column in the slices of one segment's values, which together hold every row).
   */
  void takeSketchesOf(List<ColumnState> parts) {
    quantiles = KllDoublesSketch.newHeapInstance(QUANTILE_K);
    distinct = new HllSketch(HLL_LG_K);
    parts.forEach(this::addSketchesOf);
  }

  /** Adds the quantile and distinct-count sketches of {@code other} (the same numeric column of another window) to these. */
  void addSketchesOf(ColumnState other) {
    quantiles.merge(other.quantiles);
    org.apache.datasketches.hll.Union union = new org.apache.datasketches.hll.Union(HLL_LG_K);
    union.update(distinct);
    union.update(other.distinct);
    distinct = union.getResult();
  }

  /** A copy that changes apart from this column. */
  ColumnState copy() {
    ColumnState copy = new ColumnState(numeric);
    copy.present = present;
    copy.finite = finite;
    copy.conflicts = conflicts;
    copy.mean = mean;
    copy.m2 = m2;
    copy.min = min;
    copy.max = max;
    if (numeric) {
      copy.quantiles.merge(quantiles);
    }
    copy.distinct = distinct.copy();
    copy.counts = counts == null ? null : new HashMap<>(counts);
    copy.otherCount = otherCount;
    return copy;
  }

  /** Adds finite numbers to the quantile and distinct-count sketches (numeric columns). */
  void addNumbers(double[] values) {
    quantiles.update(values, 0, values.length);
    for (double v : values) {
      distinct.update(v);
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
            quantiles.getQuantiles(QuantileGrid.tailLevels(Profiler.GRID_STEPS), QuantileSearchCriteria.INCLUSIVE))
        .withMean(mean);
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
