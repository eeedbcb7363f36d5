package io.hindsight.server.ops;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * A {@link Scheduler} whose time moves only when a test calls {@link #advance}: due tasks then run
 * on the test's thread, in the order they fall due, each seeing the clock at its own due time.
 */
public final class ManualScheduler implements Scheduler {
  private Instant now;
  private final List<Entry> tasks = new ArrayList<>();

  private final class Entry implements Task {
    final String name;
    final Duration period;
    final Runnable task;
    Instant due;
    boolean cancelled;

    Entry(String name, Duration period, Runnable task) {
      this.name = name;
      this.period = period;
      this.task = task;
      this.due = now.plus(period);
    }

    @Override
    public void cancel() {
      synchronized (ManualScheduler.this) {
        cancelled = true;
        tasks.remove(this);
      }
    }
  }

  public ManualScheduler(Instant start) {
    this.now = start;
  }

  public ManualScheduler() {
    this(Instant.parse("2026-11-30T12:00:00Z"));
  }

  @Override
  public Clock clock() {
    return new Clock() {
      @Override
      public java.time.ZoneId getZone() {
        return ZoneOffset.UTC;
      }

      @Override
      public Clock withZone(java.time.ZoneId zone) {
        throw new UnsupportedOperationException("the server's clock is UTC");
      }

      @Override
      public Instant instant() {
        return now();
      }
    };
  }

  public synchronized Instant now() {
    return now;
  }

  @Override
  public synchronized Task every(String name, Duration period, Runnable task) {
    Entry e = new Entry(name, period, task);
    tasks.add(e);
    return e;
  }

  /** Names of the tasks scheduled now. */
  public synchronized List<String> taskNames() {
    return tasks.stream().map(e -> e.name).toList();
  }

  /** Moves time forward by {@code step}, running every task that falls due on the way. */
  public void advance(Duration step) {
    Instant end;
    synchronized (this) {
      end = now.plus(step);
    }
    while (true) {
      Entry next;
      synchronized (this) {
        next =
            tasks.stream()
                .filter(e -> !e.due.isAfter(end))
                .min(Comparator.comparing((Entry e) -> e.due))
                .orElse(null);
        if (next == null) {
          now = end;
          return;
        }
        now = next.due;
      }
      next.task.run();
      synchronized (this) {
        next.due = now.plus(next.period);
      }
    }
  }

  @Override
  public synchronized void close() {
    tasks.clear();
  }
}
