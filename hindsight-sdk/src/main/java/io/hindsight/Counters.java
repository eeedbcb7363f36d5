package io.hindsight;

import java.util.concurrent.atomic.LongAdder;

/**
 * The counters behind {@link Stats}, per {@link Kind}; striped so prediction threads do not
 * contend. Every record handed to the SDK is counted once in {@code recorded}, and ends counted
 * once in {@code sent}, {@code rejected} or {@code dropped}, or is still queued or spooled.
 */
final class Counters {
  private static final int KINDS = Kind.values().length;

  private final LongAdder[] recorded = adders(KINDS);
  private final LongAdder[] sent = adders(KINDS);
  private final LongAdder[] trimmed = adders(KINDS);
  /** Records that never entered the queue (dropped at the door: sampling, closed, queue full). */
  private final LongAdder[] notQueued = adders(KINDS);
  /** Records taken out of the queue (by the worker, or dropped as the oldest). */
  private final LongAdder[] dequeued = adders(KINDS);
  private final LongAdder[][] rejected = new LongAdder[KINDS][];
  private final LongAdder[][] dropped = new LongAdder[KINDS][];
  final LongAdder retried = new LongAdder();

  Counters() {
    for (int k = 0; k < KINDS; k++) {
      rejected[k] = adders(RejectReason.values().length);
      dropped[k] = adders(DropReason.values().length);
    }
  }

  private static LongAdder[] adders(int n) {
    LongAdder[] a = new LongAdder[n];
    for (int i = 0; i < n; i++) {
      a[i] = new LongAdder();
    }
    return a;
  }

  void recorded(Kind kind) {
    recorded[kind.ordinal()].increment();
  }

  /** A record that does not go through the queue ({@code logBatch}, a local context). */
  void recordedDirect(Kind kind) {
    recorded[kind.ordinal()].increment();
    notQueued[kind.ordinal()].increment();
  }

  void sent(Kind kind, long n) {
    sent[kind.ordinal()].add(n);
  }

  /** A record sent without some of its values because it was over the record limit. */
  void trimmed(Kind kind) {
    trimmed[kind.ordinal()].increment();
  }

  void reject(Kind kind, RejectReason reason, long n) {
    rejected[kind.ordinal()][reason.ordinal()].add(n);
  }

  /** A record dropped after it was queued (or spooled). */
  void drop(Kind kind, DropReason reason, long n) {
    dropped[kind.ordinal()][reason.ordinal()].add(n);
  }

  /** A record dropped before it entered the queue. */
  void dropUnqueued(Kind kind, DropReason reason) {
    notQueued[kind.ordinal()].increment();
    dropped[kind.ordinal()][reason.ordinal()].increment();
  }

  /** A record rejected before it entered the queue. */
  void rejectUnqueued(Kind kind, RejectReason reason) {
    notQueued[kind.ordinal()].increment();
    rejected[kind.ordinal()][reason.ordinal()].increment();
  }

  void dequeued(Kind kind) {
    dequeued[kind.ordinal()].increment();
  }

  /** Records of this kind in the queue right now. */
  long inQueue(Kind kind) {
    int k = kind.ordinal();
    return Math.max(0, recorded[k].sum() - notQueued[k].sum() - dequeued[k].sum());
  }

  /** A snapshot for one kind, with what is in memory and in the spool right now. */
  KindStats snapshot(Kind kind, long inMemory, long spooled) {
    int k = kind.ordinal();
    long[] rej = new long[RejectReason.values().length];
    for (int i = 0; i < rej.length; i++) {
      rej[i] = rejected[k][i].sum();
    }
    long[] drop = new long[DropReason.values().length];
    for (int i = 0; i < drop.length; i++) {
      drop[i] = dropped[k][i].sum();
    }
    // Read recorded last: a record counted in an outcome above is never missing from it.
    return KindStats.of(
        recorded[k].sum(), sent[k].sum(), rej, drop, inMemory, spooled, trimmed[k].sum());
  }
}
