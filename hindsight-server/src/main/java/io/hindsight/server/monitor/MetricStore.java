package io.hindsight.server.monitor;

import io.hindsight.server.schema.SqlText;
import io.hindsight.server.files.FileSync;
import io.hindsight.server.ops.Scheduler;
import io.hindsight.server.query.QueryEngine;
import io.hindsight.server.schema.EndpointSchema;
import io.hindsight.server.schema.Table;
import java.io.Closeable;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;
import org.duckdb.DuckDBAppender;
import org.duckdb.DuckDBConnection;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Every endpoint's figures per hour and per day (UTC), for all rows and per segment value,
 * kept in the lake ({@code lake/metrics/endpoint=<e>/date=<d>/metrics.parquet}, one file per
 * endpoint and day, rewritten whole) and shown in SQL as {@code metrics}. A dashboard over 90
 * days reads these, not the raw rows; the store keeps them in memory too, so a series is a
 * lookup.
 *
 * <p>Each refresh (every {@code monitoring.refresh-interval}, a minute by default) recomputes the
 * open hour of every endpoint, an hour that has just closed with its day, and every closed window
 * that late records or feedback touched since the previous refresh.
 */
public final class MetricStore implements Closeable {
  private static final Logger log = LoggerFactory.getLogger(MetricStore.class);

  /** The columns of the SQL table {@code metrics} (DESIGN §10). */
  public static final QueryEngine.LakeTable TABLE =
      new QueryEngine.LakeTable(
          "metrics",
          "metrics",
          "endpoint VARCHAR, metric VARCHAR, column_name VARCHAR, segment VARCHAR, granularity VARCHAR,"
              + " window_start TIMESTAMPTZ, window_end TIMESTAMPTZ, value DOUBLE, rows BIGINT, computed_at TIMESTAMPTZ");

  /**
   * The cache is kept in series order, so that a series request reads only the row groups of its
   * metric (a 90-day series of one metric among millions of rows: tens of milliseconds instead of
   * a full scan). Replaced windows are appended; once they are many, the cache is sorted again.
   */
  static final String SERIES_ORDER = "endpoint, metric, column_name, segment, granularity, window_start";

  /** Appended rows that make the cache sort itself again (or a tenth of the cache, when more). */
  static final long RESORT_AFTER_ROWS = 50_000;

  /** Feedback ids remembered between refreshes; past this, the last week's windows are recomputed. */
  static final int MAX_TOUCHED_IDS = 100_000;

  private static final Duration LATE_FEEDBACK_HORIZON = Duration.ofDays(7);

  /** A window of the store: its granularity and start. */
  public record Window(String granularity, Instant start) implements Comparable<Window> {
    public Instant end() {
      return granularity.equals("1h") ? start.plus(1, ChronoUnit.HOURS) : start.plus(1, ChronoUnit.DAYS);
    }

    static Window hourOf(Instant t) {
      return new Window("1h", t.truncatedTo(ChronoUnit.HOURS));
    }

    static Window dayOf(Instant t) {
      return new Window("1d", t.truncatedTo(ChronoUnit.DAYS));
    }

    LocalDate date() {
      return LocalDate.ofInstant(start, ZoneOffset.UTC);
    }

    @Override
    public int compareTo(Window o) {
      int c = start.compareTo(o.start);
      return c != 0 ? c : granularity.compareTo(o.granularity);
    }
  }

  /** One point of a series. */
  public record Point(Instant windowStart, double value, long rows) {}

