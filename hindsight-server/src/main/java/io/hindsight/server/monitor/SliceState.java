package io.hindsight.server.monitor;

import io.hindsight.server.monitor.ColumnProfile.Kind;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.datasketches.kll.KllDoublesSketch;

/**
 * The rows of one slice (all rows, or one segment value) of an open window, summarised so that
 * rows can be added: volume, errors, latency quantiles and a {@link ColumnState} per monitored
 * column (the features, and the score under {@link WindowFigures#PREDICTION_DRIFT_COLUMN}).
 *
 * @param segmentSql the SQL of the segment's column reference, null for all rows
 * @param segmentValue the segment value as text, null for all rows
 */
final class SliceState {
  private final String segmentSql;
  private final String segmentValue;
  private long volume;
  private long errors;
  private KllDoublesSketch latency = KllDoublesSketch.newHeapInstance(ColumnState.QUANTILE_K);
  private final Map<String, ColumnState> columns = new LinkedHashMap<>();

  SliceState(String segmentSql, String segmentValue) {
    this.segmentSql = segmentSql;
    this.segmentValue = segmentValue;
  }

  String segmentSql() {
    return segmentSql;
  }

  String segmentValue() {
    return segmentValue;
  }

  long volume() {
    return volume;
  }

  /** Counts rows; their columns are added with {@link #column}. */
  void addRows(long rows, long errors) {
    this.volume += rows;
    this.errors += errors;
  }

  /**
   * Sets the latency sketch and the numeric columns' sketches to the union of {@code parts}' (the
   * slices of one segment's values, which together hold every row): the fold feeds numbers only to
   * segment slices, and all rows are their union.
   */
  void takeSketchesOf(List<SliceState> parts) {
    latency = KllDoublesSketch.newHeapInstance(ColumnState.QUANTILE_K);
    columns.values().forEach(c -> {
      if (c.numeric()) {
        c.takeSketchesOf(List.of());
      }
    });
    parts.forEach(this::addSketchesOf);
  }

  /** Adds the latency and numeric columns' sketches of {@code other} (the same slice of another window) to these. */
  void addSketchesOf(SliceState other) {
    latency.merge(other.latency);
    other.columns.forEach((name, c) -> {
      if (c.numeric()) {
        column(name, true).addSketchesOf(c);
      }
    });
  }

  /** A copy that changes apart from this slice. */
  SliceState copy() {
    SliceState copy = new SliceState(segmentSql, segmentValue);
    copy.volume = volume;
    copy.errors = errors;
    copy.latency.merge(latency);
    columns.forEach((name, c) -> copy.columns.put(name, c.copy()));
    return copy;
  }

  /** Adds rows' latencies to the quantile sketch. */
  void addLatencies(double[] latenciesMs) {
    latency.update(latenciesMs, 0, latenciesMs.length);
  }

  ColumnState column(String name, boolean numeric) {
    return columns.computeIfAbsent(name, n -> new ColumnState(numeric));
  }

  ColumnState existingColumn(String name) {
    return columns.get(name);
  }

  /** The base figures of DESIGN §10 but those of feedback (see {@link WindowFigures#labelFigures}). */
  List<MetricValue> figures(String segment) {
    List<MetricValue> out = new ArrayList<>();
    if (volume == 0) {
      return out;
    }
    out.add(new MetricValue("volume", null, segment, volume, volume));
    out.add(new MetricValue("error_rate", null, segment, (double) errors / volume, volume));
    long latencyN = latency.getN();
    if (latencyN > 0) {
      out.add(new MetricValue("latency_p50", null, segment, ColumnState.continuousQuantile(latency, 0.5), latencyN));
      out.add(new MetricValue("latency_p95", null, segment, ColumnState.continuousQuantile(latency, 0.95), latencyN));
      out.add(new MetricValue("latency_p99", null, segment, ColumnState.continuousQuantile(latency, 0.99), latencyN));
    }
    columns.forEach(
        (name, c) -> {
          if (!name.equals(WindowFigures.PREDICTION_DRIFT_COLUMN)) {
            c.figures(name, segment, volume, out);
          }
        });
    return out;
  }

  /**
   * The current window's profiles of {@code columns} as drift compares them with a reference
   * whose profile decided each column's kind.
   *
   * @throws IllegalArgumentException when a column numeric in the reference is not a number here
   */
  ColumnProfiles profiles(List<MonitoredColumn> monitored, Map<String, Kind> kinds) {
    List<ColumnProfile> out = new ArrayList<>();
    for (MonitoredColumn c : monitored) {
      // Every row adds to every monitored column, so a column without state is one the fold did
      // not read yet (a new feature): all its values are missing.
      Kind kind = kinds.get(c.name());
      ColumnState s = columns.getOrDefault(c.name(), new ColumnState(kind == Kind.NUMERIC));
      out.add(s.profile(c.name(), kind, volume));
    }
    return new ColumnProfiles(volume, out);
  }
}
