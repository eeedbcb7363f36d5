package io.hindsight.server.audit;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.hindsight.server.query.ResultValues;
import io.hindsight.server.schema.EndpointSchema;
import io.hindsight.server.schema.LookupRecord;
import io.hindsight.server.schema.SqlText;
import io.hindsight.server.schema.Table;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.IntFunction;
import java.util.stream.Stream;

/**
 * An endpoint's audited records read straight from its Parquet files with a private DuckDB
 * (no server needed), in leaf order, each shaped as the lookup API returns it.
 */
final class LakeRecords {
  /** One record: its leaf index, prediction id and the record the lookup would return. */
  record Stored(long leaf, String predictionId, Map<String, Object> record) {}

  interface Sink {
    void record(Stored r) throws IOException;
  }

  private LakeRecords() {}

  private static String source(Path folder) {
    return "read_parquet(" + SqlText.string(folder.toAbsolutePath() + "/*/*.parquet") + ", union_by_name = true, hive_partitioning = false)";
  }

  private static Path folder(Path dataDir, String endpoint) {
    return dataDir.resolve("lake").resolve(Table.PREDICTIONS.dirName()).resolve("endpoint=" + endpoint);
  }

  /** Records of the endpoint that have no leaf (stored while it was not audited). */
  static long withoutLeaf(Path dataDir, String endpoint) throws IOException {
    Path folder = folder(dataDir, endpoint);
    if (!hasParquet(folder)) {
      return 0;
    }
    try (Connection conn = DriverManager.getConnection("jdbc:duckdb:");
        PreparedStatement st = conn.prepareStatement("SELECT count(*) FROM " + source(folder) + " WHERE " + Table.LEAF + " IS NULL");
        ResultSet rs = st.executeQuery()) {
      rs.next();
      return rs.getLong(1);
    } catch (SQLException e) {
      throw new IOException("reading the lake of '" + endpoint + "' failed: " + e.getMessage(), e);
    }
  }

  /**
   * Streams the endpoint's records with a leaf, in leaf order; {@code tsFrom}/{@code tsTo} (µs,
   * null for open) keep those of a period.
   */
  static void read(Path dataDir, String endpoint, EndpointSchema schema, ObjectMapper json, Long tsFrom, Long tsTo, Sink sink)
      throws IOException {
    read(dataDir, endpoint, schema, json, (tsFrom == null ? "" : " AND epoch_us(ts) >= " + tsFrom) + (tsTo == null ? "" : " AND epoch_us(ts) < " + tsTo), sink);
  }

  /** The endpoint's records stored with leaf index {@code leaf} (one, unless records were added). */
  static void readLeaf(Path dataDir, String endpoint, EndpointSchema schema, ObjectMapper json, long leaf, Sink sink) throws IOException {
    read(dataDir, endpoint, schema, json, " AND " + Table.LEAF + " = " + leaf, sink);
  }

