package io.hindsight.server.alert;

import java.net.URI;
import java.time.Duration;

/**
 * How the alert engine delivers notifications.
 *
 * @param externalUrl the server's address as people reach it: Alertmanager payloads link back to it
 * @param connectTimeout a notifier's connection must open within this (default 5 s)
 * @param requestTimeout a notifier must answer within this (default 10 s)
 * @param maxQueuedDeliveries notifications waiting to be sent or retried (default 1,000); more are
 *     dropped and counted, so a dead receiver cannot fill the memory
 * @param maxAttempts attempts per notification before it is given up and counted (default 5)
 * @param firstRetryAfter the wait after a first failure, doubled after each further one (default 1 s:
 *     then 2 s, 4 s, 8 s)
 * @param giveUpAfter a notification not delivered this long after it was queued is given up (default 5 min)
 * @param deliveryPeriod how often the queue is looked at (default 1 s)
 */
public record AlertSettings(
    URI externalUrl,
    Duration connectTimeout,
    Duration requestTimeout,
    int maxQueuedDeliveries,
    int maxAttempts,
    Duration firstRetryAfter,
    Duration giveUpAfter,
    Duration deliveryPeriod) {

  public AlertSettings {
    if (maxQueuedDeliveries < 1 || maxAttempts < 1) {
      throw new IllegalArgumentException("maxQueuedDeliveries and maxAttempts must be at least 1");
    }
    for (Duration d : new Duration[] {connectTimeout, requestTimeout, firstRetryAfter, giveUpAfter, deliveryPeriod}) {
      if (d.isNegative() || d.isZero()) {
        throw new IllegalArgumentException("alert delivery durations must be positive, got " + d);
      }
    }
  }

  /** The defaults above, for a server reached at {@code externalUrl}. */
  public static AlertSettings defaults(URI externalUrl) {
    return new AlertSettings(
        externalUrl, Duration.ofSeconds(5), Duration.ofSeconds(10), 1_000, 5, Duration.ofSeconds(1),
        Duration.ofMinutes(5), Duration.ofSeconds(1));
  }

  /** These settings with other timeouts for a notifier's connection and answer. */
  public AlertSettings withTimeouts(Duration connect, Duration request) {
    return new AlertSettings(
        externalUrl, connect, request, maxQueuedDeliveries, maxAttempts, firstRetryAfter, giveUpAfter, deliveryPeriod);
  }
}
