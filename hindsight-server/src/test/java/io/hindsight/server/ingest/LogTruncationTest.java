package io.hindsight.server.ingest;

import static org.assertj.core.api.Assertions.assertThat;

import io.hindsight.server.ops.ManualScheduler;
import io.hindsight.server.schema.Row;
import io.hindsight.server.schema.Table;
import io.hindsight.server.wal.WalEntry;
import io.hindsight.server.wal.WriteAheadLog;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** The log is cut only after the idempotency keys of what it drops are saved. */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class LogTruncationTest {
  @TempDir Path dir;

  private final ManualScheduler time = new ManualScheduler();

  private static WalEntry entry(String id, String key) {
    Row row = new Row(Table.PREDICTIONS, "churn", 1_790_000_000_000_000L, Map.of("prediction_id", id));
    return new WalEntry(key, key == null ? null : "ok".getBytes(StandardCharsets.UTF_8), List.of(row));
  }

  /** A log of one-entry segments (a segment of 1 byte rolls after every write) holding rows 0, 1 and 2, the first with an Idempotency-Key. */
  private WriteAheadLog logOfThreeSegments() throws Exception {
    WriteAheadLog wal = WriteAheadLog.open(dir.resolve("wal"), 1, 16, 0, (seq, e) -> {}, (seq, rows, e) -> {});
    wal.append(entry("a", IdempotencyStore.logged("predictions/churn/k", "fp"))).get();
    wal.append(entry("b", null)).get();
    wal.append(entry("c", null)).get();
    return wal;
  }

  /** The first sequence number of each segment, from its name {@code wal-<first seq>-<n>.log}. */
  private List<Long> firstSeqs() throws IOException {
    try (Stream<Path> files = Files.list(dir.resolve("wal"))) {
      return files
          .map(p -> p.getFileName().toString())
          .filter(n -> n.endsWith(".log"))
          .map(n -> Long.parseLong(n.substring(n.indexOf('-') + 1, n.indexOf('-') + 21)))
          .toList();
    }
  }

  @Test
  void savesTheKeysThenDropsTheSegmentsInTheLake() throws Exception {
    IdempotencyStore keys = new IdempotencyStore(dir.resolve("keys"), time.clock(), Duration.ofHours(1), 10);
    keys.complete("predictions/churn/k", "fp", "ok".getBytes(StandardCharsets.UTF_8));
    LogTruncation truncation = new LogTruncation(keys);
    try (WriteAheadLog wal = logOfThreeSegments()) {
      truncation.accept(1);
      assertThat(firstSeqs()).as("before the log is known").contains(0L, 1L, 2L);

      truncation.of(wal);
      truncation.accept(1);
      assertThat(firstSeqs()).doesNotContain(0L, 1L).contains(2L);
      assertThat(new IdempotencyStore(dir.resolve("keys"), time.clock(), Duration.ofHours(1), 10).answer("predictions/churn/k"))
          .isNotNull();
    }
  }

  @Test
  void keepsTheLogWhenTheKeysCannotBeSaved() throws Exception {
    IdempotencyStore keys = new IdempotencyStore(dir.resolve("keys"), time.clock(), Duration.ofHours(1), 10);
    keys.complete("predictions/churn/k", "fp", "ok".getBytes(StandardCharsets.UTF_8));
    // The keys file cannot be opened for writing.
    Files.createDirectories(dir.resolve("keys").resolve("keys.log"));
    LogTruncation truncation = new LogTruncation(keys);
    try (WriteAheadLog wal = logOfThreeSegments()) {
      truncation.of(wal);
      truncation.accept(2);
      assertThat(firstSeqs()).contains(0L, 1L, 2L);
    }
  }
}
