package io.hindsight.server.alert;

import java.time.Duration;
import java.time.Instant;

/**
 * One rule's alert, stepped by its evaluations with Prometheus's semantics: a true condition makes
 * it pending, and firing once it has been true for {@code for} (at once when {@code for} is 0); a
 * false condition ends a pending alert at once and a firing one after {@code keep_firing_for} of
 * false evaluations. Not thread-safe: the engine steps it under the rule's lock.
 */
final class AlertLifecycle {
  private AlertState state = AlertState.INACTIVE;
  private Instant activeAt;
  private Instant firedAt;
  private Instant keepFiringSince;
  private Instant inactiveSince;
  private Double value;
  private Instant lastEvaluation;
  private String lastError;

  /** Steps the alert with one evaluation's outcome; returns the state before it. */
  AlertState observe(boolean condition, Double value, Instant now, Duration forDuration, Duration keepFiringFor) {
    AlertState before = state;
    this.value = value;
    this.lastEvaluation = now;
    this.lastError = null;
    if (condition) {
      keepFiringSince = null;
      if (state == AlertState.INACTIVE) {
        activeAt = now;
        state = AlertState.PENDING;
      }
      if (state == AlertState.PENDING && Duration.between(activeAt, now).compareTo(forDuration) >= 0) {
        firedAt = now;
        state = AlertState.FIRING;
      }
    } else if (state == AlertState.PENDING) {
      becomeInactive(now);
    } else if (state == AlertState.FIRING) {
      if (keepFiringSince == null) {
        keepFiringSince = now;
      }
      if (Duration.between(keepFiringSince, now).compareTo(keepFiringFor) >= 0) {
        becomeInactive(now);
      }
    }
    return before;
  }

  private void becomeInactive(Instant now) {
    state = AlertState.INACTIVE;
    inactiveSince = now;
    activeAt = null;
    keepFiringSince = null;
  }

  /** An evaluation that could not compute the metric: the state stays as it was. */
  void failed(Instant now, String error) {
    lastEvaluation = now;
    lastError = error;
  }

  AlertState state() {
    return state;
  }

  Double value() {
    return value;
  }

  /** When the alert started firing (Alertmanager's {@code startsAt}). */
  Instant firedAt() {
    return firedAt;
  }

  RuleStatus status(AlertRule rule, Instant silencedUntil) {
    Instant since = state == AlertState.INACTIVE ? inactiveSince : activeAt;
    return new RuleStatus(rule, state, value, since, lastEvaluation, lastError, silencedUntil);
  }
}
