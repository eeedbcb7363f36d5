package io.hindsight;

import java.time.Instant;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * The SDK's only source of time, so tests can step the worker and the retry backoff without
 * sleeping (like Kafka's {@code Time}/{@code MockTime}).
 */
interface SdkTime {
  /** Monotonic nanoseconds, for latencies, linger and backoff. */
  long nanoTime();

  /** Wall-clock microseconds since the epoch, for record timestamps. */
  long epochMicros();

  /** Parks the calling worker until {@code nanos} pass or it is unparked. */
  void park(long nanos);

  /** Waits {@code nanos} on the caller's thread (a retry's backoff). */
  void sleep(long nanos) throws InterruptedException;

  /** The real clock. */
  SdkTime SYSTEM =
      new SdkTime() {
        @Override
        public long nanoTime() {
          return System.nanoTime();
        }

        @Override
        public long epochMicros() {
          Instant now = Instant.now();
          return now.getEpochSecond() * 1_000_000L + now.getNano() / 1_000;
        }

        @Override
        public void park(long nanos) {
          LockSupport.parkNanos(this, Math.max(nanos, TimeUnit.MICROSECONDS.toNanos(50)));
        }

        @Override
        public void sleep(long nanos) throws InterruptedException {
          TimeUnit.NANOSECONDS.sleep(nanos);
        }
      };
}
