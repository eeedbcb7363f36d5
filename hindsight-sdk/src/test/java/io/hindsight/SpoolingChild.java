package io.hindsight;

import java.nio.file.Path;
import java.time.Duration;

/**
 * Run in a child JVM by {@link SpoolTest}: logs N predictions against a dead port with a spool
 * directory, prints SPOOLED once all of them are on disk, then waits to be killed.
 */
public final class SpoolingChild {
  private SpoolingChild() {}

  public static void main(String[] args) throws Exception {
    Path spool = Path.of(args[0]);
    int port = Integer.parseInt(args[1]);
    int n = Integer.parseInt(args[2]);
    Hindsight h =
        Hindsight.builder()
            .endpoint("fraud-model")
            .serverUrl("http://127.0.0.1:" + port)
            .spoolDirectory(spool)
            .linger(Duration.ofMillis(10))
            .batchSize(50)
            .retryBackoff(Duration.ofSeconds(30), Duration.ofSeconds(60))
            .closeOnShutdown(false)
            .build();
    for (int i = 0; i < n; i++) {
      try (Prediction p = h.startPrediction("kill-" + i)) {
        Hindsight.log("i", i);
        Hindsight.log("note", "spooled before the crash");
      }
    }
    long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    while (h.stats().spooled() < n && System.nanoTime() < deadline) {
      Thread.sleep(5);
    }
    System.out.println(h.stats().spooled() == n ? "SPOOLED" : "NOT SPOOLED " + h.stats());
    System.out.flush();
    Thread.sleep(Long.MAX_VALUE);
  }
}
