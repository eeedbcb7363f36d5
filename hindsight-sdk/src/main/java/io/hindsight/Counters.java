package io.hindsight;

import java.util.Collections;
import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.atomic.LongAdder;

/** The counters behind {@link Stats}; striped so prediction threads do not contend. */
final class Counters {
  final LongAdder recorded = new LongAdder();
  final LongAdder sent = new LongAdder();
  final LongAdder retried = new LongAdder();
  final LongAdder rejected = new LongAdder();
  private final LongAdder[] dropped = new LongAdder[DropReason.values().length];

  Counters() {
    for (int i = 0; i < dropped.length; i++) {
      dropped[i] = new LongAdder();
    }
  }

  void drop(DropReason reason, long n) {
    dropped[reason.ordinal()].add(n);
  }

  Map<DropReason, Long> droppedSnapshot() {
    EnumMap<DropReason, Long> m = new EnumMap<>(DropReason.class);
    for (DropReason r : DropReason.values()) {
      m.put(r, dropped[r.ordinal()].sum());
    }
    return Collections.unmodifiableMap(m);
  }
}
