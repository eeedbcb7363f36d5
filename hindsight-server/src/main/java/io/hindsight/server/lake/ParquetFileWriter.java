package io.hindsight.server.lake;

import io.hindsight.server.schema.SqlText;
import io.hindsight.server.files.FileSync;
import io.hindsight.server.schema.Column;
import io.hindsight.server.schema.ColumnType;
import io.hindsight.server.schema.EndpointSchema;
import io.hindsight.server.schema.Table;
import io.hindsight.server.wal.RowCodec;
import java.io.IOException;
import java.nio.file.Path;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.duckdb.DuckDBAppender;
import org.duckdb.DuckDBConnection;

/**
 * Writes rows of one partition to a Parquet file with DuckDB: rows go to it as Arrow batches (or
 * through the Appender into a staging table, see {@link ParquetEncoder}) typed by the endpoint's
 * schema, and {@code COPY ... TO} writes zstd Parquet. These
 * fresh files are small and written for speed (log order); {@link CompactionJob}
 * merges them into large files whose row groups cover narrow ranges of ids, so lookups prune them. The file
 * appears whole: it is written under a temporary name, fsynced and renamed. Not thread-safe; one
 * writer per thread.
 */
final class ParquetFileWriter implements AutoCloseable {
  /**
   * Rows DuckDB gives one thread when it writes Parquet (a row group of its own): a file of fewer
   * rows is encoded on one thread however many DuckDB has.
   */
  static final long ROWS_A_THREAD = 122_880;

  private final DuckDBConnection conn;
  private final int maxThreads;
  /** The DuckDB threads set last; 0 before the first write. */
  private int threads;

  /** Set when rows go to DuckDB as Arrow batches; null: through the Appender. */
  private ArrowRows arrow;

  ParquetFileWriter(DuckDBConnection conn) {
    this.conn = conn;
    this.maxThreads = Runtime.getRuntime().availableProcessors();
    encodeWith(ParquetEncoder.ARROW);
  }

  /** Encodes the next files with {@code encoder}, or what it falls back to on this JVM. */
  void encodeWith(ParquetEncoder encoder) {
    boolean wantArrow = encoder.usable() == ParquetEncoder.ARROW;
    if (wantArrow && arrow == null) {
      arrow = new ArrowRows();
    } else if (!wantArrow && arrow != null) {
      arrow.close();
      arrow = null;
    }
  }

  ParquetEncoder encoder() {
    return arrow != null ? ParquetEncoder.ARROW : ParquetEncoder.APPENDER;
  }

  /**
   * Gives DuckDB as many threads as the rows can use. Extra threads have nothing to do for a file
   * of one row group, and the calling thread does not wait for them idly: it polls DuckDB's task
   * queue, which took a fifth of the lake writer's CPU at 36,000 records/s on two cores.
   */
  void threadsFor(long rows) throws SQLException {
    int wanted = (int) Math.max(1, Math.min(maxThreads, (rows + ROWS_A_THREAD - 1) / ROWS_A_THREAD));
    if (wanted != threads) {
      try (Statement st = conn.createStatement()) {
        st.execute("SET threads = " + wanted);
      }
      threads = wanted;
    }
  }

  /** A column of a file: its name and type. */
  record FileColumn(String name, ColumnType type) {}

  /** The columns a file of this schema has: the table's system columns, then user columns. */
  static List<FileColumn> columnsOf(EndpointSchema schema) {
    List<FileColumn> cols = new ArrayList<>();
    for (Table.SystemColumn c : schema.table().systemColumns()) {
      cols.add(new FileColumn(c.name(), c.type()));
    }
    for (Column c : schema.columns()) {
      cols.add(new FileColumn(c.name(), c.type()));
    }
    return cols;
  }

  /** The order merged files are sorted in: by id where a table has one, else by time. */
  static String sortKey(Table table) {
    return table == Table.EVENTS ? "ts" : "prediction_id, ts";
  }

  /**
   * Rows as the log encoded them, decoded one at a time straight into columns (no map per row):
   * {@code decodeTo} hands a row's values to {@code sink} by column index and returns its ts.
   */
  interface EncodedRows {
    int size();

    long decodeTo(int row, RowCodec.KeyIndex index, RowCodec.ValueSink sink);

    /** The log seq of a row. */
    long seq(int row);
  }

  /** Writes {@code rows} to {@code target}, atomically. */
  void write(EndpointSchema schema, EncodedRows rows, Path target) throws IOException, SQLException {
    write(schema, rows, target, FileSync::moveDurably);
  }

  /** Puts a written file (under its temporary name) in place as {@code target}. */
  interface Placement {
    void place(Path written, Path target) throws IOException;
  }