  private final Path dir;
  private final Monitor monitor;
  private final QueryEngine engine;
  private final Scheduler scheduler;
  private final Clock clock;
  private final Runnable flushLake;
  private final PredictionFiles files;
  /** Each endpoint's open windows, kept as sketches; touched by the refresh only. */
  private final Map<String, OpenWindows> open = new ConcurrentHashMap<>();
  private final AtomicLong rowsFolded = new AtomicLong();
  private final AtomicLong foldFailures = new AtomicLong();
  private final AtomicLong windowFailures = new AtomicLong();
  /** Wall time spent per part of the refreshes since start, in nanoseconds (see {@link #PARTS}). */
  private final Map<String, AtomicLong> partNanos = new java.util.LinkedHashMap<>();
  /** Failed computations of a window so far, by endpoint and window. */
  private final Map<String, Integer> attempts = new ConcurrentHashMap<>();
  private final DuckDBConnection cache;
  /** Series are read on a connection of their own, so a read never waits for a refresh's writes. */
  private final DuckDBConnection reader;
  /** Rows added since the cache was last sorted by {@link #SERIES_ORDER}. */
  private long unsortedRows;
  /** Whether lake/metrics holds a file (then the SQL view reads the files). */
  private boolean wroteFiles;
  /** Windows late records touched since the last refresh, by endpoint. */
  private final Map<String, Set<Window>> touched = new ConcurrentHashMap<>();
  /** Feedback about these predictions arrived since the last refresh, by endpoint. */
  private final Map<String, Set<String>> feedbackFor = new ConcurrentHashMap<>();
  private final Set<String> feedbackOverflow = ConcurrentHashMap.newKeySet();
  private final AtomicLong windowsComputed = new AtomicLong();
  private final AtomicLong refreshFailures = new AtomicLong();
  private volatile Instant lastRefresh;
  private volatile long lastRefreshMillis;
  private Scheduler.Task task;
  private Scheduler.Task foldTask;
  private final Object refreshing = new Object();

  /**
   * @param flushLake writes acknowledged records to the lake, so a refresh sees all of them
   * @param files the prediction files written since the previous refresh, whose rows it folds in
   */
  public MetricStore(
      Path lakeRoot, Monitor monitor, QueryEngine engine, Scheduler scheduler, Runnable flushLake, PredictionFiles files)
      throws IOException {
    this.dir = lakeRoot.resolve(TABLE.folder());
    this.monitor = monitor;
    this.engine = engine;
    this.scheduler = scheduler;
    this.clock = scheduler.clock();
    this.flushLake = flushLake;
    this.files = files;
    PARTS.forEach(p -> partNanos.put(p, new AtomicLong()));
    Files.createDirectories(dir);
    try {
      cache = (DuckDBConnection) java.sql.DriverManager.getConnection("jdbc:duckdb:");
      try (Statement st = cache.createStatement()) {
        st.execute("SET TimeZone = 'UTC'");
        st.execute(
            "CREATE TABLE metric_cache (endpoint VARCHAR, date DATE, metric VARCHAR, column_name VARCHAR, segment VARCHAR,"
                + " granularity VARCHAR, window_start TIMESTAMPTZ, window_end TIMESTAMPTZ, value DOUBLE, rows BIGINT,"
                + " computed_at TIMESTAMPTZ)");
        wroteFiles = hasFiles();
        if (wroteFiles) {
          st.execute(
              "INSERT INTO metric_cache SELECT endpoint, date, metric, column_name, segment, granularity, window_start,"
                  + " window_end, value, rows, computed_at FROM read_parquet('"
                  + dir.toAbsolutePath().toString().replace("'", "''")
                  + "/*/*/*.parquet', hive_partitioning = true, hive_types = {'endpoint': 'VARCHAR', 'date': 'DATE'})"
                  + " ORDER BY " + SERIES_ORDER);
        }
      }
      reader = cache.duplicate();
    } catch (SQLException e) {
      throw new IOException("cannot open the metric store: " + e.getMessage(), e);
    }
    engine.addLakeTable(TABLE);
  }

  private boolean hasFiles() throws IOException {
    try (Stream<Path> s = Files.walk(dir)) {
      return s.anyMatch(p -> p.getFileName().toString().endsWith(".parquet"));
    }
  }

  /** Refreshes every {@code interval} on the scheduler. */
  public void start(Duration interval) {
    task = scheduler.every("hindsight-metric-store", interval, this::refreshSafely);
    if (interval.compareTo(FOLD_EVERY.multipliedBy(2)) >= 0) {
      foldTask = scheduler.every("hindsight-metric-fold", FOLD_EVERY, this::foldSafely);
    }
  }

