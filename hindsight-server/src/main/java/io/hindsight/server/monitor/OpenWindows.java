package io.hindsight.server.monitor;

import io.hindsight.server.monitor.MetricStore.Window;
import io.hindsight.server.schema.Column;
import io.hindsight.server.schema.EndpointSchema;
import io.hindsight.server.schema.SqlText;
import io.hindsight.server.schema.Table;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.StringJoiner;
import java.util.TreeMap;

/**
 * One endpoint's open windows in the metric store (the open hour and day, and those closed less
 * than {@link #GRACE} ago), each kept as sketches per slice ({@link SliceState}) that the rows
 * of every new lake file are folded into, so a refresh reads only the rows stored since the
 * previous one (DESIGN §10: metrics stay cheap as data grows).
 *
 * <p>A window is kept only when it is complete: every row with a ts in it was folded in. After
 * a restart or a config change the windows are built again from the lake ({@link #reset}), from
 * the start of the oldest hour still in its grace; the day begun before that is not complete and
 * its figures are computed from the rows, as every closed window is.
 */
final class OpenWindows {
  /**
   * How long a closed window keeps folding rows that arrive late, before its figures are final
   * and later rows make the store compute it again from the lake.
   */
  static final Duration GRACE = Duration.ofMinutes(5);

  /** Windows that start at or after this are complete. */
  private Instant completeFrom;
  /** The config the states were built with; another one needs a {@link #reset}. */
  private MonitoringConfig config;
  private final Map<Window, WindowState> states = new TreeMap<>();

  /** The sketches of one window: a {@link SliceState} per slice label ('' for all rows). */
  static final class WindowState {
    final Map<String, SliceState> slices = new TreeMap<>();
    /** Rows were folded in since its figures were last written. */
    boolean changed = true;
    /** The last figures from feedback and quality, when they were computed and what they cost. */
    List<MetricValue> labelFigures;
    Instant labelsAt;
    long labelNanos;

    /**
     * With segments, the fold feeds latencies and numbers only to the slices of each segment's
     * values (a row's sketch updates drop by one slice); before figures are read, the all-rows
     * slice takes the union of the first segment's slices, which together hold every row.
     */
    void mergeAllRows(List<SegmentColumn> segments) {
      SliceState all = slices.get("");
      if (segments.isEmpty() || all == null) {
        return;
      }
      String prefix = segments.get(0).name() + "=";
      List<SliceState> parts = new ArrayList<>();
      slices.forEach((label, slice) -> {
        if (label.startsWith(prefix)) {
          parts.add(slice);
        }
      });
      all.takeSketchesOf(parts);
    }

    /**
     * Adds an hour's quantile and distinct-count sketches to this day's: the fold gives numbers
     * to the hour alone while it is kept. Exact figures (counts, moments) went to both already.
     */
    void absorb(WindowState hour) {
      hour.slices.forEach((label, slice) -> {
        SliceState mine = slices.get(label);
        if (mine != null) {
          mine.addSketchesOf(slice);
        }
      });
    }

    /** A copy of this day's state for its figures, with the sketches of {@code hours} not absorbed yet. */
    WindowState withHours(List<WindowState> hours) {
      if (hours.isEmpty()) {
        return this;
      }
      WindowState view = new WindowState();
      slices.forEach((label, slice) -> {
        SliceState copy = slice.copy();
        for (WindowState h : hours) {
          SliceState part = h.slices.get(label);
          if (part != null) {
            copy.addSketchesOf(part);
          }
        }
        view.slices.put(label, copy);
      });
      return view;
    }
  }

  /** Whether the states must be built again from the lake before the next fold. */
  boolean needsReset(MonitoringConfig current) {
    return completeFrom == null || current != config;
  }

  /** Forgets every state; the next fold is a rebuild from {@code from}. */
  void reset(Instant from, MonitoringConfig current) {
    states.clear();
    completeFrom = from;
    config = current;
  }

  /** Drops the states: the next refresh builds them again (after a fold failed half-way). */
  void invalidate() {
    states.clear();
    completeFrom = null;
  }

  Map<Window, WindowState> states() {
    return states;
  }

  /**
   * The state whose sketches give a kept window's figures: an hour's own; a day's together with
   * those of its kept hours, which hold the numbers folded since they opened.
   */
  WindowState forFigures(Window w) {
    WindowState state = states.get(w);
    if (state == null || w.granularity().equals("1h")) {
      return state;
    }
    List<WindowState> hours = new ArrayList<>();
    states.forEach((k, v) -> {
      if (k.granularity().equals("1h") && Window.dayOf(k.start()).equals(w)) {
        hours.add(v);
      }
    });
    return state.withHours(hours);
  }

