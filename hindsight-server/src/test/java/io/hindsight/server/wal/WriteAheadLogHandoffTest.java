package io.hindsight.server.wal;

import static org.assertj.core.api.Assertions.assertThat;

import io.hindsight.server.schema.Row;
import io.hindsight.server.schema.Table;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** Once an entry is fsynced it is acknowledged, whatever happens when it is handed on. */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class WriteAheadLogHandoffTest {
  @TempDir Path dir;

  private static WalEntry entry(String id) {
    return new WalEntry(null, null, List.of(new Row(Table.PREDICTIONS, "e", 1_790_000_000_000_000L, Map.of("prediction_id", id))));
  }

  @Test
  void aDurableEntryIsAcknowledgedEvenWhenHandingItToTheLakeFails() throws Exception {
    AtomicInteger handed = new AtomicInteger();
    WriteAheadLog.CommitListener failsFirst =
        (seq, rows, encoded) -> {
          if (handed.incrementAndGet() == 1) {
            throw new OutOfMemoryError("heap exhausted while handing the entry on");
          }
        };
    try (WriteAheadLog wal = WriteAheadLog.open(dir, 1 << 20, 16, 0, (s, e) -> {}, failsFirst)) {
      long first = wal.append(entry("a")).get(5, TimeUnit.SECONDS);
      long second = wal.append(entry("b")).get(5, TimeUnit.SECONDS);

      assertThat(first).isZero();
      assertThat(second).isEqualTo(1);
      assertThat(handed).hasValue(2);
    }
    // Both are in the log, for a restart to replay into the lake.
    AtomicInteger replayed = new AtomicInteger();
    try (WriteAheadLog wal = WriteAheadLog.open(dir, 1 << 20, 16, 0, (s, e) -> replayed.addAndGet(e.rows().size()), (s, r, e) -> {})) {
      assertThat(replayed).hasValue(2);
    }
  }
}