  /**
   * How often the rows stored since the last fold are folded into the open windows between
   * refreshes: a minute of rows folded at once took the cores ingest and the lake writer need for
   * seconds each minute; in slices the same work is spread out.
   */
  static final Duration FOLD_EVERY = Duration.ofSeconds(10);

  private void foldSafely() {
    try {
      foldNew();
    } catch (RuntimeException e) {
      log.warn("metric store fold failed; the next refresh folds the rows: {}", e.toString());
    }
  }

  /**
   * Folds the rows of the files written since the last fold or refresh into the open windows; the
   * closed windows they reach are computed from the rows at the next refresh.
   */
  void foldNew() {
    synchronized (refreshing) {
      Instant now = clock.instant();
      PredictionFiles.Batch batch = files.take();
      try {
        for (String endpoint : monitor.endpoints()) {
          OpenWindows open = this.open.computeIfAbsent(endpoint, e -> new OpenWindows());
          Set<Window> late = new java.util.TreeSet<>();
          fold(endpoint, open, batch, now, late);
          touchedOf(endpoint).addAll(late);
        }
      } finally {
        batch.links().values().forEach(files::release);
      }
    }
  }

  /** The endpoint's windows to compute from the rows at the next refresh. */
  private Set<Window> touchedOf(String endpoint) {
    return touched.computeIfAbsent(endpoint, e -> ConcurrentHashMap.newKeySet());
  }

  /** Told by ingest about every stored batch: late predictions and feedback mark their windows. */
  public void stored(Table table, String endpoint, long minTsMicros, long maxTsMicros, List<String> predictionIds) {
    if (table == Table.PREDICTIONS) {
      Instant open = clock.instant().truncatedTo(ChronoUnit.HOURS);
      Instant min = Instant.EPOCH.plus(minTsMicros, ChronoUnit.MICROS);
      Instant max = Instant.EPOCH.plus(maxTsMicros, ChronoUnit.MICROS);
      if (min.isBefore(open)) {
        Set<Window> set = touchedOf(endpoint);
        // A backfill of months marks each of its hours once; each is recomputed at the next refresh.
        for (Instant h = min.truncatedTo(ChronoUnit.HOURS); !h.isAfter(max) && h.isBefore(open); h = h.plus(1, ChronoUnit.HOURS)) {
          set.add(Window.hourOf(h));
          set.add(Window.dayOf(h));
        }
      }
    } else if (table == Table.FEEDBACK) {
      Set<String> ids = feedbackFor.computeIfAbsent(endpoint, e -> ConcurrentHashMap.newKeySet());
      if (ids.size() + predictionIds.size() > MAX_TOUCHED_IDS) {
        feedbackOverflow.add(endpoint);
        ids.clear();
      } else {
        ids.addAll(predictionIds);
      }
    }
  }

  private void refreshSafely() {
    try {
      refresh();
    } catch (IOException | RuntimeException e) {
      refreshFailures.incrementAndGet();
      log.warn("metric store refresh failed; the next one tries again: {}", e.toString());
    }
  }

  /**
   * One refresh now: the open hour, a just-closed hour and its day, and touched windows. Series
   * stay readable meanwhile: the cache is locked only while a window's figures are swapped.
   */
  public void refresh() throws IOException {
    synchronized (refreshing) {
      refreshWindows();
    }
  }

  private void refreshWindows() throws IOException {
    long startNanos = System.nanoTime();
    flushLake.run();
    Instant now = clock.instant();
    Instant previous = lastRefresh;
    PredictionFiles.Batch batch = files.take();
    try {
      for (String endpoint : monitor.endpoints()) {
        refresh(endpoint, batch, now, previous);
      }
    } finally {
      batch.links().values().forEach(files::release);
    }
    sortIfScattered();
    lastRefresh = now;
    lastRefreshMillis = (System.nanoTime() - startNanos) / 1_000_000;
  }

