package io.hindsight.server.lake;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.hindsight.server.lake.ParquetFileWriter.EncodedRows;
import io.hindsight.server.lake.ParquetFileWriter.FileColumn;
import io.hindsight.server.schema.ColumnType;
import io.hindsight.server.schema.SqlText;
import io.hindsight.server.wal.RowCodec;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.duckdb.DuckDBConnection;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Arrow batches given to DuckDB give their memory back after every file, whether the copy
 * succeeds, fails in DuckDB, or fails decoding a row; and a failure names its cause.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class ArrowRowsTest {
  @TempDir Path dir;

  private static final List<FileColumn> COLUMNS =
      List.of(new FileColumn("n", ColumnType.BIGINT), new FileColumn("s", ColumnType.STRING));

  /** {@code size} rows: n = the row's index, s = "row-" and the index; decoding row {@code failAt} throws. */
  private static EncodedRows rows(int size, int failAt) {
    return new EncodedRows() {
      @Override
      public int size() {
        return size;
      }

      @Override
      public long decodeTo(int row, RowCodec.KeyIndex index, RowCodec.ValueSink sink) {
        if (row == failAt) {
          throw new IllegalArgumentException("row " + row + " cannot be decoded");
        }
        sink.int64(index.column("n"), row);
        byte[] s = ("row-" + row).getBytes(StandardCharsets.UTF_8);
        sink.utf8(index.column("s"), s, 0, s.length);
        return 0;
      }

      @Override
      public long seq(int row) {
        return 1000 + row;
      }
    };
  }

  @Test
  void everyBatchIsCopiedAndItsMemoryGivenBack() throws Exception {
    try (ArrowRows arrow = new ArrowRows(); DuckDBConnection conn = LakeFixture.duckdb(); Statement st = conn.createStatement()) {
      for (int round = 0; round < 3; round++) {
        int size = 3 * ArrowRows.BATCH_ROWS + round;
        Path file = dir.resolve("f" + round + ".parquet");
        try (ArrowRows.Registered view = arrow.register(conn, "stage", COLUMNS, "seq", rows(size, -1))) {
          st.execute("COPY (SELECT * FROM stage) TO " + SqlText.string(file.toString()) + " (FORMAT parquet)");
          st.execute("DROP VIEW stage");
        }
        assertThat(arrow.allocatedBytes()).as("Arrow memory after file %d", round).isZero();
        try (ResultSet rs = st.executeQuery("SELECT count(*), sum(n), min(seq), max(seq), max(s) FILTER (WHERE n = 7)"
            + " FROM read_parquet(" + SqlText.string(file.toString()) + ")")) {
          rs.next();
          assertThat(rs.getLong(1)).isEqualTo(size);
          assertThat(rs.getLong(2)).isEqualTo((long) size * (size - 1) / 2);
          assertThat(rs.getLong(3)).isEqualTo(1000);
          assertThat(rs.getLong(4)).isEqualTo(1000 + size - 1);
          assertThat(rs.getString(5)).isEqualTo("row-7");
        }
      }
    }
  }

  @Test
  void aRowThatCannotBeDecodedFailsTheCopyNamingItAndLeavesNoMemory() throws Exception {
    try (ArrowRows arrow = new ArrowRows(); DuckDBConnection conn = LakeFixture.duckdb()) {
      Path file = dir.resolve("bad.parquet");
      try (ArrowRows.Registered view = arrow.register(conn, "stage", COLUMNS, null, rows(3 * ArrowRows.BATCH_ROWS, 5000))) {
        assertThatThrownBy(() -> execute(conn, "COPY (SELECT * FROM stage) TO " + SqlText.string(file.toString()) + " (FORMAT parquet)"))
            .isInstanceOf(SQLException.class)
            .hasMessageContaining("row 5000 cannot be decoded");
        execute(conn, "DROP VIEW stage");
      }
      assertThat(arrow.allocatedBytes()).isZero();
      // The connection goes on serving the next file.
      try (ArrowRows.Registered view = arrow.register(conn, "stage", COLUMNS, null, rows(10, -1))) {
        execute(conn, "COPY (SELECT * FROM stage) TO " + SqlText.string(file.toString()) + " (FORMAT parquet)");
        execute(conn, "DROP VIEW stage");
      }
      assertThat(arrow.allocatedBytes()).isZero();
    }
  }

  @Test
  void aCopyDuckDbRefusesLeavesNoMemory() throws Exception {
    try (ArrowRows arrow = new ArrowRows(); DuckDBConnection conn = LakeFixture.duckdb()) {
      Path nowhere = dir.resolve("missing-folder").resolve("f.parquet");
      try (ArrowRows.Registered view = arrow.register(conn, "stage", COLUMNS, null, rows(5000, -1))) {
        assertThatThrownBy(() -> execute(conn, "COPY (SELECT * FROM stage) TO " + SqlText.string(nowhere.toString()) + " (FORMAT parquet)"))
            .isInstanceOf(SQLException.class)
            .hasMessageContaining("missing-folder");
        execute(conn, "DROP VIEW stage");
      }
      assertThat(arrow.allocatedBytes()).isZero();
    }
  }

  /** On a statement of its own: DuckDB closes a statement whose execution failed. */
  private static void execute(DuckDBConnection conn, String sql) throws SQLException {
    try (Statement st = conn.createStatement()) {
      st.execute(sql);
    }
  }
}
