package io.hindsight.server.lake;

import static io.hindsight.server.lake.LakeFixture.DAY_START;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.hindsight.server.schema.ColumnType;
import io.hindsight.server.schema.JsonText;
import io.hindsight.server.schema.Row;
import io.hindsight.server.schema.SqlText;
import io.hindsight.server.schema.Table;
import java.nio.file.Path;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.duckdb.DuckDBConnection;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The two ways rows reach DuckDB's Parquet writer make the same files: the same Parquet schema and
 * the same values in the same order, lake files and fresh files alike.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class ParquetEncoderTest {
  @TempDir Path dir;

  /** More than two Arrow batches, the last one partial. */
  private static final int ROWS = 2 * ArrowRows.BATCH_ROWS + 777;

  @Test
  void theTestJvmRunsTheArrowEncoderAsTheServerDoes() {
    assertThat(ParquetEncoder.ARROW.usable()).isEqualTo(ParquetEncoder.ARROW);
    assertThat(ParquetEncoder.APPENDER.usable()).isEqualTo(ParquetEncoder.APPENDER);
  }

  @Test
  void bothEncodersWriteTheSameLakeFiles() throws Exception {
    List<Path> arrow = lakeFiles(ParquetEncoder.ARROW);
    List<Path> appender = lakeFiles(ParquetEncoder.APPENDER);
    assertThat(arrow).hasSize(1);
    assertThat(appender).hasSize(1);
    assertSameFiles(arrow, appender, ROWS);
  }

  @Test
  void bothEncodersWriteTheSameFreshFiles() throws Exception {
    List<Path> arrow = freshFiles(ParquetEncoder.ARROW);
    List<Path> appender = freshFiles(ParquetEncoder.APPENDER);
    assertThat(arrow).isNotEmpty();
    assertSameFiles(arrow, appender, ROWS);
    assertThat(column(arrow, FreshRows.SEQ_COLUMN)).as("each row's seq, in order").isEqualTo(seqs());
  }

  @Test
  void bothEncodersReportAFailedCopyByItsCauseAndWriteTheNextFile() throws Exception {
    for (ParquetEncoder encoder : ParquetEncoder.values()) {
      try (LakeFixture f = new LakeFixture(dir.resolve("failing-" + encoder.publicName()));
          ParquetFileWriter writer = new ParquetFileWriter(LakeFixture.duckdb())) {
        writer.encodeWith(encoder);
        f.accept(0, f.prediction("churn", DAY_START, "p-1", 1), f.prediction("churn", DAY_START, "p-2", 2));
        LakeWriter.Buffer rows = new LakeWriter.Buffer();
        f.writer.pendingAbove(p -> Long.MIN_VALUE).newRows().values().forEach(list -> list.forEach(rows::add));
        var schema = f.schemas.schema(Table.PREDICTIONS, "churn");
        Path nowhere = dir.resolve("no-such-folder-" + encoder.publicName()).resolve("f.parquet");
        assertThatThrownBy(() -> writer.write(schema, rows, nowhere))
            .as(encoder.publicName())
            .isInstanceOf(SQLException.class)
            .hasMessageContaining("no-such-folder");
        Path file = dir.resolve("after-" + encoder.publicName() + ".parquet");
        writer.write(schema, rows, file);
        assertThat(column(List.of(file), "score")).as(encoder.publicName()).containsExactly(1L, 2L);
      }
    }
  }

  private List<Path> lakeFiles(ParquetEncoder encoder) throws Exception {
    LakeFixture f = new LakeFixture(dir.resolve("lake-" + encoder.publicName()));
    assertThat(f.writer.encodeWith(encoder)).isEqualTo(encoder);
    acceptRows(f);
    f.writer.flushNow();
    List<Path> files = f.lake.dataFiles(f.partition("churn", DAY_START));
    f.close();
    return files;
  }

  private List<Path> freshFiles(ParquetEncoder encoder) throws Exception {
    LakeFixture f = new LakeFixture(dir.resolve("fresh-" + encoder.publicName()));
    f.writer.encodeWith(encoder);
    try (FreshRows fresh = new FreshRows(f.writer, f.schemas, f.lake, LakeFixture.duckdb())) {
      acceptRows(f);
      // Files outlive the snapshot only until FreshRows is closed: copy their names' contents out.
      List<Path> copies = new ArrayList<>();
      try (FreshRows.Snapshot s = fresh.take()) {
        for (Path p : s.files(Table.PREDICTIONS)) {
          Path copy = dir.resolve(encoder.publicName() + "-" + copies.size() + ".parquet");
          java.nio.file.Files.copy(p, copy);
          copies.add(copy);
        }
      }
      f.writer.discardPending();
      f.close();
      return copies;
    }
  }

  /** Every column type; values missing in some rows; integers in a double column; long and non-ASCII text. */
  private void acceptRows(LakeFixture f) {
    var schema = f.schemas.schema(Table.PREDICTIONS, "churn");
    schema.addIfAbsent("flag", ColumnType.BOOLEAN, DAY_START);
    schema.addIfAbsent("n", ColumnType.BIGINT, DAY_START);
    schema.addIfAbsent("x", ColumnType.DOUBLE, DAY_START);
    schema.addIfAbsent("label", ColumnType.STRING, DAY_START);
    schema.addIfAbsent("doc", ColumnType.JSON, DAY_START);
    Random random = new Random(7);
    List<Row> rows = new ArrayList<>();
    for (int i = 0; i < ROWS; i++) {
      Map<String, Object> values = new LinkedHashMap<>();
      values.put("prediction_id", "p-" + i);
      if (i % 3 != 0) {
        Map<String, String> tags = new LinkedHashMap<>();
        tags.put("region", i % 2 == 0 ? "eu" : "ünï😀 \"q\" \\");
        tags.put("k" + i % 5, "v" + i);
        values.put("tags", tags);
      }
      values.put("latency_ms", random.nextDouble() * 100);
      if (i % 4 != 0) {
        values.put("flag", i % 8 == 1);
      }
      values.put("n", i % 5 == 0 ? null : random.nextLong());
      values.put("x", i % 7 == 0 ? (Object) (long) i : (Object) random.nextGaussian());
      values.put("label", i % 11 == 0 ? "x".repeat(5_000 + i) : "Zoë-" + i);
      if (i % 2 == 0) {
        values.put("doc", new JsonText("{\"k\":[" + i + ",2],\"s\":\"é\"}"));
      }
      values.put("error", i % 13 == 0 ? "timeout" : null);
      rows.add(new Row(Table.PREDICTIONS, "churn", DAY_START + i * 1_000L, values));
    }
    for (int from = 0; from < ROWS; from += 500) {
      f.accept(from, rows.subList(from, Math.min(ROWS, from + 500)).toArray(Row[]::new));
    }
  }

  private static List<Long> seqs() {
    List<Long> out = new ArrayList<>();
    for (long i = 0; i < ROWS; i++) {
      out.add(i);
    }
    return out;
  }

  private static void assertSameFiles(List<Path> a, List<Path> b, int rows) throws SQLException {
    assertThat(schema(a)).isEqualTo(schema(b));
    List<List<String>> left = values(a);
    assertThat(left).hasSize(rows);
    assertThat(left).containsExactlyElementsOf(values(b));
  }

  /** Each column's name, physical, logical and converted type as the Parquet files declare them. */
  private static List<String> schema(List<Path> files) throws SQLException {
    return strings("SELECT DISTINCT concat_ws(' ', name, type, logical_type, converted_type, repetition_type)"
        + " FROM parquet_schema(" + list(files) + ") ORDER BY 1").stream().map(r -> r.get(0)).toList();
  }

  /** Every value of every row as text, in the order the files store them. */
  private static List<List<String>> values(List<Path> files) throws SQLException {
    return strings("SELECT CAST(COLUMNS(*) AS VARCHAR) FROM read_parquet(" + list(files) + ")");
  }

  private static List<Long> column(List<Path> files, String name) throws SQLException {
    return strings("SELECT " + name + " FROM read_parquet(" + list(files) + ")").stream().map(r -> Long.parseLong(r.get(0))).toList();
  }

  private static String list(List<Path> files) {
    return "[" + String.join(", ", files.stream().map(p -> SqlText.string(p.toString())).toList()) + "]";
  }

  private static List<List<String>> strings(String sql) throws SQLException {
    List<List<String>> out = new ArrayList<>();
    try (DuckDBConnection c = LakeFixture.duckdb(); Statement st = c.createStatement(); ResultSet rs = st.executeQuery(sql)) {
      int n = rs.getMetaData().getColumnCount();
      while (rs.next()) {
        List<String> row = new ArrayList<>();
        for (int i = 1; i <= n; i++) {
          row.add(rs.getString(i));
        }
        out.add(row);
      }
    }
    return out;
  }
}
