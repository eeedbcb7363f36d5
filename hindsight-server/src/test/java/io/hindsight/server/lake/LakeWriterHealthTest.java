package io.hindsight.server.lake;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.hindsight.server.schema.Row;
import io.hindsight.server.schema.SchemaRegistry;
import io.hindsight.server.schema.Table;
import io.hindsight.server.wal.WalEntry;
import java.nio.file.Path;
import java.sql.DriverManager;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BooleanSupplier;
import org.duckdb.DuckDBConnection;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** A flush that dies with an error is reported and the writer goes on. */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class LakeWriterHealthTest {
  @TempDir Path dir;

  private static byte[] entry(String id) {
    return new WalEntry(null, null, List.of(new Row(Table.PREDICTIONS, "e", 1_790_000_000_000_000L, Map.of("prediction_id", id))))
        .encode();
  }

  @Test
  void aFlushThatDiesIsReportedAndTheWriterGoesOn() throws Exception {
    AtomicBoolean failing = new AtomicBoolean(true);
    Lake lake = new Lake(dir.resolve("lake"));
    SchemaRegistry schemas = new SchemaRegistry(dir.resolve("catalog"), new ObjectMapper());
    DuckDBConnection conn = (DuckDBConnection) DriverManager.getConnection("jdbc:duckdb:");
    LakeWriter writer =
        new LakeWriter(
            lake,
            schemas,
            conn,
            seq -> {
              if (failing.get()) {
                throw new OutOfMemoryError("heap exhausted after a write");
              }
            },
            t -> {});
    try {
      writer.start(Duration.ofMillis(20));
      writer.accept(0, 1, entry("a"));

      await(() -> !writer.problems().isEmpty());
      assertThat(writer.problems()).singleElement().asString().startsWith("lake writer: a flush failed");
      assertThat(writer.flushCrashes()).isPositive();

      failing.set(false);

      await(() -> writer.problems().isEmpty());
      writer.accept(1, 1, entry("b"));
      await(() -> writer.rowsWritten() == 2);
    } finally {
      writer.close();
    }
  }

  private static void await(BooleanSupplier condition) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
    while (!condition.getAsBoolean()) {
      assertThat(System.nanoTime()).as("waited 20 s for a condition").isLessThan(deadline);
      Thread.sleep(20);
    }
  }
}
