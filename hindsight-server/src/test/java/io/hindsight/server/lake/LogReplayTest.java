package io.hindsight.server.lake;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.hindsight.server.ops.ManualScheduler;
import io.hindsight.server.schema.ColumnType;
import io.hindsight.server.schema.Row;
import io.hindsight.server.schema.SchemaRegistry;
import io.hindsight.server.schema.Table;
import io.hindsight.server.wal.WalEntry;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.DriverManager;
import java.time.LocalDate;
import java.util.List;
import java.util.Map;
import org.duckdb.DuckDBConnection;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A logged row is replayed exactly when its partition's files do not hold it yet. */
class LogReplayTest {
  /** 2026-11-30T00:00:00Z in microseconds. */
  private static final long DAY_START = 1_795_996_800_000_000L;

  private static final long DAY = 24L * 3600 * 1_000_000;

  @TempDir Path dir;

  private static Row row(String endpoint, long ts, String id) {
    return new Row(Table.PREDICTIONS, endpoint, ts, Map.of("prediction_id", id, "score", 1L));
  }

  @Test
  void replaysOnlyRowsAboveTheirPartitionsMarkAndLearnsTheirColumns() throws Exception {
    Lake lake = new Lake(dir.resolve("lake"));
    Path churnToday = lake.dir(new Partition(Table.PREDICTIONS, "churn", LocalDate.parse("2026-11-30")));
    Files.createDirectories(churnToday);
    Files.write(churnToday.resolve(Lake.dataFileName(5)), new byte[] {1});
    SchemaRegistry schemas = new SchemaRegistry(dir.resolve("catalog"), new ObjectMapper());
    LakeWriter writer =
        new LakeWriter(new ManualScheduler(), lake, schemas, (DuckDBConnection) DriverManager.getConnection("jdbc:duckdb:"), s -> {}, t -> {});
    try {
      LogReplay replay = new LogReplay(lake, writer);
      assertThat(replay.minNextSeq()).isEqualTo(6);
      // Seqs 4..8: two rows today (in the lake up to 5), one tomorrow, one of another endpoint,
      // one today above the mark.
      replay.entry(4, new WalEntry(null, null, List.of(
          row("churn", DAY_START, "a"),
          row("churn", DAY_START + 1, "b"),
          row("churn", DAY_START + DAY, "c"),
          row("fraud", DAY_START, "d"),
          row("churn", DAY_START, "e"))));
      replay.entry(9, new WalEntry(null, null, List.of(row("churn", DAY_START, "f"))));
      assertThat(replay.replayed()).isEqualTo(4);
      assertThat(writer.pendingRows()).isEqualTo(4);
      writer.flushNow();
      assertThat(lake.dataFiles(new Partition(Table.PREDICTIONS, "churn", LocalDate.parse("2026-11-30"))))
          .extracting(Lake::maxSeqOf)
          .containsExactly(5L, 9L);
      assertThat(schemas.schema(Table.PREDICTIONS, "fraud").column("score").type()).isEqualTo(ColumnType.BIGINT);
      assertThat(schemas.schema(Table.PREDICTIONS, "churn").column("prediction_id")).as("a system column").isNull();
    } finally {
      writer.close();
    }
  }

  @Test
  void anEmptyLakeLetsTheLogStartAtZero() throws Exception {
    Lake lake = new Lake(dir.resolve("lake"));
    SchemaRegistry schemas = new SchemaRegistry(dir.resolve("catalog"), new ObjectMapper());
    LakeWriter writer =
        new LakeWriter(new ManualScheduler(), lake, schemas, (DuckDBConnection) DriverManager.getConnection("jdbc:duckdb:"), s -> {}, t -> {});
    try {
      LogReplay replay = new LogReplay(lake, writer);
      assertThat(replay.minNextSeq()).isZero();
      replay.entry(0, new WalEntry(null, null, List.of(row("churn", DAY_START, "a"))));
      assertThat(replay.replayed()).isEqualTo(1);
    } finally {
      writer.close();
    }
  }
}
