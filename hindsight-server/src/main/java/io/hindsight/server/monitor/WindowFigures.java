package io.hindsight.server.monitor;

import io.hindsight.server.ApiException;
import java.io.IOException;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.OptionalDouble;
import java.util.Set;

/**
 * The figures of a window, as the metric store keeps them and alert rules watch them: the base
 * figures, drift of each feature and of the score against the config's reference, realized and
 * estimated quality, for all rows and per segment value.
 */
final class WindowFigures {
  private final Monitor monitor;
  private final ReferenceProfiles references;

  WindowFigures(Monitor monitor, java.time.Clock clock) {
    this.monitor = monitor;
    this.references = new ReferenceProfiles(clock);
  }

  /**
   * Every figure of the metric store for one window of an endpoint, for all rows and per segment
   * value: the base figures, drift of each feature and of the score against the config's reference
   * (a {@code previous} reference ends where the window's day starts, so all windows of a day
   * share it), and realized and estimated quality when the config says where score and label are.
   */
  List<MetricValue> all(String endpoint, Instant from, Instant to) throws IOException {
    MonitoringConfig config = monitor.config(endpoint);
    return monitor.engine().inBackground(
        conn -> {
          Monitor.View view = monitor.view(conn, endpoint, config);
          Slice window = Slice.all(endpoint, from, to);
          List<MetricValue> out =
              new ArrayList<>(
                  BaseMetrics.compute(conn, window, view.segments(), view.features(), view.label(), view.labelReadable()));
          List<Slice> slices = new ArrayList<>();
          List<String> labels = new ArrayList<>();
          slices.add(window);
          labels.add("");
          for (SegmentColumn seg : view.segments()) {
            for (MetricValue v : out) {
              if (v.metric().equals("volume") && v.segment().startsWith(seg.name() + "=")) {
                String value = v.segment().substring(seg.name().length() + 1);
                slices.add(new Slice(endpoint, from, to, seg.sql(), value));
                labels.add(v.segment());
              }
            }
          }
          Slice reference = storeReference(conn, window, config);
          for (int i = 0; i < slices.size(); i++) {
            out.addAll(driftFigures(conn, slices.get(i), reference, labels.get(i), view, config, null));
          }
          out.addAll(qualityFigures(conn, endpoint, window, reference, view, config, true));
          return out;
        });
  }

  /**
   * One figure over any window (what an alert rule watches): computed like the metric store's
   * figures but only the part the metric needs; empty when the window has no rows for it.
   *
   * @param column the feature for per-column metrics, else null
   * @param segment '' for all rows, else {@code <reference>=<value>}
   */
  OptionalDouble metric(String endpoint, String metric, String column, String segment, Instant from, Instant to)
      throws IOException {
    if (monitor.predictionsSchema(endpoint) == null) {
      return OptionalDouble.empty();
    }
    MonitoringConfig config = monitor.config(endpoint);
    String wanted = segment == null ? "" : segment;
    return monitor.engine().inBackground(
        conn -> {
          Monitor.View view = monitor.view(conn, endpoint, config);
          Slice window = Slice.all(endpoint, from, to);
          // The segment narrows the rows; the figure is then the slice's own ('' segment).
          Slice slice = wanted.isEmpty() ? window : monitor.segmented(endpoint, from, to, wanted, config);
          Slice reference = storeReference(conn, window, config);
          List<MetricValue> figures;
          if (MetricNames.QUALITY.contains(metric.replaceFirst("^estimated_", ""))) {
            figures = qualityFigures(conn, endpoint, slice, reference, view, config, false);
          } else if (Set.of("drift", "drifted", "drifted_share", "prediction_drift").contains(metric)) {
            figures = driftFigures(conn, slice, reference, "", view, config, null);
          } else {
            figures = BaseMetrics.compute(conn, slice, List.of(), view.features(), view.label(), view.labelReadable());
          }
          for (MetricValue v : figures) {
            if (v.metric().equals(metric) && v.segment().isEmpty() && java.util.Objects.equals(v.column(), column)) {
              return OptionalDouble.of(v.value());
            }
          }
          return OptionalDouble.empty();
        });
  }

  /** The reference the store compares a window with, or null when there is none yet. */
  private Slice storeReference(Connection conn, Slice window, MonitoringConfig config) throws SQLException {
    MonitoringConfig.Reference ref = config == null ? MonitoringConfig.DEFAULT_REFERENCE : config.reference();
    if (ref instanceof MonitoringConfig.Reference.Previous p) {
      Instant day = window.from().truncatedTo(java.time.temporal.ChronoUnit.DAYS);
      return window.during(day.minus(p.length()), day);
    }
    try {
      return monitor.referenceOf(conn, window, new Monitor.DriftQuery(window.from(), window.to(), null, null, null, null), config);
    } catch (ApiException noSuchVersion) {
      return null;
    }
  }