  /**
   * Streams the canonical text of each of the endpoint's records with a leaf, as DuckDB renders
   * them ({@link CanonicalSql}), in no order, over {@code streams} threads (each its own DuckDB
   * on one core, taking the leaves of one residue modulo {@code streams}) that call their own
   * sink. False, having streamed nothing, when DuckDB cannot render a column of them.
   */
  static boolean rendered(Path dataDir, String endpoint, EndpointSchema schema, int streams, IntFunction<RenderedSink> sinks)
      throws IOException {
    Path folder = folder(dataDir, endpoint);
    if (!hasParquet(folder)) {
      return true;
    }
    String rendered;
    try (Connection conn = DriverManager.getConnection("jdbc:duckdb:")) {
      List<CanonicalSql.SourceColumn> columns = new ArrayList<>();
      try (PreparedStatement st = conn.prepareStatement("DESCRIBE SELECT * FROM " + source(folder));
          ResultSet rs = st.executeQuery()) {
        while (rs.next()) {
          columns.add(new CanonicalSql.SourceColumn(rs.getString("column_name"), rs.getString("column_type")));
        }
      }
      rendered = CanonicalSql.record(endpoint, columns, schema);
    } catch (SQLException e) {
      throw new IOException("reading the lake of '" + endpoint + "' failed: " + e.getMessage(), e);
    }
    if (rendered == null) {
      return false;
    }
    // DuckDB renders, Java hashes: DuckDB's SHA-256 takes as long as the rendering, Java's uses
    // the processor's SHA instructions. Results stream (nothing is sorted or held), so each
    // stream's rendering, fetching and hashing share one core.
    ExecutorService pool = Executors.newFixedThreadPool(streams);
    try {
      List<Future<Void>> done = new ArrayList<>();
      for (int k = 0; k < streams; k++) {
        String sql =
            "SELECT " + Table.LEAF + ", encode(" + rendered + ") FROM " + source(folder) + " WHERE " + Table.LEAF
                + " IS NOT NULL AND " + Table.LEAF + " % " + streams + " = " + k;
        RenderedSink sink = sinks.apply(k);
        done.add(pool.submit(() -> {
          Properties streaming = new Properties();
          streaming.setProperty("jdbc_stream_results", "true");
          try (Connection conn = DriverManager.getConnection("jdbc:duckdb:", streaming)) {
            try (Statement st = conn.createStatement()) {
              st.execute("SET threads = 1");
            }
            try (PreparedStatement st = conn.prepareStatement(sql);
                ResultSet rs = st.executeQuery()) {
              while (rs.next()) {
                sink.leaf(rs.getLong(1), rs.getBytes(2));
              }
            }
          }
          return null;
        }));
      }
      for (Future<Void> f : done) {
        f.get();
      }
      return true;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted while reading the lake of '" + endpoint + "'", e);
    } catch (ExecutionException e) {
      if (e.getCause() instanceof RuntimeException r) {
        throw r;
      }
      throw new IOException("reading the lake of '" + endpoint + "' failed: " + e.getCause().getMessage(), e.getCause());
    } finally {
      pool.shutdownNow();
    }
  }

  /** Receives a record's leaf index and its canonical text as rendered (null when it could not be). */
  interface RenderedSink {
    void leaf(long leaf, byte[] canonical) throws IOException;
  }

  private static void read(Path dataDir, String endpoint, EndpointSchema schema, ObjectMapper json, String condition, Sink sink)
      throws IOException {
    Path folder = folder(dataDir, endpoint);
    if (!hasParquet(folder)) {
      return;
    }
    String sql = "SELECT * FROM " + source(folder) + " WHERE " + Table.LEAF + " IS NOT NULL" + condition + " ORDER BY " + Table.LEAF;
    try (Connection conn = DriverManager.getConnection("jdbc:duckdb:");
        PreparedStatement st = conn.prepareStatement(sql);
        ResultSet rs = st.executeQuery()) {
      ResultSetMetaData md = rs.getMetaData();
      int cols = md.getColumnCount();
      String[] names = new String[cols];
      String[] types = new String[cols];
      for (int i = 0; i < cols; i++) {
        names[i] = md.getColumnLabel(i + 1);
        types[i] = md.getColumnTypeName(i + 1);
      }
      while (rs.next()) {
        Map<String, Object> columns = new LinkedHashMap<>();
        for (int i = 0; i < cols; i++) {
          columns.put(names[i], ResultValues.value(rs, i + 1, types[i]));
        }
        long leaf = ((Number) columns.get(Table.LEAF)).longValue();
        sink.record(new Stored(leaf, (String) columns.get("prediction_id"), LookupRecord.shape(Table.PREDICTIONS, endpoint, columns, schema, json)));
      }
    } catch (SQLException e) {
      throw new IOException("reading the lake of '" + endpoint + "' failed: " + e.getMessage(), e);
    }
  }

  private static boolean hasParquet(Path folder) throws IOException {
    if (!Files.isDirectory(folder)) {
      return false;
    }
    try (Stream<Path> s = Files.walk(folder, 2)) {
      return s.anyMatch(p -> p.toString().endsWith(".parquet"));
    }
  }
}