  /** Writes {@code rows} to a temporary file and has {@code placement} put it in place as {@code target}. */
  void write(EndpointSchema schema, EncodedRows rows, Path target, Placement placement) throws IOException, SQLException {
    write(schema, rows, target, placement, false);
  }

  /**
   * Writes the rows of {@code fresh} (fresh files of one partition, in seq order) with a seq from
   * {@code minSeq} to {@code maxSeq} as a lake file of {@code schema}'s columns, in seq order, and
   * has {@code placement} put it in place as {@code target}; returns false, placing nothing, unless
   * they are exactly {@code rows} rows. The rows were encoded once, into the fresh files: this only
   * reads them back and compresses them. A column the files lack is null; a column they hold in
   * a narrower type is cast to the schema's.
   */
  boolean copyFresh(EndpointSchema schema, List<Path> fresh, long minSeq, long maxSeq, long rows, Path target, Placement placement)
      throws IOException, SQLException {
    String source = "read_parquet(["
        + String.join(", ", fresh.stream().map(f -> SqlText.string(f.toString())).toList())
        + "], hive_partitioning = false, union_by_name = true)";
    java.util.Set<String> present = new java.util.HashSet<>();
    try (Statement st = conn.createStatement();
        java.sql.ResultSet rs = st.executeQuery("DESCRIBE SELECT * FROM " + source)) {
      while (rs.next()) {
        present.add(rs.getString(1));
      }
    }
    List<String> select = new ArrayList<>();
    for (FileColumn c : columnsOf(schema)) {
      String name = SqlText.identifier(c.name());
      select.add("CAST(" + (present.contains(c.name()) ? name : "NULL") + " AS " + c.type().sqlType() + ") AS " + name);
    }
    Path tmp = Lake.tempFor(target);
    long copied;
    threadsFor(rows);
    try (Statement st = conn.createStatement()) {
      // The files are read in list order, each in seq order, and DuckDB keeps that order.
      copied = st.executeUpdate(
          "COPY (SELECT " + String.join(", ", select) + " FROM " + source + " WHERE " + FreshRows.SEQ_COLUMN
              + " BETWEEN " + minSeq + " AND " + maxSeq + ") TO " + SqlText.string(tmp.toString())
              + " (" + LAKE_FILE_OPTIONS + ")");
    }
    if (copied != rows) {
      java.nio.file.Files.deleteIfExists(tmp);
      return false;
    }
    FileSync.fsync(tmp);
    placement.place(tmp, target);
    return true;
  }

  /** How the lake writer's files are written: in log order, row groups as DuckDB cuts them. */
  private static final String LAKE_FILE_OPTIONS = "FORMAT parquet, " + Lake.ZSTD;

  /**
   * Writes {@code rows} for queries to read before they are in the lake: with each row's log seq
   * in {@link FreshRows#SEQ_COLUMN}, uncompressed and not fsynced (the log holds them; the file is rebuilt
   * after a crash), renamed into place.
   */
  void writeFresh(EndpointSchema schema, EncodedRows rows, Path target) throws IOException, SQLException {
    write(schema, rows, target, (written, at) -> java.nio.file.Files.move(written, at, java.nio.file.StandardCopyOption.ATOMIC_MOVE), true);
  }

  private void write(EndpointSchema schema, EncodedRows rows, Path target, Placement placement, boolean fresh)
      throws IOException, SQLException {
    List<FileColumn> cols = columnsOf(schema);
    // Maps come as JSON text and are cast by DuckDB, for both encoders: the Appender is several
    // times slower on MAP.
    List<String> select = new ArrayList<>();
    for (FileColumn c : cols) {
      String name = SqlText.identifier(c.name());
      select.add(c.type() == ColumnType.MAP ? "CAST(" + name + "::JSON AS " + c.type().sqlType() + ") AS " + name : name);
    }
    if (fresh) {
      select.add(FreshRows.SEQ_COLUMN);
    }
    threadsFor(rows.size());
    Path tmp = Lake.tempFor(target);
    String copy = "COPY (SELECT " + String.join(", ", select) + " FROM stage) TO " + SqlText.string(tmp.toString())
        + " (" + (fresh ? "FORMAT parquet, COMPRESSION uncompressed" : LAKE_FILE_OPTIONS) + ")";
    try (Statement st = conn.createStatement()) {
      if (arrow != null) {
        try (ArrowRows.Registered view = arrow.register(conn, "stage", cols, fresh ? FreshRows.SEQ_COLUMN : null, rows)) {
          try {
            st.execute(copy);
          } finally {
            // A statement of its own: DuckDB closes one whose execution failed.
            try (Statement drop = conn.createStatement()) {
              drop.execute("DROP VIEW IF EXISTS stage");
            }
          }
        }
      } else {
        stage(st, cols, rows, fresh);
        st.execute(copy);
        st.execute("DROP TABLE stage");
      }
    }
    if (!fresh) {
      FileSync.fsync(tmp);
    }
    placement.place(tmp, target);
  }

