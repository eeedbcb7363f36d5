package io.hindsight.server.lake;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * An edit of the lake's files (deletion, erasure) runs between two flushes and between two merges:
 * a flush or a merge that comes meanwhile waits for it, so neither writes into a partition being
 * edited.
 */
class LakeEditOrderingTest {
  @TempDir Path dir;

  /** Starts {@code work} on a thread of its own and returns once that thread waits for a lock. */
  private static Thread startedAndWaiting(Runnable work) {
    Thread t = new Thread(work, "contender");
    t.start();
    long deadline = System.nanoTime() + 30_000_000_000L;
    while (t.getState() != Thread.State.WAITING && t.getState() != Thread.State.BLOCKED) {
      assertThat(t.isAlive()).as("the contender ran through instead of waiting").isTrue();
      assertThat(System.nanoTime()).as("the contender never came to wait").isLessThan(deadline);
      Thread.onSpinWait();
    }
    return t;
  }

  @Test
  void aFlushWaitsForAnEditInProgress() throws Exception {
    try (LakeFixture f = new LakeFixture(dir)) {
      f.accept(0, f.prediction("e", LakeFixture.DAY_START, "p1", 1));
      Partition p = f.partition("e", LakeFixture.DAY_START);
      Thread flush =
          f.writer.betweenFlushes(
              () -> {
                Thread t = startedAndWaiting(f.writer::flushNow);
                assertThat(f.lake.dataFiles(p)).as("nothing written while the edit runs").isEmpty();
                return t;
              });
      flush.join(30_000);
      assertThat(f.lake.dataFiles(p)).hasSize(1);
    }
  }

  @Test
  void aMergeWaitsForAnEditInProgress() throws Exception {
    try (LakeFixture f = new LakeFixture(dir);
        CompactionJob compaction =
            new CompactionJob(f.time, f.lake, f.schemas, LakeFixture.duckdb(), dir.resolve("journal"), new CompactionPolicy(2, 1 << 20, 10 << 20))) {
      Partition p = f.partition("e", LakeFixture.DAY_START);
      for (int i = 0; i < 2; i++) {
        f.accept(i, f.prediction("e", LakeFixture.DAY_START, "p" + i, i));
        f.writer.flushNow();
      }
      AtomicInteger merges = new AtomicInteger(-1);
      Thread merge =
          compaction.betweenMerges(
              () -> {
                Thread t =
                    startedAndWaiting(
                        () -> {
                          try {
                            merges.set(compaction.compactNow());
                          } catch (java.io.IOException e) {
                            throw new java.io.UncheckedIOException(e);
                          }
                        });
                assertThat(f.lake.dataFiles(p)).as("nothing merged while the edit runs").hasSize(2);
                return t;
              });
      merge.join(30_000);
      assertThat(merges.get()).isEqualTo(1);
      assertThat(f.lake.dataFiles(p)).hasSize(1);
    }
  }
}
