package io.hindsight.server.alert;

import java.time.Instant;

/**
 * What a notifier is told about one rule's alert.
 *
 * @param resolved false while firing
 * @param value the metric at the evaluation behind this notice; null when the window had no rows
 * @param startsAt when the alert started firing
 * @param at the evaluation behind this notice (for a resolved alert: when it resolved)
 * @param reason why it resolved when not by its metric (the rule was deleted), else null
 */
record Notice(AlertRule rule, boolean resolved, Double value, Instant startsAt, Instant at, String reason) {

  String status() {
    return resolved ? "resolved" : "firing";
  }
}
