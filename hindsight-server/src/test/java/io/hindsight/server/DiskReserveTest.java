package io.hindsight.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Records never take the data folder's last {@code wal.min-free-bytes}: past it they are refused
 * with 503 and the free space named, {@code GET /health} says why, and the free space is a metric
 * to alert on before that. (How the log takes records again once there is room: {@code
 * WriteAheadLogTest}.)
 */
class DiskReserveTest {
  @TempDir Path dir;

  @Test
  void recordsThatWouldTakeTheReserveAreRefusedAndHealthSaysWhy() throws Exception {
    long free = Files.getFileStore(dir).getUsableSpace();
    try (TestServer s = new TestServer(dir, c -> c.wal.minFreeBytes = free + (1L << 40))) {
      assertThat(s.get("/health").json().path("status").asText()).isEqualTo("ok");

      TestServer.Response r = s.predictions("e", "[{\"prediction_id\": \"p1\", \"data\": {\"x\": 1}}]");
      assertThat(r.status()).isEqualTo(503);
      assertThat(r.headers().firstValue("Retry-After")).hasValue("5");
      assertThat(r.json().path("error").asText())
          .startsWith("storage cannot take writes right now (the disk of " + dir.toAbsolutePath() + " has ")
          .contains("MB of it are kept for writing the lake (wal.min-free-bytes); free space on it or give it more")
          .endsWith("nothing from this request was stored, retry later");

      JsonNode health = s.get("/health").json();
      assertThat(health.path("status").asText()).isEqualTo("degraded");
      assertThat(health.path("reasons").toString()).contains("the write-ahead log refuses records since ").contains("wal.min-free-bytes");
      assertThat(s.metric("hindsight_data_free_bytes").orElseThrow()).isPositive();
      assertThat(s.metric("hindsight_health_problems")).hasValue(1.0);

      s.flush();
      assertThat(s.scalar("SELECT count(*) FROM predictions").asLong()).isZero();
    }
  }
}
