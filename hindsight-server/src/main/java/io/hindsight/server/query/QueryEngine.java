package io.hindsight.server.query;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.hindsight.server.ApiException;
import io.hindsight.server.lake.Lake;
import io.hindsight.server.schema.Table;
import java.io.Closeable;
import java.io.IOException;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.sql.Array;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Base64;
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
import org.duckdb.DuckDBStruct;
import io.hindsight.server.ops.DaemonThreads;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * SQL over the lake. A DuckDB database of its own holds only views over the Parquet files; it is
 * locked before any user query runs: file access only inside the lake, no extension installs or
 * autoloads, configuration locked. User SQL first passes {@link SqlGuard}; every query has a
 * timeout and a row limit.
 *
 * <p>Views: {@code predictions}, {@code feedback}, {@code events} (globs over the lake, so a new
 * file is visible to the next query) and {@code predictions_with_feedback} (the latest value of
 * each feedback key as {@code feedback_<key>}, plus {@code feedback_ts}).
 */
public final class QueryEngine implements Closeable {
  private static final Logger log = LoggerFactory.getLogger(QueryEngine.class);
  private static final DateTimeFormatter TS = DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSSSSS'Z'");

  private final Lake lake;
  private final QueryLimits limits;
  private final DuckDBConnection admin;
  private final SqlGuard guard;
  private final BlockingQueue<DuckDBConnection> pool;
  private final ScheduledExecutorService timer;

  public QueryEngine(Lake lake, QueryLimits limits, ObjectMapper json) throws SQLException {
    this.lake = lake;
    this.limits = limits;
    this.admin = (DuckDBConnection) DriverManager.getConnection("jdbc:duckdb:");
    String root = lake.root().toAbsolutePath().toString();
    try (Statement st = admin.createStatement()) {
      st.execute("SET TimeZone = 'UTC'");
      st.execute("SET memory_limit = " + sqlString(limits.memoryLimit()));
      // Lake files never change once written (merges write new files), so their footers can be
      // cached: a point lookup then reads only the row groups that can hold the id.
      st.execute("SET parquet_metadata_cache = true");
      st.execute("SET allowed_directories = [" + sqlString(root + "/") + "]");
      st.execute("SET enable_external_access = false");
      st.execute("SET autoinstall_known_extensions = false");
      st.execute("SET autoload_known_extensions = false");
      st.execute("SET lock_configuration = true");
    }
    this.guard = new SqlGuard(admin.duplicate(), json);
    this.pool = new ArrayBlockingQueue<>(limits.connections());
    for (int i = 0; i < limits.connections(); i++) {
      pool.add(admin.duplicate());
    }
    this.timer =
        DaemonThreads.single("hindsight-query-timeout");
    refreshViews();
  }

