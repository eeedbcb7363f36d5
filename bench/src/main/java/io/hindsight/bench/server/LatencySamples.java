package io.hindsight.bench.server;

import java.util.Arrays;

/**
 * Every latency sample kept in a growable array and sorted on demand: a run records tens of
 * thousands of samples at most, so exact percentiles cost less than a histogram's rounding.
 */
final class LatencySamples {
  private long[] nanos = new long[1024];
  private int size;

  synchronized void add(long latencyNanos) {
    if (size == nanos.length) {
      nanos = Arrays.copyOf(nanos, size * 2);
    }
    nanos[size++] = latencyNanos;
  }

  synchronized int count() {
    return size;
  }

  /** Nearest-rank percentile in milliseconds ({@code q} in 0..1); NaN when empty. */
  synchronized double percentileMillis(double q) {
    if (size == 0) {
      return Double.NaN;
    }
    long[] sorted = Arrays.copyOf(nanos, size);
    Arrays.sort(sorted);
    int rank = (int) Math.ceil(q * size);
    return sorted[Math.max(0, Math.min(size - 1, rank - 1))] / 1e6;
  }

  synchronized double maxMillis() {
    long max = 0;
    for (int i = 0; i < size; i++) {
      max = Math.max(max, nanos[i]);
    }
    return size == 0 ? Double.NaN : max / 1e6;
  }

  /** {@code p50=… p99=… p999=… max=… (n=…)} in milliseconds. */
  String summary() {
    return String.format(
        "p50=%.1f ms p99=%.1f ms p999=%.1f ms max=%.1f ms (n=%d)",
        percentileMillis(0.50), percentileMillis(0.99), percentileMillis(0.999), maxMillis(), count());
  }
}
