package io.hindsight.server.lake;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.hindsight.server.ops.ManualScheduler;
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
    ManualScheduler time = new ManualScheduler();
    Lake lake = new Lake(dir.resolve("lake"));
    SchemaRegistry schemas = new SchemaRegistry(dir.resolve("catalog"), new ObjectMapper());
    DuckDBConnection conn = (DuckDBConnection) DriverManager.getConnection("jdbc:duckdb:");
    LakeWriter writer =
        new LakeWriter(
            time,
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

      time.advance(Duration.ofMillis(20));
      assertThat(writer.problems()).singleElement().asString().startsWith("lake writer: a flush failed");
      assertThat(writer.flushCrashes()).isEqualTo(1);

      failing.set(false);
      writer.accept(1, 1, entry("b"));
      time.advance(Duration.ofMillis(20));
      assertThat(writer.problems()).isEmpty();
      assertThat(writer.rowsWritten()).isEqualTo(2);
      assertThat(writer.flushCrashes()).isEqualTo(1);
    } finally {
      writer.close();
    }
  }

  @Test
  void aWriterWithRowsWaitingAndNoProgressIsReportedAsStalled() throws Exception {
    ManualScheduler time = new ManualScheduler();
    LakeWriter writer = writer(time);
    try {
      // Flushes every hour: the rows wait while the watchdog checks each second.
      writer.start(Duration.ofHours(1));
      writer.accept(0, 1, entry("a"));
      time.advance(LakeWriter.STALL);
      assertThat(writer.problems()).as("stalled exactly at the limit is not yet reported").isEmpty();
      time.advance(Duration.ofSeconds(1));
      assertThat(writer.problems()).singleElement().asString()
          .startsWith("lake writer: no progress for 31 s with 1 acknowledged rows waiting");
      writer.flushNow();
      time.advance(Duration.ofSeconds(1));
      assertThat(writer.problems()).isEmpty();
    } finally {
      writer.close();
    }
  }

  @Test
  void anIdleWriterWithNothingWaitingIsNotStalled() throws Exception {
    ManualScheduler time = new ManualScheduler();
    LakeWriter writer = writer(time);
    try {
      writer.start(Duration.ofHours(1));
      time.advance(LakeWriter.STALL.plusSeconds(5));
      assertThat(writer.problems()).isEmpty();
    } finally {
      writer.close();
    }
  }

  /** A writer on a fresh lake whose flushes always succeed. */
  private LakeWriter writer(ManualScheduler time) throws Exception {
    return new LakeWriter(
        time,
        new Lake(dir.resolve("lake")),
        new SchemaRegistry(dir.resolve("catalog"), new ObjectMapper()),
        (DuckDBConnection) DriverManager.getConnection("jdbc:duckdb:"),
        seq -> {},
        t -> {});
  }
}