  /**
   * The figures of an open window from its sketches ({@link OpenWindows}): the base figures but
   * those of feedback, and drift, for all rows and per segment value.
   */
  List<MetricValue> fromState(String endpoint, MetricStore.Window w, OpenWindows.WindowState state) throws IOException {
    MonitoringConfig config = monitor.config(endpoint);
    return monitor.engine().inBackground(
        conn -> {
          Monitor.View view = monitor.view(conn, endpoint, config);
          state.mergeAllRows(view.segments());
          Slice window = Slice.all(endpoint, w.start(), w.end());
          Slice reference = storeReference(conn, window, config);
          List<MetricValue> out = new ArrayList<>();
          for (Map.Entry<String, SliceState> e : state.slices.entrySet()) {
            SliceState s = e.getValue();
            out.addAll(s.figures(e.getKey()));
            Slice slice = s.segmentSql() == null ? window : new Slice(endpoint, w.start(), w.end(), s.segmentSql(), s.segmentValue());
            out.addAll(driftFigures(conn, slice, reference, e.getKey(), view, config, s));
          }
          return out;
        });
  }

  /**
   * The figures of a window that feedback changes ({@link MetricNames#fromLabels}): feedback
   * count and labeled share, realized and estimated quality, for all rows and per segment value,
   * from the rows.
   */
  List<MetricValue> labelFigures(String endpoint, Instant from, Instant to) throws IOException {
    MonitoringConfig config = monitor.config(endpoint);
    return monitor.engine().inBackground(
        conn -> {
          Monitor.View view = monitor.view(conn, endpoint, config);
          Slice window = Slice.all(endpoint, from, to);
          List<MetricValue> out = new ArrayList<>();
          for (MetricValue v : BaseMetrics.compute(conn, window, view.segments(), List.of(), view.label(), view.labelReadable())) {
            if (MetricNames.fromLabels(v.metric())) {
              out.add(v);
            }
          }
          out.addAll(qualityFigures(conn, endpoint, window, storeReference(conn, window, config), view, config, true));
          return out;
        });
  }

  /** @param state the slice's sketches in an open window; null to read the slice's rows */
  private List<MetricValue> driftFigures(
      Connection conn, Slice slice, Slice reference, String segment, Monitor.View view, MonitoringConfig config,
      SliceState state) throws SQLException {
    List<MetricValue> out = new ArrayList<>();
    if (reference == null) {
      return out;
    }
    Slice ref = new Slice(slice.endpoint(), reference.from(), reference.to(), slice.segmentSql(), slice.segmentValue());
    List<MonitoredColumn> columns = OpenWindows.monitoredColumns(view);
    if (columns.isEmpty()) {
      return out;
    }
    DriftCalculator calculator = new DriftCalculator(conn);
    DriftReport report;
    try {
      ColumnProfiles profile = references.get(calculator, ref.relation("predictions", "*"), columns);
      if (profile.rows() == 0) {
        return out;
      }
      if (state == null) {
        report = calculator.compute(profile, slice.relation("predictions", "*"), columns, null);
      } else {
        Map<String, ColumnProfile.Kind> kinds = new java.util.HashMap<>();
        profile.columns().forEach(c -> kinds.put(c.column(), c.kind()));
        report = DriftCalculator.compare(profile, state.profiles(columns, kinds), columns, null);
      }
    } catch (IllegalArgumentException notComparable) {
      return out;
    }
    int drifted = 0;
    int features = 0;
    for (ColumnDrift d : report.columns()) {
      if (d.statistic() == null) {
        continue;
      }
      if (d.column().equals(PREDICTION_DRIFT_COLUMN)) {
        out.add(new MetricValue("prediction_drift", null, segment, d.statistic(), report.currentRows()));
        continue;
      }
      features++;
      drifted += d.drifted() ? 1 : 0;
      out.add(new MetricValue("drift", d.column(), segment, d.statistic(), report.currentRows()));
      out.add(new MetricValue("drifted", d.column(), segment, d.drifted() ? 1 : 0, report.currentRows()));
    }
    if (features > 0) {
      out.add(new MetricValue("drifted_share", null, segment, (double) drifted / features, report.currentRows()));
    }
    return out;
  }

  /** The score's drift is computed with the features under a name no logged key can have. */
  static final String PREDICTION_DRIFT_COLUMN = "_prediction";

  private List<MetricValue> qualityFigures(
      Connection conn, String endpoint, Slice window, Slice reference, Monitor.View view, MonitoringConfig config, boolean perSegment)
      throws SQLException {
    List<MetricValue> out = new ArrayList<>();
    if (config == null || (config.score() == null && config.prediction() == null)) {
      return out;
    }
    LabeledRows rows = new LabeledRows(endpoint, config, monitor.predictionsSchema(endpoint), view.labelReadable());
    EvaluationSpec spec = new EvaluationSpec(config.threshold(), config.positiveClass() == null ? "true" : config.positiveClass());
    Evaluator evaluator = new Evaluator(conn);
    String referenceRows = reference == null ? null : rows.relation(reference, "''");
    List<String> groupings = new ArrayList<>();
    groupings.add(null);
    if (perSegment) {
      view.segments().forEach(s -> groupings.add(s.name()));
    }
    for (String by : groupings) {
      for (GroupEvaluation g : evaluator.evaluate(config.task(), rows.relation(window, rows.groupSql(by)), referenceRows, spec)) {
        String segment = by == null ? "" : by + "=" + g.group();
        g.realized().forEach((metric, value) -> out.add(new MetricValue(metric, null, segment, value, g.labeled())));
        g.estimated().forEach(
            (metric, value) -> out.add(new MetricValue("estimated_" + metric, null, segment, value, g.rows() - g.missingScore())));
      }
    }
    return out;
  }

}