  /** The columns' indexes by name, for decoding rows straight into columns. */
  static RowCodec.KeyIndex keyIndex(List<FileColumn> cols) {
    Map<String, Integer> columnIndex = new java.util.HashMap<>();
    for (int i = 0; i < cols.size(); i++) {
      columnIndex.put(cols.get(i).name(), i);
    }
    return new RowCodec.KeyIndex(columnIndex);
  }

  /** Puts {@code rows} into the table {@code stage} through DuckDB's Appender. */
  private void stage(Statement st, List<FileColumn> cols, EncodedRows rows, boolean fresh) throws SQLException {
    StringBuilder ddl = new StringBuilder("CREATE OR REPLACE TABLE stage (");
    for (int i = 0; i < cols.size(); i++) {
      FileColumn c = cols.get(i);
      String type = c.type() == ColumnType.MAP ? "VARCHAR" : c.type().sqlType();
      ddl.append(i == 0 ? "" : ", ").append(SqlText.identifier(c.name())).append(' ').append(type);
    }
    if (fresh) {
      ddl.append(", ").append(FreshRows.SEQ_COLUMN).append(" BIGINT");
    }
    st.execute(ddl.append(')').toString());
    RowCodec.KeyIndex keys = keyIndex(cols);
    Object[] slots = new Object[cols.size()];
    RowCodec.ValueSink toSlots = new Slots(slots);
    try (DuckDBAppender ap = conn.createAppender(DuckDBConnection.DEFAULT_SCHEMA, "stage")) {
      for (int r = 0; r < rows.size(); r++) {
        java.util.Arrays.fill(slots, null);
        long ts = rows.decodeTo(r, keys, toSlots);
        ap.beginRow();
        for (int i = 0; i < slots.length; i++) {
          FileColumn c = cols.get(i);
          if (c.type() == ColumnType.TIMESTAMP) {
            ap.appendEpochMicros(ts);
          } else {
            append(ap, c.type(), slots[i]);
          }
        }
        if (fresh) {
          ap.append(rows.seq(r));
        }
        ap.endRow();
      }
    }
  }

  /** A row's values in slots by column index, for the Appender, which takes them in column order. */
  private record Slots(Object[] slots) implements RowCodec.ValueSink {
    @Override
    public void utf8(int column, byte[] buf, int offset, int length) {
      slots[column] = java.util.Arrays.copyOfRange(buf, offset, offset + length);
    }

    @Override
    public void int64(int column, long value) {
      slots[column] = value;
    }

    @Override
    public void float64(int column, double value) {
      slots[column] = value;
    }

    @Override
    public void bool(int column, boolean value) {
      slots[column] = value;
    }

    @Override
    public void map(int column, Map<String, String> value) {
      slots[column] = value;
    }
  }

  @SuppressWarnings("unchecked")
  private static void append(DuckDBAppender ap, ColumnType type, Object v) throws SQLException {
    if (v == null) {
      ap.appendNull();
      return;
    }
    switch (type) {
      case BOOLEAN:
        ap.append((boolean) (Boolean) v);
        break;
      case BIGINT:
        ap.append(((Number) v).longValue());
        break;
      case DOUBLE:
        ap.append(((Number) v).doubleValue());
        break;
      case STRING:
      case JSON:
      case MEDIA:
        if (v instanceof byte[]) {
          ap.append((byte[]) v); // UTF-8 straight from the log
        } else {
          ap.append(v.toString()); // a number or boolean the log holds for a text column
        }
        break;
      case MAP:
        ap.append(mapAsJson((Map<String, String>) v));
        break;
      default:
        throw new IllegalArgumentException("unexpected column type " + type);
    }
  }

  static String mapAsJson(Map<String, String> map) {
    StringBuilder sb = new StringBuilder(16 + map.size() * 24).append('{');
    boolean first = true;
    for (Map.Entry<String, String> e : map.entrySet()) {
      sb.append(first ? "" : ",");
      jsonString(sb, e.getKey());
      sb.append(':');
      jsonString(sb, e.getValue());
      first = false;
    }
    return sb.append('}').toString();
  }

  private static void jsonString(StringBuilder sb, String s) {
    sb.append('"');
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c == '"' || c == '\\') {
        sb.append('\\').append(c);
      } else if (c < 0x20) {
        sb.append(String.format("\\u%04x", (int) c));
      } else {
        sb.append(c);
      }
    }
    sb.append('"');
  }

  @Override
  public void close() throws SQLException {
    try {
      if (arrow != null) {
        arrow.close(); // throws if Arrow memory was not given back: a bug to report, not to hide
      }
    } finally {
      conn.close();
    }
  }
}
