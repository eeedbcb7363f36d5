package io.hindsight.server.monitor;

import io.hindsight.server.monitor.ColumnProfile.Categories;
import io.hindsight.server.monitor.ColumnProfile.Kind;
import io.hindsight.server.monitor.stats.JensenShannon;
import io.hindsight.server.monitor.stats.KolmogorovSmirnov;
import io.hindsight.server.monitor.stats.PearsonChiSquare;
import io.hindsight.server.monitor.stats.PopulationStability;
import io.hindsight.server.monitor.stats.Wasserstein;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * Drift between two windows (DESIGN §10): each column is profiled in both ({@link Profiler}) and
 * the profiles compared, so the cost is a few scans in DuckDB whatever the windows' size.
 *
 * <p>The reference decides each column's kind and, unless a method is forced, its method ({@link
 * DriftMethod#defaultFor}). A forced method applies to the columns of its kind; the other columns
 * keep their kind's default. Numeric columns are compared through quantile grids: exact for
 * windows of up to {@value Profiler#EXACT_QUANTILE_ROWS} rows (D within 1 / {@value
 * Profiler#GRID_STEPS} of the exact), a uniform sample of {@value Profiler#QUANTILE_SAMPLE} values above. Categorical columns are compared through
 * their counts per value; when a window has more than {@value Profiler#MAX_CATEGORIES} categories,
 * the rest form one more category on both sides.
 */
public final class DriftCalculator {
  /** The share of drifted columns from which the whole dataset counts as drifted. */
  public static final double DATASET_DRIFT_SHARE = 0.5;

  private final Profiler profiler;

  public DriftCalculator(Connection duckdb) {
    this.profiler = new Profiler(duckdb);
  }

  /**
   * Drift of {@code current} against {@code reference}.
   *
   * @param reference a SQL FROM-item (a table name or {@code (SELECT ...)})
   * @param current a SQL FROM-item
   * @param method the method to force, or null for each column's default
   * @throws IllegalArgumentException when the reference has no rows, a column is listed twice, or a
   *     column numeric in the reference is not a number in the current window
   */
  public DriftReport compute(String reference, String current, List<MonitoredColumn> columns, DriftMethod method)
      throws SQLException {
    ColumnProfiles ref = profileReference(reference, columns);
    if (ref.rows() == 0) {
      throw new IllegalArgumentException("the reference window has no rows");
    }
    return compute(ref, current, columns, method);
  }

  /** The reference's profile, to compare several windows with one scan of the reference. */
  public ColumnProfiles profileReference(String reference, List<MonitoredColumn> columns) throws SQLException {
    return profiler.profile(reference, columns);
  }

  /**
   * Drift of {@code current} against a reference profiled before ({@link #profileReference}) with
   * the same columns; the reference must have rows.
   */
  public DriftReport compute(ColumnProfiles ref, String current, List<MonitoredColumn> columns, DriftMethod method)
      throws SQLException {
    Map<String, Kind> kinds =
        ref.columns().stream().collect(Collectors.toMap(ColumnProfile::column, ColumnProfile::kind));
    return compare(ref, profiler.distributions(current, columns, kinds), columns, method);
  }

  /**
   * Drift between two profiles of the same columns, the current one taken with the kinds the
   * reference decided (from rows, or from an open window's sketches).
   */
  public static DriftReport compare(ColumnProfiles ref, ColumnProfiles cur, List<MonitoredColumn> columns, DriftMethod method) {
    List<ColumnDrift> drifts = new ArrayList<>();
    for (MonitoredColumn c : columns) {
      DriftMethod columnMethod = DriftMethod.forColumn(method, ref.column(c.name()).kind(), ref.rows());
      drifts.add(compare(ref.column(c.name()), cur.column(c.name()), columnMethod));
    }
    long drifted = drifts.stream().filter(ColumnDrift::drifted).count();
    double share = drifts.isEmpty() ? 0 : (double) drifted / drifts.size();
    return new DriftReport(ref.rows(), cur.rows(), drifts, share, share >= DATASET_DRIFT_SHARE);
  }

  private static ColumnDrift compare(ColumnProfile ref, ColumnProfile cur, DriftMethod method) {
    Double statistic = null;
    Double pValue = null;
    if (ref.values() > 0 && cur.values() > 0) {
      switch (method) {
        case KS -> {
          statistic = KolmogorovSmirnov.statistic(ref.quantiles(), cur.quantiles());
          pValue = KolmogorovSmirnov.pValue(statistic, ref.values(), cur.values());
        }
        case WASSERSTEIN_NORM ->
            statistic = Wasserstein.distance(ref.quantiles(), cur.quantiles()) / ref.numeric().std();
        case PSI -> statistic = PopulationStability.index(ref.quantiles(), cur.quantiles());
        case CHISQUARE -> {
          long[][] counts = alignedCounts(ref.categories(), cur.categories());
          PearsonChiSquare.Result r = PearsonChiSquare.test(counts[0], counts[1]);
          statistic = r.statistic();
          pValue = r.pValue();
        }
        case JENSENSHANNON -> {
          long[][] counts = alignedCounts(ref.categories(), cur.categories());
          statistic = JensenShannon.distance(toDoubles(counts[0]), toDoubles(counts[1]));
        }
      }
    }
    boolean drifted = statistic != null && method.drifted(statistic, pValue);
    return new ColumnDrift(ref.column(), ref.kind().publicName(), method.publicName(), statistic, pValue,
        method.threshold(), drifted, ref.missingShare(), cur.missingShare());
  }

  /**
   * The counts of both sides over the union of their categories, reference's first; the
   * categories left out of either side's counts make one more category.
   */
  private static long[][] alignedCounts(Categories ref, Categories cur) {
    Set<String> keys = new LinkedHashSet<>(ref.counts().keySet());
    keys.addAll(cur.counts().keySet());
    boolean other = ref.truncated() || cur.truncated();
    int n = keys.size() + (other ? 1 : 0);
    long[][] counts = new long[2][n];
    int i = 0;
    for (String key : keys) {
      counts[0][i] = ref.counts().getOrDefault(key, 0L);
      counts[1][i] = cur.counts().getOrDefault(key, 0L);
      i++;
    }
    if (other) {
      counts[0][i] = ref.otherCount();
      counts[1][i] = cur.otherCount();
    }
    return counts;
  }

  private static double[] toDoubles(long[] counts) {
    double[] d = new double[counts.length];
    for (int i = 0; i < counts.length; i++) {
      d[i] = counts[i];
    }
    return d;
  }
}
