package io.hindsight.server.monitor;

import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Profiles of reference windows, kept for a while: every window of a day is compared with the same
 * reference (and so is every evaluation of an alert rule), so the reference is scanned once an
 * hour instead of at every refresh. Late records inside a reference show after at most {@link
 * #KEEP}.
 */
final class ReferenceProfiles {
  static final Duration KEEP = Duration.ofHours(1);

  /** Profiles kept at most (endpoints × segment values × column sets); the oldest used go first. */
  static final int MAX_ENTRIES = 1_000;

  private record Key(String relation, List<MonitoredColumn> columns) {}

  private record Entry(ColumnProfiles profiles, Instant at) {}

  private final Clock clock;
  private final Map<Key, Entry> entries =
      new LinkedHashMap<>(16, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<Key, Entry> eldest) {
          return size() > MAX_ENTRIES;
        }
      };

  ReferenceProfiles(Clock clock) {
    this.clock = clock;
  }

  /** The profile of {@code relation}'s {@code columns}, scanned again when older than {@link #KEEP}. */
  ColumnProfiles get(DriftCalculator calculator, String relation, List<MonitoredColumn> columns) throws SQLException {
    Key key = new Key(relation, List.copyOf(columns));
    Instant now = clock.instant();
    synchronized (entries) {
      Entry e = entries.get(key);
      if (e != null && e.at().plus(KEEP).isAfter(now)) {
        return e.profiles();
      }
    }
    ColumnProfiles profiles = calculator.profileReference(relation, columns);
    synchronized (entries) {
      entries.put(key, new Entry(profiles, now));
    }
    return profiles;
  }
}