  /**
   * An endpoint's refresh: the rows stored since the previous one are folded into its open
   * windows, whose figures come from their sketches (and, for feedback and quality, from the
   * rows at a bounded cost); every other window due is computed from the rows.
   */
  private void refresh(String endpoint, PredictionFiles.Batch batch, Instant now, Instant previous) throws IOException {
    OpenWindows open = this.open.computeIfAbsent(endpoint, e -> new OpenWindows());
    Set<Window> fromRows = new java.util.TreeSet<>();
    fold(endpoint, open, batch, now, fromRows);
    fromRows.add(Window.hourOf(now));
    if (previous == null || !Window.hourOf(previous).equals(Window.hourOf(now))) {
      Instant closed = now.minus(1, ChronoUnit.HOURS);
      fromRows.add(Window.hourOf(closed));
      fromRows.add(Window.dayOf(closed));
      fromRows.add(Window.dayOf(now));
    }
    fromRows.addAll(takeTouched(endpoint));
    Set<Window> labelsOnly = new java.util.TreeSet<>(windowsWithNewFeedback(endpoint, now));
    fromRows.removeIf(open::keeps);
    labelsOnly.removeIf(w -> open.keeps(w) || fromRows.contains(w));
    Set<LocalDate> dates = new LinkedHashSet<>();
    for (Window w : fromRows) {
      if (rawDataDeleted(endpoint, w)) {
        continue;
      }
      if (computed(endpoint, w, () -> replace(endpoint, w, timed("row_windows", () -> monitor.windowFigures(endpoint, w.start(), w.end())), now, false))) {
        dates.add(w.date());
      }
    }
    for (Window w : labelsOnly) {
      if (computed(endpoint, w, () -> replace(endpoint, w, timed("label_figures", () -> monitor.labelFigures(endpoint, w.start(), w.end())), now, true))) {
        dates.add(w.date());
      }
    }
    List<Window> done = new ArrayList<>();
    for (Map.Entry<Window, OpenWindows.WindowState> e : open.states().entrySet()) {
      Window w = e.getKey();
      boolean last = !w.end().isAfter(now.minus(OpenWindows.GRACE));
      if (refreshKept(endpoint, open, w, e.getValue(), now, last)) {
        dates.add(w.date());
      }
      if (last) {
        // Final now; had its last computation failed, the window is computed from the rows later.
        if (e.getValue().changed) {
          touchedOf(endpoint).add(w);
        }
        done.add(w);
      }
    }
    // After every figure of this refresh: a day's figures merged its hours' sketches until now.
    done.forEach(open::drop);
    for (LocalDate d : dates) {
      timed("files", () -> {
        writeFile(endpoint, d);
        return null;
      });
    }
    if (!dates.isEmpty() && !wroteFiles) {
      // The view of `metrics` was empty until the first file: build it over the files now.
      wroteFiles = true;
      engine.refreshViews();
    }
  }

  /**
   * A kept window's figures from its sketches when rows were folded in, with those of feedback and
   * quality from its rows when due; whether the window was written.
   *
   * @param last the window leaves the kept ones: its figures are computed now, whatever they cost
   */
  private boolean refreshKept(
      String endpoint, OpenWindows open, Window w, OpenWindows.WindowState state, Instant now, boolean last) {
    boolean labelsDue =
        last || state.labelFigures == null
            || Duration.between(state.labelsAt, now).toNanos() >= LABEL_COST_RATIO * state.labelNanos;
    if (!state.changed && !labelsDue) {
      return false;
    }
    return computed(endpoint, w, () -> {
      if (labelsDue) {
        long t0 = System.nanoTime();
        state.labelFigures = timed("label_figures", () -> monitor.labelFigures(endpoint, w.start(), w.end()));
        state.labelsAt = now;
        state.labelNanos = System.nanoTime() - t0;
      }
      List<MetricValue> figures =
          new ArrayList<>(timed("sketch_figures", () -> monitor.stateFigures(endpoint, w, open.forFigures(w))));
      figures.addAll(state.labelFigures);
      replace(endpoint, w, figures, now, false);
      state.changed = false;
    });
  }

  /** A window's computation, which may fail. */
  private interface Computation {
    void run() throws IOException;
  }

  /** Times a failing window is tried again at the next refreshes before the store gives up on it. */
  static final int MAX_ATTEMPTS = 3;

