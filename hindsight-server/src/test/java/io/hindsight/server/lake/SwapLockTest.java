package io.hindsight.server.lake;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Lock;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A merge waits for the queries reading the files it replaces, and while it waits, new queries and
 * lookups go on: a writer queued on the lock would make each of them wait behind it.
 */
class SwapLockTest {
  @TempDir Path dir;

  private final ExecutorService threads = Executors.newCachedThreadPool();

  @AfterEach
  void stop() {
    threads.shutdownNow();
  }

  @Test
  void aMergeWaitingForALongQueryHoldsUpNoNewQuery() throws Exception {
    Lake lake = new Lake(dir);
    CountDownLatch longQueryEnds = new CountDownLatch(1);
    CountDownLatch longQueryRuns = new CountDownLatch(1);
    Future<?> longQuery = threads.submit(() -> {
      Lock read = lake.swapLock().readLock();
      read.lock();
      try {
        longQueryRuns.countDown();
        longQueryEnds.await();
      } finally {
        read.unlock();
      }
      return null;
    });
    longQueryRuns.await();
    Future<Boolean> merge = threads.submit(() -> {
      boolean locked = lake.tryLockSwap(Duration.ofSeconds(10));
      if (locked) {
        lake.swapLock().writeLock().unlock();
      }
      return locked;
    });
    Thread.sleep(200); // the merge is waiting now

    Future<Boolean> newQuery = threads.submit(() -> {
      Lock read = lake.swapLock().readLock();
      read.lock();
      read.unlock();
      return true;
    });
    assertThat(newQuery.get(2, TimeUnit.SECONDS)).as("a query started while the merge waits").isTrue();
    assertThat(merge.isDone()).as("the merge still waits for the long query").isFalse();

    longQueryEnds.countDown();
    longQuery.get(2, TimeUnit.SECONDS);
    assertThat(merge.get(2, TimeUnit.SECONDS)).as("the merge takes the lock once the long query ends").isTrue();
  }

  @Test
  void aMergeGivesUpWhenAQueryOutlastsItsWait() throws Exception {
    Lake lake = new Lake(dir);
    Lock read = lake.swapLock().readLock();
    read.lock();
    try {
      long start = System.nanoTime();
      boolean locked = threads.submit(() -> lake.tryLockSwap(Duration.ofMillis(300))).get(5, TimeUnit.SECONDS);
      assertThat(locked).isFalse();
      assertThat(System.nanoTime() - start).isGreaterThanOrEqualTo(Duration.ofMillis(300).toNanos());
    } finally {
      read.unlock();
    }
  }
}
