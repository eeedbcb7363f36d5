package io.hindsight.server.ops;

import java.time.Clock;
import java.time.Duration;

/**
 * The server's time and its periodic work: lake flushes, compaction, metric windows, alert
 * evaluations. Everything that asks "what time is it" or "run this every minute" goes through one
 * scheduler, so a test can hand the server a manual one and step time instead of sleeping.
 */
public interface Scheduler extends AutoCloseable {
  /** The wall clock every scheduled task and time stamp of the server reads. */
  Clock clock();

  /**
   * Runs {@code task} one period from now and then one period after each run ends, on a thread of
   * its own named {@code name}. A run that throws is logged and the next run still comes: a
   * periodic task of the server never dies silently.
   */
  Task every(String name, Duration period, Runnable task);

  /** Stops every task; a run in progress finishes. */
  @Override
  void close();

  /** A scheduled task. */
  interface Task {
    /** No further runs; a run in progress finishes. */
    void cancel();
  }

  /** Real time, one daemon thread per task. */
  static Scheduler system() {
    return new SystemScheduler(Clock.systemUTC());
  }
}