  /** Rebuilds the views; called when a table gets its first files or a schema changes. */
  public synchronized void refreshViews() {
    try (Statement st = admin.createStatement()) {
      st.execute(tableView(Table.PREDICTIONS, "prediction_id, endpoint, ts, date"));
      st.execute(tableView(Table.FEEDBACK, "endpoint, prediction_id, ts, date"));
      st.execute(tableView(Table.EVENTS, "endpoint, ts, kind, text, data"));
      String join =
          "CREATE OR REPLACE VIEW predictions_with_feedback AS SELECT p.*, f.* EXCLUDE (endpoint, prediction_id)"
              + " FROM predictions p LEFT JOIN (SELECT endpoint, prediction_id, max(ts) AS feedback_ts%s"
              + " FROM feedback GROUP BY endpoint, prediction_id) f"
              + " ON p.endpoint = f.endpoint AND p.prediction_id = f.prediction_id";
      try {
        st.execute(
            String.format(
                join,
                ", arg_max(COLUMNS(* EXCLUDE (endpoint, prediction_id, ts, date, _conflicts)), ts)"
                    + " AS 'feedback_\\0'"));
      } catch (SQLException noFeedbackKeys) {
        st.execute(String.format(join, ""));
      }
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
        + sqlString(glob)
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
    run(sql, params, limit, sink);
  }

  /** Runs SQL the server itself wrote (lookups, listings), without the guard. */
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
        ResultSetMetaData md = rs.getMetaData();
        int n = md.getColumnCount();
        List<ResultSink.ResultColumn> cols = new ArrayList<>(n);
        String[] types = new String[n];
        for (int i = 1; i <= n; i++) {
          types[i - 1] = md.getColumnTypeName(i);
          cols.add(new ResultSink.ResultColumn(md.getColumnLabel(i), types[i - 1]));
        }
        sink.columns(cols);
        int count = 0;
        boolean truncated = false;
        while (rs.next()) {
          if (count == limit) {
            truncated = true;
            break;
          }
          Object[] row = new Object[n];
          for (int i = 0; i < n; i++) {
            row[i] = value(rs, i + 1, types[i]);
          }
          sink.row(row);
          count++;
        }
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
      throw ApiException.badRequest("the query failed: " + cleanMessage(e));
    } finally {
      read.unlock();
      pool.add(conn);
    }
  }

  private static Object value(ResultSet rs, int i, String type) throws SQLException {
    if (type.equals("TIMESTAMP") || type.startsWith("TIMESTAMP_")) {
      LocalDateTime t = rs.getObject(i, LocalDateTime.class);
      return t == null ? null : TS.format(t);
    }
    if (type.equals("TIMESTAMP WITH TIME ZONE")) {
      OffsetDateTime t = rs.getObject(i, OffsetDateTime.class);
      return t == null ? null : TS.format(t.withOffsetSameInstant(ZoneOffset.UTC));
    }
    if (type.equals("DATE")) {
      LocalDate d = rs.getObject(i, LocalDate.class);
      return d == null ? null : d.toString();
    }
    return plain(rs.getObject(i));
  }

  /** Turns what DuckDB's JDBC driver returns into values Jackson writes as plain JSON. */
  static Object plain(Object v) throws SQLException {
    if (v == null || v instanceof String || v instanceof Boolean || v instanceof Long || v instanceof Integer) {
      return v;
    }
    if (v instanceof Double || v instanceof Float) {
      double d = ((Number) v).doubleValue();
      return Double.isFinite(d) ? v : String.valueOf(d);
    }
    if (v instanceof Short || v instanceof Byte || v instanceof BigInteger || v instanceof BigDecimal) {
      return v;
    }
    if (v instanceof Array) {
      Object[] items = (Object[]) ((Array) v).getArray();
      List<Object> out = new ArrayList<>(items.length);
      for (Object o : items) {
        out.add(plain(o));
      }
      return out;
    }
    if (v instanceof DuckDBStruct) {
      return plain(((DuckDBStruct) v).getMap());
    }
    if (v instanceof Map) {
      Map<String, Object> out = new LinkedHashMap<>();
      for (Map.Entry<?, ?> e : ((Map<?, ?>) v).entrySet()) {
        out.put(String.valueOf(e.getKey()), plain(e.getValue()));
      }
      return out;
    }
    if (v instanceof byte[]) {
      return Base64.getEncoder().encodeToString((byte[]) v);
    }
    if (v instanceof java.sql.Timestamp) {
      return TS.format(((java.sql.Timestamp) v).toInstant().atOffset(ZoneOffset.UTC));
    }
    if (v instanceof java.sql.Blob) {
      java.sql.Blob b = (java.sql.Blob) v;
      return Base64.getEncoder().encodeToString(b.getBytes(1, (int) b.length()));
    }
    return v.toString();
  }

  /** DuckDB's JDBC messages wrap the real one; keep the line that says what went wrong. */
  static String cleanMessage(Exception e) {
    String m = String.valueOf(e.getMessage());
    String best = m;
    for (String line : m.split("\n")) {
      if (line.startsWith("Error: ")) {
        best = line.substring("Error: ".length());
        break;
      }
    }
    if (best.startsWith("Invalid Input Error: Attempting to execute an unsuccessful")) {
      best = m;
    }
    int lineMarker = best.indexOf("\nLINE ");
    return (lineMarker > 0 ? best.substring(0, lineMarker) : best).strip();
  }

  static String sqlString(String s) {
    return "'" + s.replace("'", "''") + "'";
  }

  @Override
  public void close() {
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
