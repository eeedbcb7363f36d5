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
import java.util.IdentityHashMap;
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

  /** Whether {@code w} is kept (complete and in or before its grace). */
  boolean keeps(Window w) {
    return states.containsKey(w);
  }

  private boolean mayKeep(Window w, Instant now) {
    return completeFrom != null && !w.start().isBefore(completeFrom) && w.end().isAfter(now.minus(GRACE));
  }

  /**
   * Folds the rows of {@code files} (links to lake files of this endpoint's predictions) into the
   * windows.
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
    boolean[] withText = new boolean[columns.size()];
    StringJoiner select = new StringJoiner(", ", "SELECT ", "");
    select.add("epoch_us(p.ts)").add("p.status = 'error'").add("CAST(p.latency_ms AS DOUBLE)");
    for (SegmentColumn s : view.segments()) {
      select.add("CAST(" + s.sql() + " AS VARCHAR)");
    }
    for (int i = 0; i < columns.size(); i++) {
      MonitoredColumn c = columns.get(i);
      numeric[i] = i < view.features().size() ? view.features().get(i).numeric() : true;
      withText[i] = !numeric[i] || countsNumbers(c.name());
      select.add(numeric[i] ? "TRY_CAST((" + c.sql() + ") AS DOUBLE)" : "NULL");
      select.add(withText[i] ? Profiler.textExpression(c, numeric[i]) : "NULL");
      select.add(i < view.features().size() ? BaseMetrics.conflictOf(view.features().get(i)) : "false");
    }
    String sql = select + " FROM " + relation(files, schema) + " p"
        + (rebuild ? " WHERE p.ts >= TIMESTAMPTZ '" + completeFrom + "'" : "");
    int segments = view.segments().size();
    long rows = 0;
    Window[] windows = new Window[2];
    WindowState[] targets = new WindowState[2];
    SliceState[] slices = new SliceState[2 * (1 + segments)];
    ColumnState[][] sliceColumns = new ColumnState[slices.length][];
    Map<SliceState, ColumnState[]> columnsOf = new IdentityHashMap<>();
    try (Statement st = conn.createStatement();
        ResultSet rs = st.executeQuery(sql)) {
      while (rs.next()) {
        rows++;
        Instant ts = Instant.EPOCH.plus(rs.getLong(1), ChronoUnit.MICROS);
        windows[0] = Window.hourOf(ts);
        windows[1] = Window.dayOf(ts);
        int n = 0;
        for (int w = 0; w < 2; w++) {
          targets[w] = target(windows[w], now, rebuild, late);
          if (targets[w] == null) {
            continue;
          }
          targets[w].changed = true;
          slices[n++] = targets[w].slices.computeIfAbsent("", k -> new SliceState(null, null));
          for (int s = 0; s < segments; s++) {
            SegmentColumn seg = view.segments().get(s);
            String value = rs.getString(4 + s);
            slices[n++] = targets[w].slices.computeIfAbsent(
                seg.label(value), k -> new SliceState(seg.sql(), value == null ? "" : value));
          }
        }
        if (n == 0) {
          continue;
        }
        boolean error = rs.getBoolean(2);
        double latency = rs.getDouble(3);
        Double latencyMs = rs.wasNull() ? null : latency;
        for (int k = 0; k < n; k++) {
          slices[k].addRow(error, latencyMs);
          sliceColumns[k] = columnsOf.computeIfAbsent(slices[k], s -> columnStates(s, columns, numeric, withText));
        }
        int at = 4 + segments;
        for (int i = 0; i < columns.size(); i++) {
          double v = rs.getDouble(at);
          Double number = rs.wasNull() ? null : v;
          String text = rs.getString(at + 1);
          boolean conflict = rs.getBoolean(at + 2);
          at += 3;
          for (int k = 0; k < n; k++) {
            sliceColumns[k][i].add(number, text, conflict);
          }
        }
      }
    }
    return rows;
  }

  /** A slice's state of each column, in the fold's order; numbers not read as text stop being counted per value. */
  private static ColumnState[] columnStates(
      SliceState slice, List<MonitoredColumn> columns, boolean[] numeric, boolean[] withText) {
    ColumnState[] out = new ColumnState[columns.size()];
    for (int i = 0; i < out.length; i++) {
      out[i] = slice.column(columns.get(i).name(), numeric[i]);
      if (!withText[i]) {
        out[i].stopCountingNumbers();
      }
    }
    return out;
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
