package io.hindsight;

import java.util.concurrent.ThreadLocalRandom;

/**
 * When a request that failed is tried again: exponential backoff with "equal jitter" (half fixed,
 * half random, so many services that lost the same server do not retry in step). One policy serves
 * the background shipper and {@link Hindsight#logBatch}.
 *
 * @param initialBackoffNanos the wait after the first failure
 * @param maxBackoffNanos the longest wait, however many failures
 */
record RetryPolicy(long initialBackoffNanos, long maxBackoffNanos) {
  /** Attempts of one synchronous {@code logBatch} request before its records count as undelivered. */
  static final int SYNCHRONOUS_ATTEMPTS = 5;

  /** The wait before attempt {@code failures + 1}, between half and all of the doubled backoff. */
  long backoff(int failures) {
    long base = initialBackoffNanos;
    for (int i = 1; i < failures && base < maxBackoffNanos; i++) {
      base *= 2;
    }
    base = Math.min(base, maxBackoffNanos);
    long half = base / 2;
    return half + (half > 0 ? ThreadLocalRandom.current().nextLong(half + 1) : 0);
  }
}