  /**
   * Runs one window's computation. A failure (a window too large for {@code query.timeout}, say)
   * does not stop the refresh: the window is tried again at the next ones, then given up and logged.
   */
  private boolean computed(String endpoint, Window w, Computation computation) {
    String key = endpoint + " " + w;
    try {
      computation.run();
      attempts.remove(key);
      windowsComputed.incrementAndGet();
      return true;
    } catch (IOException | RuntimeException e) {
      windowFailures.incrementAndGet();
      int n = attempts.merge(key, 1, Integer::sum);
      if (n < MAX_ATTEMPTS) {
        if (!open.get(endpoint).keeps(w)) {
          touchedOf(endpoint).add(w);
        }
        log.warn("the metric store could not compute {} of {} (attempt {} of {}): {}", w, endpoint, n, MAX_ATTEMPTS, e.toString());
      } else {
        attempts.remove(key);
        log.error("the metric store gives up computing {} of {} after {} attempts: {}", w, endpoint, n, e.toString());
      }
      return false;
    }
  }

  /**
   * The figures of feedback and quality in a kept window are computed from its rows (exact, as
   * DESIGN §10 asks of realized quality) at most once per this many times what the last
   * computation took, so that late in a busy hour they cost a bounded share of a core (1/20)
   * instead of growing with the hour; the other figures follow every refresh.
   */
  static final long LABEL_COST_RATIO = 20;

  /** SQL that selects the cache's figures of feedback and quality. */
  private static final String LABEL_METRICS =
      "metric IN (" + String.join(", ", MetricNames.names().stream().filter(MetricNames::fromLabels).map(SqlText::string).toList()) + ")";

  /**
   * Folds the endpoint's new rows into its open windows, or builds them again from the lake after
   * a restart or a config change. A failure drops them (the windows are computed from the rows
   * meanwhile) and the next refresh builds them again.
   *
   * @param late receives closed windows that got rows and are not kept
   */
  private void fold(String endpoint, OpenWindows open, PredictionFiles.Batch batch, Instant now, Set<Window> late) {
    MonitoringConfig config = monitor.config(endpoint);
    EndpointSchema schema = monitor.predictionsSchema(endpoint);
    boolean rebuild = open.needsReset(config) || batch.incomplete().contains(endpoint);
    List<Path> snapshot = null;
    try {
      List<Path> read;
      if (rebuild) {
        Instant from = now.minus(OpenWindows.GRACE).truncatedTo(ChronoUnit.HOURS);
        open.reset(from, config);
        snapshot = files.snapshot(endpoint, Window.dayOf(from).date(), Window.dayOf(now).date().plusDays(1));
        read = snapshot;
      } else {
        read = batch.links().getOrDefault(endpoint, List.of());
      }
      if (read.isEmpty() || schema == null) {
        return;
      }
      // The view's columns come from the lake's views, under its lock; the fold reads only links,
      // so it holds no lock a merge (and the queries behind a merge) would wait on.
      Monitor.View view = engine.inBackground(conn -> monitor.view(conn, endpoint, config));
      long rows = timed("fold", () -> engine.inBackgroundOverFiles(conn -> open.fold(conn, read, schema, view, now, rebuild, late)));
      rowsFolded.addAndGet(rows);
    } catch (IOException | RuntimeException e) {
      open.invalidate();
      foldFailures.incrementAndGet();
      log.warn("the metric store could not fold the new rows of {}; its open windows are read from the lake: {}",
          endpoint, e.toString());
    } finally {
      files.release(snapshot);
    }
  }

  /**
   * At most {@link #MAX_TOUCHED_PER_REFRESH} of the endpoint's touched windows, newest first; the
   * rest wait for the next refreshes, so a config change over months of windows never holds the
   * open hour back for long.
   */
  private List<Window> takeTouched(String endpoint) {
    Set<Window> set = touched.get(endpoint);
    if (set == null) {
      return List.of();
    }
    List<Window> newest = new ArrayList<>(set);
    newest.sort(java.util.Comparator.reverseOrder());
    List<Window> taken = newest.subList(0, Math.min(MAX_TOUCHED_PER_REFRESH, newest.size()));
    taken.forEach(set::remove);
    return taken;
  }

