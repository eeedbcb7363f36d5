package io.hindsight;

import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.atomic.AtomicLong;

/** Time that moves only when a test says so. */
final class FakeTime implements SdkTime {
  private final AtomicLong nanos = new AtomicLong(1_000_000_000L);
  private final AtomicLong micros;

  FakeTime(Instant start) {
    this.micros = new AtomicLong(Timestamps.micros(start));
  }

  FakeTime() {
    this(Instant.parse("2026-11-22T10:15:00.123456Z"));
  }

  void advance(Duration d) {
    nanos.addAndGet(d.toNanos());
    micros.addAndGet(d.toNanos() / 1_000);
  }

  @Override
  public long nanoTime() {
    return nanos.get();
  }

  @Override
  public long epochMicros() {
    return micros.get();
  }

  @Override
  public void park(long nanos) {
    Thread.onSpinWait();
  }

  /** Sleeping passes the time at once, as Kafka's MockTime does. */
  @Override
  public void sleep(long nanos) {
    advance(java.time.Duration.ofNanos(nanos));
  }
}
