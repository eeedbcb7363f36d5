package io.hindsight.server.retention;

import io.hindsight.server.ApiException;
import java.time.LocalDate;
import java.time.Period;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;

/**
 * Write once, read many: the predictions of an audited endpoint are kept at least its {@code
 * retain_min}. A date partition is old enough to delete when its whole day lies before today minus
 * that period. Feedback, events and metrics are not audit records and follow their own periods.
 */
public final class WormRule {
  private final Function<String, Optional<Period>> minimumRetention;

  /** @param minimumRetention an audited endpoint's {@code retain_min}; empty for endpoints not audited */
  public WormRule(Function<String, Optional<Period>> minimumRetention) {
    this.minimumRetention = minimumRetention;
  }

  /** The first day whose data of this kind must still be kept today, if any. */
  Optional<LocalDate> keepFrom(String endpoint, DataKind kind, LocalDate today) {
    if (kind != DataKind.PREDICTIONS) {
      return Optional.empty();
    }
    return minimumRetention.apply(endpoint).map(today::minus);
  }

  /**
   * Refuses a retention configuration that would delete audited records younger than their
   * endpoint's {@code retain_min}, naming each endpoint, both periods and the fix.
   *
   * @throws IllegalArgumentException naming every endpoint in conflict
   */
  void checkPolicy(RetentionPolicy policy, LocalDate today) {
    List<String> problems = new ArrayList<>();
    for (Map.Entry<String, Map<DataKind, Period>> e : policy.periods().entrySet()) {
      Period keep = e.getValue().get(DataKind.PREDICTIONS);
      Optional<Period> min = minimumRetention.apply(e.getKey());
      if (keep != null && min.isPresent() && today.minus(keep).isAfter(today.minus(min.get()))) {
        problems.add(
            "retention.endpoints." + e.getKey() + ".predictions is " + keep + ", shorter than the endpoint's audit retain_min "
                + min.get() + "; set it to " + min.get() + " or longer (audited records are write-once)");
      }
    }
    if (!problems.isEmpty()) {
      throw new IllegalArgumentException("invalid configuration: " + String.join("; ", problems));
    }
  }

  /**
   * Refuses (409) a deletion of {@code kind} before {@code before} that would reach records an
   * audited endpoint must keep.
   */
  void checkDeletion(String endpoint, DataKind kind, LocalDate before, LocalDate today) {
    Optional<LocalDate> keepFrom = keepFrom(endpoint, kind, today);
    if (keepFrom.isPresent() && before.isAfter(keepFrom.get())) {
      throw new ApiException(
          409,
          "endpoint '" + endpoint + "' is audited and keeps its predictions at least "
              + minimumRetention.apply(endpoint).orElseThrow() + " (retain_min): predictions before "
              + keepFrom.get() + " may be deleted, not before " + before);
    }
  }
}