  static final int MAX_TOUCHED_PER_REFRESH = 200;

  /**
   * The endpoint's monitoring config changed: every window the store has of it is recomputed in
   * the background, newest first.
   */
  public void configChanged(String endpoint) throws IOException {
    Set<Window> set = touchedOf(endpoint);
    synchronized (this) {
      try (PreparedStatement st =
          cache.prepareStatement("SELECT DISTINCT granularity, window_start FROM metric_cache WHERE endpoint = ?")) {
        st.setString(1, endpoint);
        try (ResultSet rs = st.executeQuery()) {
          while (rs.next()) {
            set.add(new Window(rs.getString(1), rs.getObject(2, OffsetDateTime.class).toInstant()));
          }
        }
      } catch (SQLException e) {
        throw new IOException("cannot read the metric store: " + e.getMessage(), e);
      }
    }
  }

  /** Windows of the predictions whose feedback arrived since the last refresh. */
  private Set<Window> windowsWithNewFeedback(String endpoint, Instant now) throws IOException {
    Set<Window> out = new HashSet<>();
    if (feedbackOverflow.remove(endpoint)) {
      feedbackFor.remove(endpoint);
      for (Instant h = now.minus(LATE_FEEDBACK_HORIZON).truncatedTo(ChronoUnit.HOURS); h.isBefore(now); h = h.plus(1, ChronoUnit.HOURS)) {
        out.add(Window.hourOf(h));
        out.add(Window.dayOf(h));
      }
      return out;
    }
    Set<String> ids = feedbackFor.remove(endpoint);
    if (ids == null || ids.isEmpty()) {
      return out;
    }
    List<String> list = new ArrayList<>(ids);
    for (int from = 0; from < list.size(); from += 1000) {
      List<String> chunk = list.subList(from, Math.min(list.size(), from + 1000));
      StringBuilder in = new StringBuilder();
      for (String id : chunk) {
        in.append(in.length() == 0 ? "" : ", ").append(SqlText.string(id));
      }
      String sql =
          "SELECT DISTINCT date_trunc('hour', ts) AS h FROM predictions WHERE endpoint = " + SqlText.string(endpoint)
              + " AND prediction_id IN (" + in + ")";
      for (Map<String, Object> row : engine.select(sql)) {
        Instant h = Reports.instant(row.get("h"));
        out.add(Window.hourOf(h));
        out.add(Window.dayOf(h));
      }
    }
    return out;
  }

  /**
   * Replaces the window's figures with {@code figures}: all of them, or with {@code labelsOnly}
   * those of feedback and quality ({@link MetricNames#fromLabels}).
   */
  private synchronized void replace(String endpoint, Window w, List<MetricValue> figures, Instant now, boolean labelsOnly)
      throws IOException {
    try (PreparedStatement del =
        cache.prepareStatement(
            "DELETE FROM metric_cache WHERE endpoint = ? AND granularity = ? AND window_start = ?"
                + (labelsOnly ? " AND " + LABEL_METRICS : ""))) {
      del.setString(1, endpoint);
      del.setString(2, w.granularity());
      del.setObject(3, OffsetDateTime.ofInstant(w.start(), ZoneOffset.UTC));
      del.executeUpdate();
      try (DuckDBAppender a = cache.createAppender(DuckDBConnection.DEFAULT_SCHEMA, "metric_cache")) {
        for (MetricValue v : figures) {
          a.beginRow();
          a.append(endpoint);
          a.append(w.date());
          a.append(v.metric());
          a.append(v.column());
          a.append(v.segment());
          a.append(w.granularity());
          a.append(OffsetDateTime.ofInstant(w.start(), ZoneOffset.UTC));
          a.append(OffsetDateTime.ofInstant(w.end(), ZoneOffset.UTC));
          a.append(v.value());
          a.append(v.rows());
          a.append(OffsetDateTime.ofInstant(now, ZoneOffset.UTC));
          a.endRow();
        }
      }
      unsortedRows += figures.size();
    } catch (SQLException e) {
      throw new IOException("cannot keep the figures of " + endpoint + " " + w + ": " + e.getMessage(), e);
    }
  }