  /** Stops keeping a window; an hour's day, when kept, takes its sketches. */
  void drop(Window w) {
    WindowState state = states.remove(w);
    if (state != null && w.granularity().equals("1h")) {
      WindowState day = states.get(Window.dayOf(w.start()));
      if (day != null) {
        day.absorb(state);
      }
    }
  }

  /** Whether {@code w} is kept (complete and in or before its grace). */
  boolean keeps(Window w) {
    return states.containsKey(w);
  }

  private boolean mayKeep(Window w, Instant now) {
    return completeFrom != null && !w.start().isBefore(completeFrom) && w.end().isAfter(now.minus(GRACE));
  }

  /**
   * Folds the rows of {@code files} (links to lake files of this endpoint's predictions) into the
   * windows: their exact figures (counts, moments, extremes, counts per value) in one grouped query
   * per hour and slice, then their latencies and numbers, as lists, into the quantile and distinct
   * sketches of their hour (of their day when the hour is not kept; see {@link #forFigures}).
   *
   * @param rebuild whether the files are a snapshot after {@link #reset}: rows before the first
   *     complete window are then already in the lake's computed windows and left out; otherwise
   *     such rows arrived late and their windows go to {@code late}
   * @param late receives closed windows that got rows and are not kept (their grace is over)
   * @return rows read
   */
  long fold(Connection conn, List<Path> files, EndpointSchema schema, Monitor.View view, Instant now, boolean rebuild,
      Set<Window> late) throws SQLException {
    if (files.isEmpty() || schema == null) {
      return 0;
    }
    List<MonitoredColumn> columns = monitoredColumns(view);
    boolean[] numeric = new boolean[columns.size()];
    boolean[] counted = new boolean[columns.size()];
    StringJoiner inner = new StringJoiner(", ", "SELECT ", "");
    inner.add("epoch_us(date_trunc('hour', p.ts)) AS hour").add("p.status = 'error' AS error")
        .add(Profiler.numericExpression(new MonitoredColumn("latency_ms", "p.latency_ms")) + " AS latency");
    for (int s = 0; s < view.segments().size(); s++) {
      inner.add("CAST(" + view.segments().get(s).sql() + " AS VARCHAR) AS s" + s);
    }
    for (int i = 0; i < columns.size(); i++) {
      MonitoredColumn c = columns.get(i);
      numeric[i] = i >= view.features().size() || view.features().get(i).numeric();
      counted[i] = !numeric[i] || countsNumbers(c.name());
      inner.add((numeric[i] ? "TRY_CAST((" + c.sql() + ") AS DOUBLE)" : "(" + c.sql() + ")") + " AS v" + i);
      if (numeric[i]) {
        inner.add(Profiler.numericExpression(c) + " AS f" + i);
      }
      if (counted[i]) {
        inner.add(Profiler.textExpression(c, numeric[i]) + " AS t" + i);
      }
      inner.add((i < view.features().size() ? BaseMetrics.conflictOf(view.features().get(i)) : "false") + " AS c" + i);
    }
    String rows = "(" + inner + " FROM " + relation(files, schema) + " p"
        + (rebuild ? " WHERE p.ts >= TIMESTAMPTZ '" + completeFrom + "'" : "") + ")";
    long read = foldCounts(conn, rows, columns, numeric, counted, view, now, rebuild, late);
    foldNumbers(conn, rows, columns, numeric, view);
    return read;
  }

