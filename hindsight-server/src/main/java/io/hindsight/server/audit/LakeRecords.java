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
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
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
   * Streams the leaf hash of each of the endpoint's records with a leaf, in leaf order, as DuckDB
   * renders the records ({@link CanonicalSql}); false, having streamed nothing, when it cannot
   * render a column of them.
   */
  static boolean hashes(Path dataDir, String endpoint, EndpointSchema schema, HashSink sink) throws IOException {
    Path folder = folder(dataDir, endpoint);
    if (!hasParquet(folder)) {
      return true;
    }
    try (Connection conn = DriverManager.getConnection("jdbc:duckdb:")) {
      List<CanonicalSql.SourceColumn> columns = new ArrayList<>();
      try (PreparedStatement st = conn.prepareStatement("DESCRIBE SELECT * FROM " + source(folder));
          ResultSet rs = st.executeQuery()) {
        while (rs.next()) {
          columns.add(new CanonicalSql.SourceColumn(rs.getString("column_name"), rs.getString("column_type")));
        }
      }
      String rendered = CanonicalSql.record(endpoint, columns, schema);
      if (rendered == null) {
        return false;
      }
      // Hashed by DuckDB too, and sorted as 40 bytes a record: the leaf and its 32-byte hash.
      // The prediction id is read only for the few records that need naming.
      String sql =
          "SELECT " + Table.LEAF + ", unhex(sha256('\\x00'::BLOB || encode(" + rendered + "))) FROM " + source(folder)
              + " WHERE " + Table.LEAF + " IS NOT NULL ORDER BY " + Table.LEAF;
      try (PreparedStatement st = conn.prepareStatement(sql);
          ResultSet rs = st.executeQuery()) {
        while (rs.next()) {
          sink.leaf(rs.getLong(1), rs.getBytes(2));
        }
      }
      return true;
    } catch (SQLException e) {
      throw new IOException("reading the lake of '" + endpoint + "' failed: " + e.getMessage(), e);
    }
  }

  /** Receives a record's leaf index and its leaf hash as rendered (null when it could not be). */
  interface HashSink {
    void leaf(long leaf, byte[] hash) throws IOException;
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
