package io.hindsight;

import java.util.List;
import java.util.function.Predicate;

/**
 * Decides once, when a scope closes, whether a prediction is kept and with which {@code
 * sample_rate}. Order: full logging after a deploy, errors, always-keep predicates (each keeps with
 * rate 1.0, since such a record is always kept), then the base rate from the id ({@link Sampling}).
 */
final class Sampler {
  /** Returned by {@link #decide} for a prediction that is not kept. */
  static final double DROP = -1.0;

  final double baseRate;
  private final boolean keepErrors;
  private final List<Predicate<PredictionRecord>> alwaysKeep;
  private final long fullLoggingMicros;
  private final SdkTime time;
  private final ThrottledLog log;
  private volatile long fullLoggingUntilMicros;

  Sampler(
      double baseRate,
      boolean keepErrors,
      List<Predicate<PredictionRecord>> alwaysKeep,
      long fullLoggingMicros,
      long deployedAtMicros,
      SdkTime time,
      ThrottledLog log) {
    this.baseRate = baseRate;
    this.keepErrors = keepErrors;
    this.alwaysKeep = List.copyOf(alwaysKeep);
    this.fullLoggingMicros = fullLoggingMicros;
    this.time = time;
    this.log = log;
    this.fullLoggingUntilMicros = deployedAtMicros == Long.MIN_VALUE ? Long.MIN_VALUE : deployedAtMicros + fullLoggingMicros;
  }

  /** Starts (or extends) the full-logging window after a deploy at {@code atMicros}. */
  void deployed(long atMicros) {
    long until = atMicros + fullLoggingMicros;
    if (until > fullLoggingUntilMicros) {
      fullLoggingUntilMicros = until;
    }
  }

  boolean inDeployWindow() {
    return time.epochMicros() < fullLoggingUntilMicros;
  }

  /** The sample rate to record, or {@link #DROP}. Never throws. */
  double decide(Prediction p) {
    if (baseRate >= 1.0) {
      return 1.0;
    }
    if (fullLoggingUntilMicros != Long.MIN_VALUE && inDeployWindow()) {
      return 1.0;
    }
    if (keepErrors && p.failed) {
      return 1.0;
    }
    if (!alwaysKeep.isEmpty()) {
      PredictionRecord record = new PredictionRecord(p);
      for (Predicate<PredictionRecord> keep : alwaysKeep) {
        try {
          if (keep.test(record)) {
            return 1.0;
          }
        } catch (RuntimeException e) {
          log.warn("predicate", "an alwaysKeep predicate threw; it counts as false", e);
        }
      }
    }
    return Sampling.keeps(p.id, baseRate) ? baseRate : DROP;
  }
}