  /** The exact figures of the rows, grouped by hour and slice, added to the states of their windows. */
  private long foldCounts(Connection conn, String rows, List<MonitoredColumn> columns, boolean[] numeric, boolean[] counted,
      Monitor.View view, Instant now, boolean rebuild, Set<Window> late) throws SQLException {
    int segments = view.segments().size();
    StringJoiner select = new StringJoiner(", ", "SELECT ", "");
    select.add("hour").add("count(*) AS n").add("count_if(error) AS errors");
    List<String> sets = new ArrayList<>();
    sets.add("(hour)");
    for (int s = 0; s < segments; s++) {
      select.add("GROUPING(s" + s + ") AS g" + s).add("s" + s);
      sets.add("(hour, s" + s + ")");
    }
    for (int i = 0; i < columns.size(); i++) {
      select.add("count(v" + i + ")").add("count_if(c" + i + ")");
      select.add(numeric[i]
          ? String.format("count(f%1$d), avg(f%1$d), var_pop(f%1$d), min(f%1$d), max(f%1$d)", i)
          : "0, NULL, NULL, NULL, NULL");
      select.add(counted[i] ? "histogram(t" + i + ")" : "NULL");
    }
    String sql = select + " FROM " + rows + " GROUP BY GROUPING SETS (" + String.join(", ", sets) + ")";
    long read = 0;
    try (Statement st = conn.createStatement();
        ResultSet rs = st.executeQuery(sql)) {
      while (rs.next()) {
        Instant hour = Instant.EPOCH.plus(rs.getLong("hour"), ChronoUnit.MICROS);
        long n = rs.getLong("n");
        SegmentColumn segment = null;
        String value = null;
        for (int s = 0; s < segments; s++) {
          if (rs.getInt("g" + s) == 0) {
            segment = view.segments().get(s);
            value = rs.getString("s" + s);
          }
        }
        if (segment == null) {
          read += n;
        }
        for (Window w : List.of(Window.hourOf(hour), Window.dayOf(hour))) {
          WindowState state = target(w, now, rebuild, late);
          if (state == null) {
            continue;
          }
          state.changed = true;
          SliceState slice = segment == null
              ? state.slices.computeIfAbsent("", k -> new SliceState(null, null))
              : state.slices.computeIfAbsent(segment.label(value), new SliceMaker(segment, value));
          slice.addRows(n, rs.getLong("errors"));
          int at = 4 + 2 * segments;
          for (int i = 0; i < columns.size(); i++) {
            Map<String, Long> counts = counted[i] ? counts(rs.getObject(at + 7)) : null;
            slice.column(columns.get(i).name(), numeric[i]).addCounts(
                rs.getLong(at), rs.getLong(at + 1), rs.getLong(at + 2), rs.getDouble(at + 3), rs.getDouble(at + 4),
                rs.getDouble(at + 5), rs.getDouble(at + 6), counts);
            at += 8;
          }
        }
      }
    }
    return read;
  }

  /** DuckDB's {@code histogram} (a map of value to an unsigned count) as counts per value; none for no values. */
  private static Map<String, Long> counts(Object histogram) {
    Map<String, Long> out = new java.util.HashMap<>();
    if (histogram != null) {
      ((Map<?, ?>) histogram).forEach((value, count) -> out.put((String) value, ((Number) count).longValue()));
    }
    return out;
  }

  /** Makes the state of a segment value's slice. */
  private record SliceMaker(SegmentColumn segment, String value) implements java.util.function.Function<String, SliceState> {
    @Override
    public SliceState apply(String label) {
      return new SliceState(segment.sql(), value == null ? "" : value);
    }
  }

  /**
   * The rows' latencies and finite numbers into the quantile and distinct sketches of their kept
   * windows' slices (which {@link #foldCounts} created): one list per column for each hour and
   * combination of segment values, so values cross from DuckDB in bulk rather than cell by cell.
   */
  private void foldNumbers(Connection conn, String rows, List<MonitoredColumn> columns, boolean[] numeric, Monitor.View view)
      throws SQLException {
    int segments = view.segments().size();
    StringJoiner select = new StringJoiner(", ", "SELECT ", "");
    StringJoiner groups = new StringJoiner(", ", " GROUP BY ", "");
    select.add("hour").add("list(latency) FILTER (WHERE latency IS NOT NULL)");
    groups.add("hour");
    for (int s = 0; s < segments; s++) {
      select.add("s" + s);
      groups.add("s" + s);
    }
    List<String> numbers = new ArrayList<>();
    for (int i = 0; i < columns.size(); i++) {
      if (numeric[i]) {
        select.add("list(f" + i + ") FILTER (WHERE f" + i + " IS NOT NULL)");
        numbers.add(columns.get(i).name());
      }
    }
    List<SliceState> slices = new ArrayList<>();
    try (Statement st = conn.createStatement();
        ResultSet rs = st.executeQuery(select + " FROM " + rows + groups)) {
      while (rs.next()) {
        Instant hour = Instant.EPOCH.plus(rs.getLong(1), ChronoUnit.MICROS);
        slices.clear();
        // Into the hour only, when it is kept: its day takes the hour's sketches when the hour is
        // dropped, and merges them for its figures until then (half the sketch updates).
        WindowState target = states.get(Window.hourOf(hour));
        if (target == null) {
          target = states.get(Window.dayOf(hour));
        }
        if (target == null) {
          continue;
        }
        if (segments == 0) {
          slices.add(target.slices.get(""));
        }
        for (int s = 0; s < segments; s++) {
          slices.add(target.slices.get(view.segments().get(s).label(rs.getString(3 + s))));
        }
        double[] latencies = Profiler.doubles(rs.getArray(2));
        for (SliceState slice : slices) {
          slice.addLatencies(latencies);
        }
        for (int j = 0; j < numbers.size(); j++) {
          double[] values = Profiler.doubles(rs.getArray(3 + segments + j));
          for (SliceState slice : slices) {
            slice.column(numbers.get(j), true).addNumbers(values);
          }
        }
      }
    }
  }

