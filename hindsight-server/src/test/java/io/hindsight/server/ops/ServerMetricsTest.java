package io.hindsight.server.ops;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class ServerMetricsTest {
  @Test
  void aCounterKeepsCountingAfterAGarbageCollection() {
    ServerMetrics metrics = new ServerMetrics();
    AtomicLong done = new AtomicLong();
    // A lambda made on the spot, referenced by nothing but the registry.
    metrics.counter("hindsight_test_things", "Things done", () -> done.get());
    done.set(41);
    for (int i = 0; i < 3; i++) {
      System.gc();
    }
    done.incrementAndGet();
    assertThat(metrics.scrape()).contains("hindsight_test_things_total 42.0");
  }
}
