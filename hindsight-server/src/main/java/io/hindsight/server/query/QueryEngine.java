package io.hindsight.server.query;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.hindsight.server.ApiException;
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
  private final ScheduledExecutorService timer;
  private final QueryWorkers workers;
  private volatile QueryWorker.Views views = new QueryWorker.Views(0, List.of());

  /**
   * @param scratchDir a folder of the data directory outside the lake for DuckDB's spill files
   *     and the workers' files; emptied by the caller before start
   * @param onQueryKilled called each time a query is stopped at its deadline (for the metrics)
   */
  public QueryEngine(Lake lake, QueryLimits limits, ObjectMapper json, Path scratchDir, Runnable onQueryKilled)
      throws SQLException {
    this.lake = lake;
    this.limits = limits;
    this.admin = LockedDuckDb.open(lake.root(), limits.memoryLimit(), scratchDir.resolve("server"), limits.maxTempSize());
    DuckDbFiles.deleteLoadedLibraryCopy();
    this.guard = new SqlGuard(admin.duplicate(), json);
    this.pool = new ArrayBlockingQueue<>(limits.connections());
    for (int i = 0; i < limits.connections(); i++) {
      pool.add(admin.duplicate());
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

  /** Rebuilds the views; called when a table gets its first files or a schema changes. */
  public synchronized void refreshViews() {
    List<String> ddl = new ArrayList<>();
    try (Statement st = admin.createStatement()) {
      ddl.add(tableView(Table.PREDICTIONS, "prediction_id, endpoint, ts, date"));
      ddl.add(tableView(Table.FEEDBACK, "endpoint, prediction_id, ts, date"));
      ddl.add(tableView(Table.EVENTS, "endpoint, ts, kind, text, data"));
      for (String d : ddl) {
        st.execute(d);
      }
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
      views = new QueryWorker.Views(views.version() + 1, List.copyOf(ddl));
    } catch (SQLException e) {
      log.error("could not build the SQL views", e);
    }
  }

  private String tableView(Table table, String leading) {
    String name = table.dirName();
    if (!lake.hasData(table)) {
      return "CREATE OR REPLACE VIEW " + name + " AS SELECT * FROM (" + emptyRelation(table) + ") WHERE false";
    }
    String glob =
        lake.tableDir(table).toAbsolutePath()
            + (table.partitionedByDate() ? "/*/*/*.parquet" : "/*/*.parquet");
    String types =
        table.partitionedByDate() ? "{'endpoint': 'VARCHAR', 'date': 'DATE'}" : "{'endpoint': 'VARCHAR'}";
    return "CREATE OR REPLACE VIEW "
        + name
        + " AS SELECT "
        + leading
        + ", * EXCLUDE ("
        + leading
        + ") FROM read_parquet("
        + LockedDuckDb.sqlString(glob)
        + ", hive_partitioning = true, union_by_name = true, hive_types = "
        + types
        + ")";
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
    workers.run(views, sql, params == null ? List.of() : params, limit, sink, lake.swapLock().readLock());
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

  private void run(String sql, List<Object> params, int limit, ResultSink sink) throws IOException {
    long start = System.nanoTime();
    DuckDBConnection conn;
    try {
      conn = pool.poll(limits.timeout().toMillis(), TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new ApiException(503, "interrupted while waiting for a query slot");
    }
    if (conn == null) {
      throw new ApiException(503, "all query slots stayed busy for " + limits.timeout().toSeconds() + " s; retry", "5");
    }
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
    for (DuckDBConnection c : pool) {
      try {
        c.close();
      } catch (SQLException ignored) {
        // closing
      }
    }
    try {
      admin.close();
    } catch (SQLException ignored) {
      // closing
    }
  }
}