  /** The kept state a row of window {@code w} goes to, or null (then {@code w} may be late). */
  private WindowState target(Window w, Instant now, boolean rebuild, Set<Window> late) {
    WindowState s = states.get(w);
    if (s != null) {
      return s;
    }
    if (mayKeep(w, now)) {
      s = new WindowState();
      states.put(w, s);
      return s;
    }
    // A closed window not kept (its grace is over) is computed from the rows again; an open one
    // not kept (a day begun before the store saw it) is computed from the rows when an hour ends.
    if (!rebuild && !w.end().isAfter(now)) {
      late.add(w);
    }
    return null;
  }

  /** Whether some kept window still counts this numeric column per value (then the fold reads its text). */
  private boolean countsNumbers(String column) {
    if (states.isEmpty()) {
      return true;
    }
    for (WindowState w : states.values()) {
      SliceState all = w.slices.get("");
      ColumnState c = all == null ? null : all.existingColumn(column);
      if (c == null || c.countsNumbers()) {
        return true;
      }
    }
    return false;
  }

  /** The features, then the score (for prediction drift) when the config names one. */
  static List<MonitoredColumn> monitoredColumns(Monitor.View view) {
    List<MonitoredColumn> columns = new ArrayList<>();
    view.features().forEach(f -> columns.add(new MonitoredColumn(f.name(), f.sql())));
    if (view.scoreSql() != null) {
      columns.add(new MonitoredColumn(WindowFigures.PREDICTION_DRIFT_COLUMN, view.scoreSql()));
    }
    return columns;
  }

  /**
   * The files as the endpoint's rows of {@code predictions}: every column of its schema (NULL
   * where a file lacks it) and its derived columns.
   */
  private String relation(List<Path> files, EndpointSchema schema) {
    StringJoiner list = new StringJoiner(", ", "[", "]");
    files.forEach(f -> list.add(SqlText.string(f.toAbsolutePath().toString())));
    StringJoiner typed = new StringJoiner(", ", "SELECT ", " WHERE false");
    typed.add("NULL::VARCHAR AS endpoint").add("NULL::DATE AS date");
    for (Table.SystemColumn c : Table.PREDICTIONS.systemColumns()) {
      typed.add("NULL::" + c.type().sqlType() + " AS " + SqlText.identifier(c.name()));
    }
    for (Column c : schema.columns()) {
      typed.add("NULL::" + c.type().sqlType() + " AS " + SqlText.identifier(c.name()));
    }
    String stored =
        "(SELECT * FROM read_parquet(" + list + ", hive_partitioning = true, union_by_name = true,"
            + " hive_types = {'endpoint': 'VARCHAR', 'date': 'DATE'}) UNION ALL BY NAME " + typed + ")";
    Map<String, String> derived = config == null ? Map.of() : config.derived();
    if (derived.isEmpty()) {
      return stored;
    }
    List<String> replaced = new ArrayList<>();
    List<String> added = new ArrayList<>();
    derived.forEach(
        (name, expr) -> {
          String column = "(" + expr + ") AS " + SqlText.identifier(name);
          boolean isStored = schema.column(name) != null || Table.PREDICTIONS.isSystemColumn(name);
          (isStored ? replaced : added).add(column);
        });
    String star = replaced.isEmpty() ? "*" : "* REPLACE (" + String.join(", ", replaced) + ")";
    String extra = added.isEmpty() ? "" : ", " + String.join(", ", added);
    return "(SELECT " + star + extra + " FROM " + stored + ")";
  }
}
