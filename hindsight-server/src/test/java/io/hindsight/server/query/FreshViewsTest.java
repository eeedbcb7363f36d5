package io.hindsight.server.query;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.hindsight.server.lake.FreshRows;
import io.hindsight.server.lake.Lake;
import io.hindsight.server.lake.LakeWriter;
import io.hindsight.server.ops.ManualScheduler;
import io.hindsight.server.schema.ColumnType;
import io.hindsight.server.schema.Row;
import io.hindsight.server.schema.SchemaRegistry;
import io.hindsight.server.schema.Table;
import io.hindsight.server.wal.WalEntry;
import java.io.IOException;
import java.nio.file.Path;
import java.sql.DriverManager;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.duckdb.DuckDBConnection;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The hand-over, step by step, through a real query worker: a query that runs while a lake file
 * is placed and while its rows are still pending, and one after, each sees every row once.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class FreshViewsTest {
  /** 2026-11-30T10:00:00Z in microseconds. */
  private static final long TS = 1_796_032_800_000_000L;

  @TempDir Path dir;

  private SchemaRegistry schemas;
  private LakeWriter writer;
  private QueryEngine engine;

  private void accept(long seq, String id) {
    schemas.schema(Table.PREDICTIONS, "loans").addIfAbsent("score", ColumnType.BIGINT, TS);
    Row row = new Row(Table.PREDICTIONS, "loans", TS, Map.of("prediction_id", id, "score", seq));
    writer.accept(seq, 1, new WalEntry(null, null, List.of(row)).encode());
  }

  private List<String> ids() throws IOException {
    List<String> ids = new ArrayList<>();
    engine.query("SELECT prediction_id FROM predictions ORDER BY 1", List.of(), null, new ResultSink() {
      @Override
      public void columns(List<ResultColumn> columns) {}

      @Override
      public void row(Object[] values) {
        ids.add((String) values[0]);
      }

      @Override
      public void end(boolean truncated, long elapsedMs) {}
    });
    return ids;
  }

  @Test
  void aRowIsSeenOnceBeforeDuringAndAfterItsFileIsPlaced() throws Exception {
    Lake lake = new Lake(dir.resolve("lake"));
    schemas = new SchemaRegistry(dir.resolve("catalog"), new ObjectMapper());
    engine = new QueryEngine(lake, QueryLimits.DEFAULTS, new ObjectMapper(), dir.resolve("scratch"), () -> {});
    writer = new LakeWriter(
        new ManualScheduler(), lake, schemas, (DuckDBConnection) DriverManager.getConnection("jdbc:duckdb:"), seq -> {},
        t -> engine.refreshViews());
    try (QueryEngine closeEngine = engine;
        LakeWriter closeWriter = writer;
        FreshRows fresh = new FreshRows(writer, schemas, lake, (DuckDBConnection) DriverManager.getConnection("jdbc:duckdb:"))) {
      engine.readingFreshRows(fresh);
      accept(0, "a");
      writer.flushNow();
      accept(1, "b");
      assertThat(ids()).containsExactly("a", "b");

      List<List<String>> duringPlacement = new ArrayList<>();
      writer.onFileWritten((partition, file) -> {
        try {
          // The file of row 1 is in place and its row still pending; row 2 comes meanwhile and
          // lands in the same fresh file as row 1.
          accept(2, "c");
          duringPlacement.add(ids());
        } catch (IOException e) {
          throw new IllegalStateException(e);
        }
      });
      writer.flushNow();
      assertThat(duringPlacement).containsExactly(List.of("a", "b", "c"));
      assertThat(writer.pendingRows()).isEqualTo(1);

      // Row 1 is in the lake and still in the fresh file that holds row 2: read once.
      assertThat(ids()).containsExactly("a", "b", "c");
      writer.onFileWritten((partition, file) -> {});
      writer.flushNow();
      assertThat(writer.pendingRows()).isZero();
      assertThat(ids()).containsExactly("a", "b", "c");
      assertThat(fresh.fileCount()).isZero();
    }
  }
}
