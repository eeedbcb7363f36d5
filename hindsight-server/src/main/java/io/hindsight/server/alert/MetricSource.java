package io.hindsight.server.alert;

import java.time.Instant;
import java.util.OptionalDouble;

/** Where the engine reads the figure a rule watches; the server backs it with the monitor. */
@FunctionalInterface
public interface MetricSource {
  /**
   * The value of {@code rule}'s metric (with its column and segment) over {@code [windowStart,
   * windowEnd)}; empty when the window has no rows. A throw is recorded as the rule's last error and
   * leaves its state as it was.
   */
  OptionalDouble value(AlertRule rule, Instant windowStart, Instant windowEnd) throws Exception;
}