  private synchronized void sortIfScattered() throws IOException {
    try (Statement st = cache.createStatement()) {
      long rows;
      try (ResultSet rs = st.executeQuery("SELECT count(*) FROM metric_cache")) {
        rs.next();
        rows = rs.getLong(1);
      }
      if (unsortedRows > Math.max(RESORT_AFTER_ROWS, rows / 10)) {
        st.execute("CREATE OR REPLACE TABLE metric_cache AS SELECT * FROM metric_cache ORDER BY " + SERIES_ORDER);
        unsortedRows = 0;
      }
    } catch (SQLException e) {
      throw new IOException("cannot sort the metric store's cache: " + e.getMessage(), e);
    }
  }

  /** Writes an endpoint's day from the cache: a temporary file, fsynced, renamed over the old one. */
  private synchronized void writeFile(String endpoint, LocalDate date) throws IOException {
    Path folder = dir.resolve("endpoint=" + endpoint).resolve("date=" + date);
    FileSync.createDirectoriesDurably(folder);
    Path target = folder.resolve("metrics.parquet");
    Path tmp = folder.resolve(".metrics.parquet.tmp");
    try (PreparedStatement st =
        cache.prepareStatement(
            "COPY (SELECT metric, column_name, segment, granularity, window_start, window_end, value, rows, computed_at"
                + " FROM metric_cache WHERE endpoint = ? AND date = ? ORDER BY metric, column_name, segment, granularity, window_start)"
                + " TO '" + tmp.toAbsolutePath().toString().replace("'", "''") + "' (FORMAT parquet, COMPRESSION zstd)")) {
      st.setString(1, endpoint);
      st.setObject(2, date);
      st.execute();
    } catch (SQLException e) {
      throw new IOException("cannot write " + target + ": " + e.getMessage(), e);
    }
    FileSync.fsync(tmp);
    FileSync.moveDurably(tmp, target);
  }

  /**
   * Whether the window's figures must stay as they are: the store has them, but the raw
   * predictions of their day were deleted since (retention), so recomputing them (after a config
   * change) would only erase them. Metrics outlive raw data (DESIGN §12).
   */
  private synchronized boolean rawDataDeleted(String endpoint, Window w) throws IOException {
    Path day = dir.resolveSibling(Table.PREDICTIONS.dirName()).resolve("endpoint=" + endpoint).resolve("date=" + w.date());
    if (Files.isDirectory(day)) {
      return false;
    }
    try (PreparedStatement st =
        cache.prepareStatement("SELECT count(*) FROM metric_cache WHERE endpoint = ? AND granularity = ? AND window_start = ?")) {
      st.setString(1, endpoint);
      st.setString(2, w.granularity());
      st.setObject(3, OffsetDateTime.ofInstant(w.start(), ZoneOffset.UTC));
      try (ResultSet rs = st.executeQuery()) {
        rs.next();
        return rs.getLong(1) > 0;
      }
    } catch (SQLException e) {
      throw new IOException("cannot read the metric store: " + e.getMessage(), e);
    }
  }

  /**
   * Retention of metrics: forgets the endpoint's windows of days before {@code before} and deletes
   * their folders ({@code lake/metrics/endpoint=<e>/date=<d>/}); returns the days deleted.
   */
  public synchronized long deleteDaysBefore(String endpoint, LocalDate before) throws IOException {
    try (PreparedStatement st = cache.prepareStatement("DELETE FROM metric_cache WHERE endpoint = ? AND date < ?")) {
      st.setString(1, endpoint);
      st.setObject(2, before);
      st.executeUpdate();
    } catch (SQLException e) {
      throw new IOException("cannot forget the metrics of " + endpoint + ": " + e.getMessage(), e);
    }
    Path folder = dir.resolve("endpoint=" + endpoint);
    if (!Files.isDirectory(folder)) {
      return 0;
    }
    long days = 0;
    try (Stream<Path> s = Files.list(folder)) {
      for (Path d : s.toList()) {
        String n = d.getFileName().toString();
        if (n.startsWith("date=") && LocalDate.parse(n.substring("date=".length())).isBefore(before)) {
          io.hindsight.server.files.Folders.deleteRecursively(d);
          days++;
        }
      }
    }
    if (days > 0) {
      FileSync.fsyncDirectory(folder);
      engine.refreshViews();
    }
    return days;
  }

