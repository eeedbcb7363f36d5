package io.hindsight;

import java.util.EnumMap;
import java.util.Map;

/**
 * A snapshot of the shipping counters of one {@link Hindsight} instance, per {@link Kind} of
 * record. For each kind, and so for the totals, {@code recorded = sent + rejected + dropped +
 * queued + spooled} (see {@link KindStats}); {@link #toString()} prints the equation per kind.
 * The total accessors ({@link #sent()}, {@link #lost()}, ...) add the three kinds up.
 *
 * @param predictions prediction records
 * @param feedback feedback records
 * @param events timeline events
 * @param retried delivery attempts that failed and will be retried (server down, 401/403, 408,
 *     429, 5xx); attempts, not records
 * @param spoolBytes bytes in the spool right now
 */
public record Stats(KindStats predictions, KindStats feedback, KindStats events, long retried, long spoolBytes) {

  /** The counters of one kind. */
  public KindStats of(Kind kind) {
    switch (kind) {
      case FEEDBACK:
        return feedback;
      case EVENTS:
        return events;
      default:
        return predictions;
    }
  }

  /** Records handed to the SDK, all kinds. */
  public long recorded() {
    return predictions.recorded() + feedback.recorded() + events.recorded();
  }

  /** Records the server acknowledged, all kinds. */
  public long sent() {
    return predictions.sent() + feedback.sent() + events.sent();
  }

  /** Records refused (never retried), all kinds and reasons. */
  public long rejected() {
    return predictions.rejectedTotal() + feedback.rejectedTotal() + events.rejectedTotal();
  }

  /** Records waiting in memory right now, all kinds. */
  public long queued() {
    return predictions.queued() + feedback.queued() + events.queued();
  }

  /** Records in the spool right now, all kinds. */
  public long spooled() {
    return predictions.spooled() + feedback.spooled() + events.spooled();
  }

  /** Records dropped for the given reason, all kinds. */
  public long dropped(DropReason reason) {
    return predictions.dropped(reason) + feedback.dropped(reason) + events.dropped(reason);
  }

  /** Records dropped, by reason, all kinds. */
  public Map<DropReason, Long> dropped() {
    EnumMap<DropReason, Long> m = new EnumMap<>(DropReason.class);
    for (DropReason r : DropReason.values()) {
      m.put(r, dropped(r));
    }
    return m;
  }

  /**
   * Records that will never arrive although they were meant to, all kinds: every rejection and
   * every drop except sampling.
   */
  public long lost() {
    return predictions.lost() + feedback.lost() + events.lost();
  }

  /** Whether the equation holds for every kind (exact once nothing is moving). */
  public boolean addsUp() {
    return predictions.addsUp() && feedback.addsUp() && events.addsUp();
  }

  @Override
  public String toString() {
    return "Stats{predictions: " + predictions + "; feedback: " + feedback + "; events: " + events
        + "; retried attempts " + retried + ", spool " + spoolBytes + " bytes}";
  }
}
