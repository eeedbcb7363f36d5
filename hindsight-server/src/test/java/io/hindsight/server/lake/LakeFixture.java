package io.hindsight.server.lake;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.hindsight.server.ops.ManualScheduler;
import io.hindsight.server.schema.SqlText;
import io.hindsight.server.schema.ColumnType;
import io.hindsight.server.schema.Row;
import io.hindsight.server.schema.SchemaRegistry;
import io.hindsight.server.schema.Table;
import io.hindsight.server.wal.WalEntry;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.duckdb.DuckDBConnection;

/**
 * A lake, a schema registry and a lake writer in a temporary folder, stepped by a manual
 * scheduler, with a DuckDB connection of its own to read back what was written.
 */
final class LakeFixture implements AutoCloseable {
  /** 2026-11-30T00:00:00Z in microseconds. */
  static final long DAY_START = 1_795_996_800_000_000L;

  static final long DAY = 24L * 3600 * 1_000_000;

  final ManualScheduler time = new ManualScheduler();
  final Lake lake;
  final SchemaRegistry schemas;
  final LakeWriter writer;
  /** Every mark the writer reported, in order. */
  final List<Long> marks = new ArrayList<>();
  /** Every table the writer said got its first file. */
  final List<Table> tablesChanged = new ArrayList<>();
  /** The connection the writer was given. */
  final DuckDBConnection writerConnection;
  private final Connection reader;

  LakeFixture(Path dir) throws IOException, SQLException {
    this(dir, LakeStore.LOCAL);
  }

  /** ... whose lake is kept of record in {@code store}. */
  LakeFixture(Path dir, LakeStore store) throws IOException, SQLException {
    lake = new Lake(dir.resolve("lake"), store);
    schemas = new SchemaRegistry(dir.resolve("catalog"), new ObjectMapper());
    writerConnection = duckdb();
    writer = new LakeWriter(time, lake, schemas, writerConnection, marks::add, tablesChanged::add);
    reader = DriverManager.getConnection("jdbc:duckdb:");
  }

  static DuckDBConnection duckdb() throws SQLException {
    return (DuckDBConnection) DriverManager.getConnection("jdbc:duckdb:");
  }

  /** A prediction of {@code endpoint} with a bigint {@code score}, whose column exists. */
  Row prediction(String endpoint, long ts, String id, long score) {
    schemas.schema(Table.PREDICTIONS, endpoint).addIfAbsent("score", ColumnType.BIGINT, ts);
    Map<String, Object> values = new LinkedHashMap<>();
    values.put("prediction_id", id);
    values.put("status", "ok");
    values.put("score", score);
    return new Row(Table.PREDICTIONS, endpoint, ts, values);
  }

  /** Hands the writer one log entry holding {@code rows}, the first with sequence number {@code firstSeq}. */
  void accept(long firstSeq, Row... rows) {
    writer.accept(firstSeq, rows.length, new WalEntry(null, null, List.of(rows)).encode());
  }

  Partition partition(String endpoint, long ts) {
    return Partition.of(new Row(Table.PREDICTIONS, endpoint, ts, Map.of()));
  }

  /** The highest seqs in the names of a partition's data files, oldest first. */
  List<Long> fileSeqs(Partition p) throws IOException {
    return lake.dataFiles(p).stream().map(Lake::maxSeqOf).toList();
  }

  /** Writes each row to a file of its own, in order, starting at sequence number {@code firstSeq}. */
  void writeEachToAFile(long firstSeq, Row... rows) {
    for (Row r : rows) {
      accept(firstSeq++, r);
      writer.flushNow();
    }
  }

  /** Every file under the lake, data or not. */
  List<Path> allFiles() throws IOException {
    try (Stream<Path> s = Files.walk(lake.root())) {
      return s.filter(Files::isRegularFile).toList();
    }
  }

  /** The rows of a set of Parquet files as lists of column values, in the order of {@code orderBy}, or as stored if null. */
  List<List<Object>> rows(String columns, List<Path> files, String orderBy) throws SQLException {
    StringBuilder list = new StringBuilder("[");
    for (int i = 0; i < files.size(); i++) {
      list.append(i == 0 ? "" : ",").append(SqlText.string(files.get(i).toString()));
    }
    list.append(']');
    List<List<Object>> out = new ArrayList<>();
    try (Statement st = reader.createStatement();
        ResultSet rs = st.executeQuery(
            "SELECT " + columns + " FROM read_parquet(" + list + ", union_by_name = true)"
                + (orderBy == null ? "" : " ORDER BY " + orderBy))) {
      int n = rs.getMetaData().getColumnCount();
      while (rs.next()) {
        List<Object> row = new ArrayList<>();
        for (int i = 1; i <= n; i++) {
          row.add(rs.getObject(i));
        }
        out.add(row);
      }
    }
    return out;
  }

  /** The DuckDB type of each column of a Parquet file, by name. */
  Map<String, String> types(Path file) throws SQLException {
    Map<String, String> out = new LinkedHashMap<>();
    try (Statement st = reader.createStatement();
        ResultSet rs = st.executeQuery(
            "DESCRIBE SELECT * FROM read_parquet(" + SqlText.string(file.toString()) + ")")) {
      while (rs.next()) {
        out.put(rs.getString(1), rs.getString(2));
      }
    }
    return out;
  }

  @Override
  public void close() throws SQLException {
    writer.close();
    reader.close();
  }
}
