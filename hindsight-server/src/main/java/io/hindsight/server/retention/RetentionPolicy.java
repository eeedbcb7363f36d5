package io.hindsight.server.retention;

import java.time.Duration;
import java.time.Period;
import java.util.Map;
import java.util.Optional;

/**
 * How long each endpoint keeps each kind of data; a kind without a period is kept forever.
 *
 * @param periods endpoint → kind → period
 * @param interval how often expired data is looked for (a day by default)
 */
public record RetentionPolicy(Map<String, Map<DataKind, Period>> periods, Duration interval) {
  public RetentionPolicy {
    periods = Map.copyOf(periods);
  }

  public Optional<Period> period(String endpoint, DataKind kind) {
    return Optional.ofNullable(periods.getOrDefault(endpoint, Map.of()).get(kind));
  }
}
