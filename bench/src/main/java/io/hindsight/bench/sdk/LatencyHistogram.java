package io.hindsight.bench.sdk;

/**
 * Nanosecond latencies in log-linear buckets (128 per power of two, so a percentile is within 1%
 * of the true value), filled by one thread without allocation and merged at the end. Values below
 * 256 ns are exact.
 */
final class LatencyHistogram {
  private static final int SUB = 128;
  private static final int BUCKETS = 256 + 56 * SUB;

  private final long[] counts = new long[BUCKETS];
  private long total;
  private long sum;
  private long max;

  void record(long nanos) {
    long v = Math.max(0, nanos);
    counts[index(v)]++;
    total++;
    sum += v;
    if (v > max) {
      max = v;
    }
  }

  void add(LatencyHistogram other) {
    for (int i = 0; i < BUCKETS; i++) {
      counts[i] += other.counts[i];
    }
    total += other.total;
    sum += other.sum;
    max = Math.max(max, other.max);
  }

  long count() {
    return total;
  }

  /** The sum of all recorded values (nanoseconds). */
  long sum() {
    return sum;
  }

  long max() {
    return max;
  }

  /** The smallest bucket upper bound at or below which a fraction {@code p} of the values lie. */
  long percentile(double p) {
    if (total == 0) {
      return 0;
    }
    long rank = Math.max(1, (long) Math.ceil(p * total));
    long seen = 0;
    for (int i = 0; i < BUCKETS; i++) {
      seen += counts[i];
      if (seen >= rank) {
        return Math.min(upperBound(i), max);
      }
    }
    return max;
  }

  static int index(long v) {
    if (v < 256) {
      return (int) v;
    }
    int shift = 63 - Long.numberOfLeadingZeros(v) - 7; // v >> shift is in [128, 256)
    return 256 + (shift - 1) * SUB + (int) ((v >> shift) - SUB);
  }

  static long upperBound(int index) {
    if (index < 256) {
      return index;
    }
    int shift = (index - 256) / SUB + 1;
    long sub = (index - 256) % SUB + SUB;
    return ((sub + 1) << shift) - 1;
  }
}
