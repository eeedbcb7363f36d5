package io.hindsight;

import java.util.Map;

/**
 * A snapshot of the shipping counters of one {@link Hindsight} instance, across predictions,
 * feedback and events. All counts are records, except {@code retried} (delivery attempts).
 *
 * @param recorded records handed to shipping since start (kept by sampling)
 * @param queued records waiting in memory right now (queue, open batches, batches ready to send)
 * @param sent records the server acknowledged as accepted
 * @param spooled records in the spool right now, waiting for the server
 * @param spoolBytes bytes in the spool right now
 * @param retried delivery attempts that failed and will be retried (server down, 408, 429, 5xx)
 * @param rejected records the server refused (listed in {@code rejected} of a 200 answer, or a
 *     whole batch answered with a 4xx other than 408/429); not retried
 * @param dropped records not shipped, by reason; {@link DropReason#SAMPLED_OUT} is not a loss
 */
public record Stats(
    long recorded,
    long queued,
    long sent,
    long spooled,
    long spoolBytes,
    long retried,
    long rejected,
    Map<DropReason, Long> dropped) {

  /** Records dropped for the given reason. */
  public long dropped(DropReason reason) {
    Long n = dropped.get(reason);
    return n == null ? 0 : n;
  }

  /** Records lost: every drop reason except sampling. */
  public long lost() {
    long n = 0;
    for (Map.Entry<DropReason, Long> e : dropped.entrySet()) {
      if (e.getKey() != DropReason.SAMPLED_OUT) {
        n += e.getValue();
      }
    }
    return n;
  }
}
