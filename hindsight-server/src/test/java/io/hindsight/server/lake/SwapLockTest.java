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
 * lookups go on (a writer queued on the lock would make each of them wait behind it); queries that
 * never pause still cannot keep a merge or an edit out.
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
      boolean locked = lake.tryLockSwap(Duration.ofSeconds(10), Duration.ZERO);
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

  /** Two threads whose queries overlap, so that some query always holds the read side, until {@code stop}. */
  private void queriesWithoutAPause(Lake lake, java.util.concurrent.atomic.AtomicBoolean stop) throws InterruptedException {
    CountDownLatch overlapping = new CountDownLatch(2);
    for (int t = 0; t < 2; t++) {
      long offset = t * 5L;
      threads.submit(() -> {
        Thread.sleep(offset);
        overlapping.countDown();
        while (!stop.get()) {
          Lock read = lake.swapLock().readLock();
          read.lock();
          try {
            Thread.sleep(10); // each query overlaps the next one of the other thread
          } finally {
            read.unlock();
          }
        }
        return null;
      });
    }
    overlapping.await();
  }

  @Test
  void writersGetTheLockEvenWhenQueriesNeverPause() throws Exception {
    Lake lake = new Lake(dir);
    java.util.concurrent.atomic.AtomicBoolean stop = new java.util.concurrent.atomic.AtomicBoolean();
    queriesWithoutAPause(lake, stop);
    try {
      Future<Boolean> edit = threads.submit(() -> {
        lake.lockSwap().unlock();
        return true;
      });
      assertThat(edit.get(5, TimeUnit.SECONDS)).as("an edit that must happen").isTrue();
      Future<Boolean> merge = threads.submit(() -> {
        boolean locked = lake.tryLockSwap(Duration.ofMillis(200), Duration.ofSeconds(3));
        if (locked) {
          lake.swapLock().writeLock().unlock();
        }
        return locked;
      });
      assertThat(merge.get(5, TimeUnit.SECONDS)).as("a merge, once it queues").isTrue();
    } finally {
      stop.set(true);
    }
  }

  @Test
  void aMergeGivesUpWhenAQueryOutlastsItsWait() throws Exception {
    Lake lake = new Lake(dir);
    Lock read = lake.swapLock().readLock();
    read.lock();
    try {
      long start = System.nanoTime();
      boolean locked =
          threads.submit(() -> lake.tryLockSwap(Duration.ofMillis(300), Duration.ofMillis(100))).get(5, TimeUnit.SECONDS);
      assertThat(locked).isFalse();
      assertThat(System.nanoTime() - start).isGreaterThanOrEqualTo(Duration.ofMillis(400).toNanos());
    } finally {
      read.unlock();
    }
  }
}
