package io.hindsight.server.lake;

import static io.hindsight.server.lake.LakeFixture.DAY_START;
import static org.assertj.core.api.Assertions.assertThat;

import io.hindsight.server.schema.ColumnType;
import io.hindsight.server.schema.JsonText;
import io.hindsight.server.schema.Row;
import io.hindsight.server.schema.SqlText;
import io.hindsight.server.schema.Table;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** What a Parquet file holds for each column type, and the SQL quoting its statements rely on. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class ParquetFileWriterTest {
  @TempDir Path dir;

  @Test
  void writesEveryColumnTypeAndReadsItBack() throws Exception {
    try (LakeFixture f = new LakeFixture(dir)) {
      var schema = f.schemas.schema(Table.PREDICTIONS, "churn");
      schema.addIfAbsent("flag", ColumnType.BOOLEAN, DAY_START);
      schema.addIfAbsent("n", ColumnType.BIGINT, DAY_START);
      schema.addIfAbsent("x", ColumnType.DOUBLE, DAY_START);
      schema.addIfAbsent("label", ColumnType.STRING, DAY_START);
      schema.addIfAbsent("doc", ColumnType.JSON, DAY_START);
      schema.addIfAbsent("absent", ColumnType.STRING, DAY_START);
      Map<String, String> tags = new LinkedHashMap<>();
      tags.put("quote\"", "back\\slash");
      tags.put("ctl", "a\u0001b\nc");
      tags.put("plain", "ünï😀");
      Map<String, Object> values = new LinkedHashMap<>();
      values.put("prediction_id", "p-1");
      values.put("tags", tags);
      values.put("latency_ms", 12.5);
      values.put("sample_rate", 1.0);
      values.put("flag", false);
      values.put("n", -7L);
      values.put("x", 0.25);
      values.put("label", "Zoë");
      values.put("doc", new JsonText("{\"k\":[1,2]}"));
      values.put("error", null);
      f.accept(0, new Row(Table.PREDICTIONS, "churn", DAY_START + 123_456, values));
      f.writer.flushNow();

      List<Path> files = f.lake.dataFiles(f.partition("churn", DAY_START));
      assertThat(files).hasSize(1);
      assertThat(f.types(files.get(0)))
          .containsEntry("prediction_id", "VARCHAR")
          .containsEntry("ts", "TIMESTAMP WITH TIME ZONE")
          .containsEntry("tags", "MAP(VARCHAR, VARCHAR)")
          .containsEntry("latency_ms", "DOUBLE")
          .containsEntry("flag", "BOOLEAN")
          .containsEntry("n", "BIGINT")
          .containsEntry("doc", "VARCHAR");
      assertThat(f.rows(
              "prediction_id, epoch_us(ts), map_extract(tags, 'quote\"')[1], map_extract(tags, 'ctl')[1],"
                  + " map_extract(tags, 'plain')[1], cardinality(tags)::BIGINT, latency_ms, flag, n, x, label, doc, absent, error",
              files, null))
          .containsExactly(java.util.Arrays.asList(
              "p-1", DAY_START + 123_456, "back\\slash", "a\u0001b\nc", "ünï😀", 3L, 12.5, false, -7L, 0.25, "Zoë",
              "{\"k\":[1,2]}", null, null));
      assertThat(f.allFiles()).as("no temporary file is left").containsExactlyElementsOf(files);
    }
  }

  @Test
  void aValueOfOneRowNeverLeaksIntoTheNext() throws Exception {
    try (LakeFixture f = new LakeFixture(dir)) {
      f.schemas.schema(Table.PREDICTIONS, "churn").addIfAbsent("label", ColumnType.STRING, DAY_START);
      f.accept(0,
          new Row(Table.PREDICTIONS, "churn", DAY_START, Map.of("prediction_id", "a", "label", "x")),
          new Row(Table.PREDICTIONS, "churn", DAY_START, Map.of("prediction_id", "b")));
      f.writer.flushNow();
      assertThat(f.rows("prediction_id, label", f.lake.dataFiles(f.partition("churn", DAY_START)), null))
          .containsExactly(List.of("a", "x"), java.util.Arrays.asList("b", null));
    }
  }

  /**
   * Rows of several DuckDB row groups, written in steps, then one row alone: DuckDB's threads are
   * set for each file's rows, and every row is stored once, in log order.
   */
  @Test
  void manyRowsThenOneKeepLogOrder() throws Exception {
    try (LakeFixture f = new LakeFixture(dir)) {
      f.schemas.schema(Table.PREDICTIONS, "churn").addIfAbsent("n", ColumnType.BIGINT, DAY_START);
      int many = (int) (2.5 * ParquetFileWriter.ROWS_A_THREAD);
      Row[] rows = new Row[many];
      for (int i = 0; i < many; i++) {
        rows[i] = new Row(Table.PREDICTIONS, "churn", DAY_START + i, Map.of("prediction_id", "p-" + i, "n", (long) i));
      }
      f.accept(0, rows);
      f.writer.flushNow();
      f.accept(many, new Row(Table.PREDICTIONS, "churn", DAY_START, Map.of("prediction_id", "last", "n", (long) many)));
      f.writer.flushNow();

      List<Path> files = f.lake.dataFiles(f.partition("churn", DAY_START));
      assertThat(f.fileSeqs(f.partition("churn", DAY_START))).last().isEqualTo((long) many);
      List<List<Object>> stored = f.rows("n", files, null);
      assertThat(stored).hasSize(many + 1);
      for (int i = 0; i <= many; i++) {
        assertThat(stored.get(i).get(0)).as("row %d", i).isEqualTo((long) i);
      }
    }
  }

  @Test
  void quotesIdentifiersAndStringsForSql() {
    assertThat(SqlText.identifier("a\"b")).isEqualTo("\"a\"\"b\"");
    assertThat(SqlText.string("it's")).isEqualTo("'it''s'");
    assertThat(ParquetFileWriter.sortKey(Table.EVENTS)).isEqualTo("ts");
    assertThat(ParquetFileWriter.sortKey(Table.FEEDBACK)).isEqualTo("prediction_id, ts");
  }
}
