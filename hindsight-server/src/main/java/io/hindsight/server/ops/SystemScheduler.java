package io.hindsight.server.ops;

import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** {@link Scheduler} on real time: each task on a daemon thread of its own. */
final class SystemScheduler implements Scheduler {
  private static final Logger log = LoggerFactory.getLogger(SystemScheduler.class);

  private final Clock clock;
  private final List<ScheduledExecutorService> threads = new CopyOnWriteArrayList<>();

  SystemScheduler(Clock clock) {
    this.clock = clock;
  }

  @Override
  public Clock clock() {
    return clock;
  }

  @Override
  public Task every(String name, Duration period, Runnable task) {
    ScheduledExecutorService thread = DaemonThreads.single(name);
    threads.add(thread);
    long millis = period.toMillis();
    thread.scheduleWithFixedDelay(() -> runSurviving(name, task), millis, millis, TimeUnit.MILLISECONDS);
    return () -> {
      thread.shutdown();
      threads.remove(thread);
    };
  }

  /** An executor never runs a periodic task again once it threw: catch everything, so it does. */
  private static void runSurviving(String name, Runnable task) {
    try {
      task.run();
    } catch (Throwable t) {
      try {
        log.error("{} failed; it runs again at its next period", name, t);
      } catch (Throwable ignored) {
        // Out of memory even for logging: the task still runs again.
      }
    }
  }

  @Override
  public void close() {
    threads.forEach(ScheduledExecutorService::shutdown);
    threads.clear();
  }
}
