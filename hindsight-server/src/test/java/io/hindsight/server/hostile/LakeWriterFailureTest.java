package io.hindsight.server.hostile;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.hindsight.server.TestServer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** A lake writer that cannot write says so in /health and /metrics, and catches up once it can. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class LakeWriterFailureTest {
  @TempDir Path dir;

  @Test
  void aFailingWriteDegradesHealthAndRecoversWhenTheFaultIsGone() throws Exception {
    try (TestServer s = new TestServer(dir)) {
      // A real fault: a file where the endpoint's partition folder must go.
      Path blocker = dir.resolve("lake/predictions/endpoint=blocked");
      Files.createDirectories(blocker.getParent());
      Files.writeString(blocker, "not a folder");

      assertThat(s.predictions("blocked", "{\"prediction_id\": \"b-1\", \"data\": {\"x\": 1}}").status()).isEqualTo(200);
      assertThat(s.predictions("fine", "{\"prediction_id\": \"f-1\", \"data\": {\"x\": 1}}").status()).isEqualTo(200);

      await(() -> s.get("/health").json().get("status").asText().equals("degraded"));
      TestServer.Response health = s.get("/health");
      assertThat(health.status()).isEqualTo(200);
      JsonNode reasons = health.json().get("reasons");
      assertThat(reasons).hasSize(1);
      assertThat(reasons.get(0).asText()).startsWith("lake writer: cannot write 1 rows to").contains("endpoint=blocked");
      String metrics = s.get("/metrics").body();
      assertThat(metric(metrics, "hindsight_lake_write_failures_total")).isPositive();
      assertThat(metric(metrics, "hindsight_health_problems")).isEqualTo(1);
      // The other endpoint is written meanwhile.
      await(() -> s.scalar("SELECT count(*) FROM predictions WHERE endpoint = 'fine'").asLong() == 1);

      Files.delete(blocker);

      await(() -> s.get("/health").json().get("status").asText().equals("ok"));
      assertThat(s.scalar("SELECT count(*) FROM predictions WHERE prediction_id = 'b-1'").asLong()).isEqualTo(1);
      assertThat(metric(s.get("/metrics").body(), "hindsight_health_problems")).isZero();
    }
  }

  private static double metric(String scrape, String name) {
    return Arrays.stream(scrape.split("\n"))
        .filter(l -> l.startsWith(name + " "))
        .mapToDouble(l -> Double.parseDouble(l.substring(name.length() + 1)))
        .findFirst()
        .orElseThrow(() -> new AssertionError(name + " is not in /metrics"));
  }

  private static void await(BooleanSupplier condition) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (!condition.getAsBoolean()) {
      assertThat(System.nanoTime()).as("waited 30 s for a condition").isLessThan(deadline);
      Thread.sleep(50);
    }
  }
}
