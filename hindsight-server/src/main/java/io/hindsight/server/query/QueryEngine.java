package io.hindsight.server.query;

import io.hindsight.server.schema.SqlText;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.hindsight.server.ApiException;
import io.hindsight.server.lake.FreshRows;
import io.hindsight.server.lake.Lake;
import io.hindsight.server.schema.Table;
import java.io.Closeable;
import java.io.IOException;
import java.nio.file.Path;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.Lock;
import org.duckdb.DuckDBConnection;
import io.hindsight.server.ops.DaemonThreads;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * SQL over the lake. User SQL first passes {@link SqlGuard}, then runs in a query worker process
 * ({@link QueryWorkers}) with a deadline that kills the process, because DuckDB cannot be stopped
 * from outside while it folds constants in prepare. Each worker holds a locked DuckDB
 * ({@link LockedDuckDb}) with the same views as the server's own one, which runs the SQL the server
 * writes itself ({@link #select}) without the cost of a process hop.
 *
 * <p>Views: {@code predictions}, {@code feedback}, {@code events} (globs over the lake, so a new
 * file is visible to the next query) and {@code predictions_with_feedback} (the latest value of
 * each feedback key as {@code feedback_<key>}, plus {@code feedback_ts}). When they change, a
 * worker receives the new definitions with its next query.
 */
public final class QueryEngine implements Closeable {
  private static final Logger log = LoggerFactory.getLogger(QueryEngine.class);

  private final Lake lake;
  private final QueryLimits limits;
  private final DuckDBConnection admin;
  private final SqlGuard guard;
  private final BlockingQueue<DuckDBConnection> pool;
  /**
   * A DuckDB of its own for background work, on fewer threads ({@link
   * QueryLimits#backgroundThreadsOrDefault}) so it leaves cores to ingest and the lake writer;
   * same views as {@link #admin}.
   */
  private final DuckDBConnection background;
  private final BlockingQueue<DuckDBConnection> backgroundPool;
  private static final int BACKGROUND_CONNECTIONS = 2;
  private final ScheduledExecutorService timer;
  private final QueryWorkers workers;
  private volatile QueryWorker.Views views = new QueryWorker.Views(0, List.of());
  private volatile FreshRows fresh;
  /** Derived columns of predictions: name → endpoint → SQL expression. */
  private Map<String, Map<String, String>> derived = Map.of();
  private volatile Map<String, String> derivedProblems = Map.of();
  private final Map<String, LakeTable> lakeTables = new LinkedHashMap<>();
  private final Map<String, String> extraViews = new LinkedHashMap<>();
  /** Told DuckDB's message of every failed read, which names a lake file it could not read. */
  private volatile java.util.function.Consumer<String> readFailed = message -> {};

  /**
   * @param scratchDir a folder of the data directory outside the lake for DuckDB's spill files
   *     and the workers' files; emptied by the caller before start
   * @param onQueryKilled called each time a query is stopped at its deadline (for the metrics)
   */
  public QueryEngine(Lake lake, QueryLimits limits, ObjectMapper json, Path scratchDir, Runnable onQueryKilled)
      throws SQLException {
    this.lake = lake;
    this.limits = limits;
    this.admin = LockedDuckDb.open(
        lake.root(), limits.memoryLimit(), scratchDir.resolve("server"), limits.maxTempSize(), limits.serverThreads());
    DuckDbFiles.deleteLoadedLibraryCopy();
    this.guard = new SqlGuard(admin.duplicate(), json);
    this.pool = new ArrayBlockingQueue<>(limits.connections());
    for (int i = 0; i < limits.connections(); i++) {
      pool.add(admin.duplicate());
    }
    this.background = LockedDuckDb.open(
        lake.root(), limits.memoryLimit(), scratchDir.resolve("background"), limits.maxTempSize(),
        limits.backgroundThreadsOrDefault());
    this.backgroundPool = new ArrayBlockingQueue<>(BACKGROUND_CONNECTIONS);
    for (int i = 0; i < BACKGROUND_CONNECTIONS; i++) {
      backgroundPool.add(background.duplicate());
    }
    this.timer =
        DaemonThreads.single("hindsight-query-timeout");
    this.workers = new QueryWorkers(lake.root(), scratchDir, limits, onQueryKilled);
    refreshViews();
    try {
      workers.startFirst();
    } catch (IOException e) {
      close();
      throw new SQLException("could not start a query worker process: " + e.getMessage(), e);
    }
  }

  /**
   * Waits until the first query worker process, started with the engine, is up (about a second,
   * overlapping the rest of the server's start); throws when worker processes cannot start at all.
   */
  public void awaitWorkers() throws IOException {
    workers.awaitFirst();
  }

  /** Has {@code listener} told DuckDB's message of each failed read (see {@code DamagedFiles#suspect}). */
  public void onReadFailure(java.util.function.Consumer<String> listener) {
    readFailed = listener;
  }

  /** Rebuilds the views; called when a table gets its first files or a schema changes. */
  public synchronized void refreshViews() {
    List<String> ddl = new ArrayList<>();
    try (Statement st = admin.createStatement()) {
      // The fresh views first: the tables' views read them, and the predictions view is tried out.
      for (Table t : Table.values()) {
        String empty = FreshViews.empty(t, emptyRelation(t));
        st.execute(empty);
        ddl.add(empty);
      }
      List<String> tables = new ArrayList<>();
      tables.add(predictionsView(st));
      tables.add(tableView(Table.FEEDBACK, "endpoint, prediction_id, ts, date"));
      tables.add(tableView(Table.EVENTS, "endpoint, ts, kind, text, data"));
      for (LakeTable t : lakeTables.values()) {
        tables.add(t.view(lake.root()));
      }
      extraViews.forEach((name, select) -> tables.add("CREATE OR REPLACE VIEW " + name + " AS " + select));
      for (String d : tables) {
        st.execute(d);
      }
      ddl.addAll(tables);
      String join =
          "CREATE OR REPLACE VIEW predictions_with_feedback AS SELECT p.*, f.* EXCLUDE (endpoint, prediction_id)"
              + " FROM predictions p LEFT JOIN (SELECT endpoint, prediction_id, max(ts) AS feedback_ts%s"
              + " FROM feedback GROUP BY endpoint, prediction_id) f"
              + " ON p.endpoint = f.endpoint AND p.prediction_id = f.prediction_id";
      String withKeys =
          String.format(
              join,
              ", arg_max(COLUMNS(* EXCLUDE (endpoint, prediction_id, ts, date, _conflicts)), ts)"
                  + " AS 'feedback_\\0'");
      try {
        st.execute(withKeys);
        ddl.add(withKeys);
      } catch (SQLException noFeedbackKeys) {
        String withoutKeys = String.format(join, "");
        st.execute(withoutKeys);
        ddl.add(withoutKeys);
      }
      try (Statement bg = background.createStatement()) {
        for (String d : ddl) {
          bg.execute(d);
        }
      }
      views = new QueryWorker.Views(views.version() + 1, List.copyOf(ddl));
    } catch (SQLException e) {
      log.error("could not build the SQL views", e);
      readFailed.accept(e.getMessage());
    }
  }

  /**
   * A table of Parquet files the server writes itself under a folder of the lake, Hive-partitioned
   * by endpoint and date (the metric store, the alert history): shown in SQL with exactly
   * {@code columns} ("name TYPE, ..."), empty until its first file.
   */
  public record LakeTable(String name, String folder, String columns) {
    String view(Path lakeRoot) {
      Path dir = lakeRoot.resolve(folder);
      List<String> names = new ArrayList<>();
      List<String> nulls = new ArrayList<>();
      for (String c : columns.split(",\\s*")) {
        String[] nameType = c.trim().split("\\s+", 2);
        names.add(nameType[0]);
        nulls.add("NULL::" + nameType[1] + " AS " + nameType[0]);
      }
      boolean hasFiles;
      try (java.util.stream.Stream<Path> files = java.nio.file.Files.walk(dir)) {
        hasFiles = files.anyMatch(f -> f.getFileName().toString().endsWith(".parquet"));
      } catch (IOException e) {
        hasFiles = false;
      }
      String select =
          hasFiles
              ? "SELECT " + String.join(", ", names) + " FROM read_parquet("
                  + SqlText.string(dir.toAbsolutePath() + "/*/*/*.parquet")
                  + ", hive_partitioning = true, union_by_name = true, hive_types = {'endpoint': 'VARCHAR', 'date': 'DATE'})"
              : "SELECT " + String.join(", ", nulls) + " WHERE false";
      return "CREATE OR REPLACE VIEW " + name + " AS " + select;
    }
  }

  /** Adds a view over the other views (e.g. {@code alerts} over {@code events}), rebuilt with them. */
  public synchronized void addView(String name, String select) {
    extraViews.put(name, select);
    refreshViews();
  }

  /** Adds a table of server-written files to SQL (its view is rebuilt with the others). */
  public synchronized void addLakeTable(LakeTable table) {
    lakeTables.put(table.name(), table);
    refreshViews();
  }

  /**
   * Sets the derived columns of {@code predictions}: column name → endpoint → SQL expression over
   * that endpoint's record. A column is that expression on the endpoint's rows and NULL (or the
   * logged value of the same name) on others'. Rebuilds the views.
   */
  public synchronized void derivedColumns(Map<String, Map<String, String>> byName) {
    Map<String, Map<String, String>> copy = new java.util.TreeMap<>();
    byName.forEach((name, byEndpoint) -> copy.put(name, Map.copyOf(byEndpoint)));
    derived = copy;
    refreshViews();
  }

  /** Derived columns left out of {@code predictions} because their SQL failed, with DuckDB's reason. */
  public Map<String, String> derivedColumnProblems() {
    return derivedProblems;
  }

  /**
   * Why a derived column's expression cannot stand in {@code predictions} for an endpoint, or null
   * when it can: it must pass the SQL sandbox as a read, yield exactly one value per row and agree
   * in type with the same name on other endpoints.
   */
  public synchronized String derivedColumnProblem(String name, String endpoint, String expression) {
    try {
      guard.check("SELECT (" + expression + ") AS v FROM predictions");
    } catch (ApiException e) {
      return e.getMessage();
    }
    Map<String, String> byEndpoint = new java.util.TreeMap<>(derived.getOrDefault(name, Map.of()));
    byEndpoint.put(endpoint, expression);
    try (Statement st = admin.createStatement()) {
      String inner = storedPredictions();
      st.execute("SELECT " + derivedExpression(name, byEndpoint, columnsOf(st, inner)) + " FROM (" + inner + ") LIMIT 0");
      return null;
    } catch (SQLException e) {
      return LockedDuckDb.cleanMessage(e);
    }
  }

  /** The predictions view: the stored columns, then the derived ones whose SQL works. */
  private String predictionsView(Statement st) throws SQLException {
    String inner = storedPredictions();
    if (derived.isEmpty()) {
      return "CREATE OR REPLACE VIEW predictions AS " + inner;
    }
    java.util.Set<String> stored = columnsOf(st, inner);
    List<String> replaced = new ArrayList<>();
    List<String> added = new ArrayList<>();
    Map<String, String> problems = new java.util.TreeMap<>();
    for (Map.Entry<String, Map<String, String>> e : derived.entrySet()) {
      String column = derivedExpression(e.getKey(), e.getValue(), stored);
      try {
        st.execute("SELECT " + column + " FROM (" + inner + ") LIMIT 0");
        (stored.contains(e.getKey()) ? replaced : added).add(column);
      } catch (SQLException ex) {
        problems.put(e.getKey(), LockedDuckDb.cleanMessage(ex));
        log.warn("derived column '{}' is left out of predictions: {}", e.getKey(), LockedDuckDb.cleanMessage(ex));
      }
    }
    derivedProblems = Map.copyOf(problems);
    String star = replaced.isEmpty() ? "*" : "* REPLACE (" + String.join(", ", replaced) + ")";
    String extra = added.isEmpty() ? "" : ", " + String.join(", ", added);
    return "CREATE OR REPLACE VIEW predictions AS SELECT " + star + extra + " FROM (" + inner + ")";
  }

  private static String derivedExpression(String name, Map<String, String> byEndpoint, java.util.Set<String> stored) {
    StringBuilder sb = new StringBuilder("CASE endpoint");
    byEndpoint.forEach((endpoint, expr) -> sb.append(" WHEN ").append(SqlText.string(endpoint)).append(" THEN (").append(expr).append(")"));
    sb.append(stored.contains(name) ? " ELSE \"" + name + "\"" : "").append(" END AS \"").append(name).append('"');
    return sb.toString();
  }

  private String storedPredictions() {
    String view = tableView(Table.PREDICTIONS, "prediction_id, endpoint, ts, date");
    return view.substring(view.indexOf(" AS ") + 4);
  }

  private static java.util.Set<String> columnsOf(Statement st, String select) throws SQLException {
    java.util.Set<String> names = new java.util.HashSet<>();
    try (ResultSet rs = st.executeQuery("DESCRIBE " + select)) {
      while (rs.next()) {
        names.add(rs.getString(1));
      }
    }
    return names;
  }

  /** Work on the server's own connection to the lake, under the lake's read lock and the query timeout. */
  public interface SqlWork<T> {
    T run(java.sql.Connection conn) throws SQLException;
  }

  /**
   * Runs SQL the server writes itself (monitoring) on one of the in-process connections with the
   * same views as user SQL. The work is cancelled at the query timeout; a failure is a 400 with
   * DuckDB's reason.
   */
  public <T> T inProcess(SqlWork<T> work) throws IOException {
    return lend(pool, work, true);
  }

  /**
   * As {@link #inProcess}, for work no one waits on (the metric store's refreshes): on a DuckDB of
   * fewer threads, so it leaves cores to ingest and the lake writer.
   */
  public <T> T inBackground(SqlWork<T> work) throws IOException {
    return lend(backgroundPool, work, true);
  }

  /**
   * As {@link #inBackground}, for work that reads only files it names (hard links of its own, or
   * a lake file it reads again later if a merge removes it meanwhile): it does not hold the lake's
   * read lock, so a merge never waits for it, and neither do the queries queued behind a merge.
   */
  public <T> T inBackgroundOverFiles(SqlWork<T> work) throws IOException {
    return lend(backgroundPool, work, false);
  }

  private <T> T lend(BlockingQueue<DuckDBConnection> from, SqlWork<T> work, boolean lakeLock) throws IOException {
    DuckDBConnection conn = takeConnection(from);
    CancellableConnection lent = new CancellableConnection(conn);
    Lock read = lakeLock ? lake.swapLock().readLock() : null;
    if (read != null) {
      read.lock();
    }
    AtomicBoolean timedOut = new AtomicBoolean();
    ScheduledFuture<?> interrupt =
        timer.schedule(
            () -> {
              timedOut.set(true);
              lent.cancel();
            },
            limits.timeout().toMillis(),
            TimeUnit.MILLISECONDS);
    try {
      return work.run(lent.connection());
    } catch (SQLException e) {
      if (timedOut.get()) {
        throw ApiException.badRequest(
            "the computation ran longer than the limit of " + limits.timeout().toSeconds()
                + " s (query.timeout) and was cancelled; ask for a shorter window");
      }
      readFailed.accept(e.getMessage());
      throw ApiException.badRequest("the computation failed: " + LockedDuckDb.cleanMessage(e));
    } finally {
      interrupt.cancel(false);
      lent.release();
      if (read != null) {
        read.unlock();
      }
      from.add(conn);
    }
  }

  /**
   * A table's view: its lake files (a file past its partition's cut left out, see {@link
   * FreshViews}) and the rows not yet in the lake, {@code leading} columns first.
   */
  private String tableView(Table table, String leading) {
    String name = table.dirName();
    String fresh = "SELECT * FROM " + FreshViews.name(table);
    String rows;
    if (!lake.hasData(table)) {
      rows = "SELECT * FROM (" + emptyRelation(table) + ") WHERE false UNION ALL BY NAME " + fresh;
    } else {
      String glob =
          lake.tableDir(table).toAbsolutePath()
              + (table.partitionedByDate() ? "/*/*/*.parquet" : "/*/*.parquet");
      rows = "SELECT * EXCLUDE (" + FreshViews.FILE + ") FROM read_parquet(" + SqlText.string(glob)
          + ", hive_partitioning = true, union_by_name = true, hive_types = " + FreshViews.hiveTypes(table)
          + ", filename = '" + FreshViews.FILE + "') WHERE " + FreshViews.lakeFileShown(table)
          + " UNION ALL BY NAME " + fresh;
    }
    return "CREATE OR REPLACE VIEW " + name + " AS SELECT " + leading + ", * EXCLUDE (" + leading + ") FROM (" + rows + ")";
  }

  private static String emptyRelation(Table table) {
    StringBuilder sb = new StringBuilder("SELECT ");
    List<String> cols = new ArrayList<>();
    cols.add("NULL::VARCHAR AS endpoint");
    if (table.partitionedByDate()) {
      cols.add("NULL::DATE AS date");
    }
    for (Table.SystemColumn c : table.systemColumns()) {
      cols.add("NULL::" + c.type().sqlType() + " AS \"" + c.name() + "\"");
    }
    sb.append(String.join(", ", cols));
    return sb.toString();
  }

  /** Runs user SQL: checked by the guard, limited in time and rows, streamed to the sink. */
  public void query(String sql, List<Object> params, Integer requestedLimit, ResultSink sink) throws IOException {
    if (sql == null || sql.isBlank()) {
      throw ApiException.badRequest("'sql' is missing; send {\"sql\": \"SELECT ...\"}");
    }
    int limit = requestedLimit == null ? limits.defaultRows() : requestedLimit;
    if (limit < 0 || limit > limits.maxRows()) {
      throw ApiException.badRequest(
          "'limit' must be between 0 and " + limits.maxRows() + " (query.max-rows)");
    }
    guard.check(sql);
    try {
      workers.run(views, this::reading, sql, params == null ? List.of() : params, limit, sink);
    } catch (ApiException e) {
      readFailed.accept(e.getMessage());
      throw e;
    }
  }

  /** Has user SQL read the rows not yet in the lake beside it; without this it reads the lake alone. */
  public void readingFreshRows(FreshRows fresh) {
    this.fresh = fresh;
  }

  /** What a query reads: the lake under its read lock, and a snapshot of the rows not yet in it. */
  private QueryWorkers.Reading reading() throws IOException {
    Lock read = lake.swapLock().readLock();
    read.lock();
    FreshRows source = fresh;
    if (source == null) {
      return new QueryWorkers.Reading(List.of(), read::unlock);
    }
    try {
      FreshRows.Snapshot snapshot = source.take();
      return new QueryWorkers.Reading(
          FreshViews.statements(snapshot, t -> FreshViews.empty(t, emptyRelation(t))),
          () -> {
            snapshot.close();
            read.unlock();
          });
    } catch (IOException | RuntimeException e) {
      read.unlock();
      throw e;
    }
  }

  /** Runs SQL the server itself wrote (lookups, listings) in process, without the guard. */
  public List<Map<String, Object>> select(String sql, Object... params) {
    List<Map<String, Object>> out = new ArrayList<>();
    try {
      run(
          sql,
          List.of(params),
          limits.maxRows(),
          new ResultSink() {
            List<ResultColumn> cols;

            @Override
            public void columns(List<ResultColumn> columns) {
              cols = columns;
            }

            @Override
            public void row(Object[] values) {
              Map<String, Object> m = new LinkedHashMap<>();
              for (int i = 0; i < values.length; i++) {
                m.put(cols.get(i).name(), values[i]);
              }
              out.add(m);
            }

            @Override
            public void end(boolean truncated, long elapsedMs) {}
          });
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
    return out;
  }

  private DuckDBConnection takeConnection(BlockingQueue<DuckDBConnection> from) {
    DuckDBConnection conn;
    try {
      conn = from.poll(limits.timeout().toMillis(), TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new ApiException(503, "interrupted while waiting for a query slot");
    }
    if (conn == null) {
      throw new ApiException(503, "all query slots stayed busy for " + limits.timeout().toSeconds() + " s; retry", "5");
    }
    return conn;
  }

  private void run(String sql, List<Object> params, int limit, ResultSink sink) throws IOException {
    long start = System.nanoTime();
    DuckDBConnection conn = takeConnection(pool);
    Lock read = lake.swapLock().readLock();
    read.lock();
    AtomicBoolean timedOut = new AtomicBoolean();
    try (PreparedStatement ps = conn.prepareStatement(sql)) {
      if (params != null) {
        for (int i = 0; i < params.size(); i++) {
          ps.setObject(i + 1, params.get(i));
        }
      }
      ScheduledFuture<?> cancel =
          timer.schedule(
              () -> {
                timedOut.set(true);
                try {
                  ps.cancel();
                } catch (SQLException e) {
                  log.warn("could not cancel a query: {}", e.toString());
                }
              },
              limits.timeout().toMillis(),
              TimeUnit.MILLISECONDS);
      try (ResultSet rs = ps.executeQuery()) {
        boolean truncated = ResultValues.stream(rs, limit, sink);
        sink.end(truncated, (System.nanoTime() - start) / 1_000_000);
      } finally {
        cancel.cancel(false);
      }
    } catch (SQLException e) {
      if (timedOut.get()) {
        throw ApiException.badRequest(
            "the query ran longer than the limit of "
                + limits.timeout().toSeconds()
                + " s (query.timeout) and was cancelled; filter on date and endpoint to read less");
      }
      readFailed.accept(e.getMessage());
      throw ApiException.badRequest("the query failed: " + LockedDuckDb.cleanMessage(e));
    } finally {
      read.unlock();
      pool.add(conn);
    }
  }

  @Override
  public void close() {
    workers.close();
    timer.shutdownNow();
    // The lent connections before the databases they were duplicated from.
    List<DuckDBConnection> all = new ArrayList<>(pool);
    all.addAll(backgroundPool);
    all.add(background);
    all.add(admin);
    for (DuckDBConnection c : all) {
      try {
        c.close();
      } catch (SQLException ignored) {
        // closing
      }
    }
  }
}
