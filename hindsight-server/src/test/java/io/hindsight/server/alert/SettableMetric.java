package io.hindsight.server.alert;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalDouble;

/** A metric whose value the test sets; remembers the windows it was asked about. */
final class SettableMetric implements MetricSource {
  record Window(String rule, Instant start, Instant end) {}

  private volatile OptionalDouble value = OptionalDouble.empty();
  private volatile String failure;
  private final List<Window> asked = new ArrayList<>();

  void set(double v) {
    value = OptionalDouble.of(v);
    failure = null;
  }

  void noRows() {
    value = OptionalDouble.empty();
    failure = null;
  }

  void failWith(String message) {
    failure = message;
  }

  synchronized List<Window> asked() {
    return List.copyOf(asked);
  }

  @Override
  public synchronized OptionalDouble value(AlertRule rule, Instant windowStart, Instant windowEnd) {
    asked.add(new Window(rule.name(), windowStart, windowEnd));
    if (failure != null) {
      throw new IllegalStateException(failure);
    }
    return value;
  }
}