  /**
   * {@code GET /v1/endpoints/{e}/metrics}: a metric's points in {@code [from, to)}, oldest first.
   *
   * @param column null for metrics not per column
   */
  public List<Point> series(
      String endpoint, String metric, String column, String segment, String granularity, Instant from, Instant to)
      throws IOException {
    List<Point> out = new ArrayList<>();
    synchronized (reader) {
      readSeries(endpoint, metric, column, segment, granularity, from, to, out);
    }
    return out;
  }

  private void readSeries(
      String endpoint, String metric, String column, String segment, String granularity, Instant from, Instant to,
      List<Point> out) throws IOException {
    try (PreparedStatement st =
        reader.prepareStatement(
            "SELECT window_start, value, rows FROM metric_cache WHERE endpoint = ? AND metric = ? AND column_name IS NOT DISTINCT FROM ?"
                + " AND segment = ? AND granularity = ? AND window_start >= ? AND window_start < ? ORDER BY window_start")) {
      st.setString(1, endpoint);
      st.setString(2, metric);
      st.setString(3, column);
      st.setString(4, segment);
      st.setString(5, granularity);
      st.setObject(6, OffsetDateTime.ofInstant(from, ZoneOffset.UTC));
      st.setObject(7, OffsetDateTime.ofInstant(to, ZoneOffset.UTC));
      try (ResultSet rs = st.executeQuery()) {
        while (rs.next()) {
          out.add(new Point(rs.getObject(1, OffsetDateTime.class).toInstant(), rs.getDouble(2), rs.getLong(3)));
        }
      }
    } catch (SQLException e) {
      throw new IOException("cannot read the metric store: " + e.getMessage(), e);
    }
  }

  public long windowsComputed() {
    return windowsComputed.get();
  }

  /**
   * The parts of a refresh whose time is counted: folding new rows into sketches, figures from
   * sketches, figures of feedback and quality from the rows, windows computed from the rows, and
   * writing the store's files.
   */
  public static final List<String> PARTS = List.of("fold", "sketch_figures", "label_figures", "row_windows", "files");

  /** Seconds the refreshes spent in one of {@link #PARTS} since start. */
  public double partSeconds(String part) {
    return partNanos.get(part).get() / 1e9;
  }

  private <T> T timed(String part, java.util.concurrent.Callable<T> work) throws IOException {
    long t0 = System.nanoTime();
    try {
      return work.call();
    } catch (IOException | RuntimeException e) {
      throw e;
    } catch (Exception e) {
      throw new IOException(e);
    } finally {
      partNanos.get(part).addAndGet(System.nanoTime() - t0);
    }
  }

  /** Rows folded into open windows since start. */
  public long rowsFolded() {
    return rowsFolded.get();
  }

  /** Window computations that failed since start (each tried again up to {@link #MAX_ATTEMPTS} times). */
  public long windowFailures() {
    return windowFailures.get();
  }

  /** Folds that failed since start (the open windows were then built again). */
  public long foldFailures() {
    return foldFailures.get();
  }

  public long refreshFailures() {
    return refreshFailures.get();
  }

  /** How long the last refresh took, in milliseconds. */
  public long lastRefreshMillis() {
    return lastRefreshMillis;
  }

  /** Seconds since the last refresh ended (how stale the open hour may be); -1 before the first. */
  public long secondsSinceRefresh() {
    Instant last = lastRefresh;
    return last == null ? -1 : Duration.between(last, clock.instant()).toSeconds();
  }

  @Override
  public synchronized void close() {
    if (task != null) {
      task.cancel();
      if (foldTask != null) {
        foldTask.cancel();
      }
    }
    try {
      synchronized (reader) {
        reader.close();
      }
      cache.close();
    } catch (SQLException e) {
      log.warn("closing the metric store: {}", e.toString());
    }
  }
}
