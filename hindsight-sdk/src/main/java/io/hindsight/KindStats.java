package io.hindsight;

import java.util.Collections;
import java.util.EnumMap;
import java.util.Map;

/**
 * The shipping counters of one {@link Kind} of record. Every record handed to the SDK is counted
 * once in {@code recorded} and is, at any moment, in exactly one of the other buckets:
 *
 * <pre>recorded = sent + rejected + dropped + queued + spooled</pre>
 *
 * The counters are read one after the other while records move, so the equation is exact once
 * nothing is moving (after {@link Hindsight#flush} or {@link Hindsight#close}).
 *
 * @param recorded records handed to the SDK (closed scopes, {@code logBatch} rows, feedback or
 *     event calls), sampled-out ones included
 * @param sent records the server acknowledged as stored
 * @param rejected records refused, by reason; never retried (see the SDK's log for the server's
 *     message)
 * @param dropped records not shipped, by reason; {@link DropReason#SAMPLED_OUT} is not a loss
 * @param queued records waiting in memory right now (queue, open batches, batches being sent)
 * @param spooled records in the spool right now, waiting for the server
 * @param trimmed records among {@code sent} (or still pending) that go without their oversized
 *     values, as {@link HindsightBuilder#maxRecordBytes} describes; not a separate bucket
 */
public record KindStats(
    long recorded,
    long sent,
    Map<RejectReason, Long> rejected,
    Map<DropReason, Long> dropped,
    long queued,
    long spooled,
    long trimmed) {

  static KindStats of(long recorded, long sent, long[] rejected, long[] dropped, long queued, long spooled, long trimmed) {
    EnumMap<RejectReason, Long> rej = new EnumMap<>(RejectReason.class);
    for (RejectReason r : RejectReason.values()) {
      rej.put(r, rejected[r.ordinal()]);
    }
    EnumMap<DropReason, Long> drop = new EnumMap<>(DropReason.class);
    for (DropReason r : DropReason.values()) {
      drop.put(r, dropped[r.ordinal()]);
    }
    return new KindStats(
        recorded, sent, Collections.unmodifiableMap(rej), Collections.unmodifiableMap(drop), queued, spooled, trimmed);
  }

  /** Records rejected, all reasons. */
  public long rejectedTotal() {
    return sum(rejected);
  }

  /** Records rejected for this reason. */
  public long rejected(RejectReason reason) {
    Long n = rejected.get(reason);
    return n == null ? 0 : n;
  }

  /** Records dropped, all reasons (sampling included). */
  public long droppedTotal() {
    return sum(dropped);
  }

  /** Records dropped for this reason. */
  public long dropped(DropReason reason) {
    Long n = dropped.get(reason);
    return n == null ? 0 : n;
  }

  /** Records that will never arrive although they were meant to: rejected, and dropped except by sampling. */
  public long lost() {
    return rejectedTotal() + droppedTotal() - dropped(DropReason.SAMPLED_OUT);
  }

  /** Records still on their way: queued plus spooled. */
  public long pending() {
    return queued + spooled;
  }

  /** Whether {@code recorded = sent + rejected + dropped + queued + spooled} holds. */
  public boolean addsUp() {
    return recorded == sent + rejectedTotal() + droppedTotal() + queued + spooled;
  }

  private static <K> long sum(Map<K, Long> m) {
    long n = 0;
    for (Long v : m.values()) {
      n += v;
    }
    return n;
  }

  /** E.g. {@code 4 recorded = 3 sent + 1 rejected (RECORD_TOO_LARGE 1) + 0 dropped + 0 queued + 0 spooled}. */
  @Override
  public String toString() {
    StringBuilder sb = new StringBuilder();
    sb.append(recorded).append(" recorded = ").append(sent).append(" sent + ");
    sb.append(rejectedTotal()).append(" rejected");
    reasons(sb, rejected);
    sb.append(" + ").append(droppedTotal()).append(" dropped");
    reasons(sb, dropped);
    sb.append(" + ").append(queued).append(" queued + ").append(spooled).append(" spooled");
    if (trimmed > 0) {
      sb.append(" (").append(trimmed).append(" without oversized values)");
    }
    if (!addsUp()) {
      sb.append(" (records are moving; read again after flush)");
    }
    return sb.toString();
  }

  private static <K> void reasons(StringBuilder sb, Map<K, Long> m) {
    StringBuilder inner = new StringBuilder();
    for (Map.Entry<K, Long> e : m.entrySet()) {
      if (e.getValue() != 0) {
        inner.append(inner.length() == 0 ? "" : ", ").append(e.getKey()).append(' ').append(e.getValue());
      }
    }
    if (inner.length() > 0) {
      sb.append(" (").append(inner).append(')');
    }
  }
}
