package io.hindsight.server.hostile;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.hindsight.server.TestServer;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A client that invents keys cannot grow an endpoint without bound, nor make the lake writer too
 * slow for other endpoints, nor hang shutdown. The reproduction was 60 records of 1,000 new keys
 * each; here the same shape at test size.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class ColumnExplosionTest {
  @TempDir Path dir;

  /** A record with {@code keys} keys named {@code prefix0, prefix1, ...}. */
  private static String wideRecord(String prefix, int keys) {
    StringBuilder sb = new StringBuilder("{\"data\": {");
    for (int k = 0; k < keys; k++) {
      sb.append(k == 0 ? "" : ", ").append('"').append(prefix).append(k).append("\": ").append(k);
    }
    return sb.append("}}").toString();
  }

  private static String array(String... records) {
    return "[" + String.join(", ", records) + "]";
  }

  @Test
  void recordsThatWouldPassTheColumnLimitsAreRejectedOneByOne() throws IOException {
    try (TestServer s =
        new TestServer(
            dir,
            c -> {
              c.ingest.maxColumnsPerEndpoint = 50;
              c.ingest.maxNewColumnsPerRequest = 30;
            })) {
      JsonNode first =
          s.predictions("wide", array(wideRecord("a", 20), wideRecord("b", 20), wideRecord("a", 20))).json();

      assertThat(first.get("accepted").asInt()).isEqualTo(2);
      assertThat(first.get("rejected")).hasSize(1);
      assertThat(first.get("rejected").get(0).get("index").asInt()).isEqualTo(1);
      assertThat(first.get("rejected").get(0).get("error").asText())
          .contains("at most 30")
          .contains("ingest.max-new-columns-per-request");

      assertThat(s.predictions("wide", array(wideRecord("b", 20), wideRecord("a", 5))).json().get("accepted").asInt())
          .isEqualTo(2);

      JsonNode third = s.predictions("wide", array(wideRecord("c", 20), wideRecord("a", 5))).json();

      assertThat(third.get("accepted").asInt()).isEqualTo(1);
      assertThat(third.get("rejected").get(0).get("index").asInt()).isZero();
      assertThat(third.get("rejected").get(0).get("error").asText())
          .contains("endpoint 'wide', which has 40 of at most 50")
          .contains("ingest.max-columns-per-endpoint");
      int userColumns = 0;
      for (JsonNode c : s.get("/v1/endpoints/wide/schema").json().get("columns")) {
        userColumns += c.get("name").asText().matches("[abc][0-9]+") ? 1 : 0;
      }
      assertThat(userColumns).isEqualTo(40);
      // Another endpoint has a limit of its own.
      assertThat(s.predictions("other", wideRecord("c", 20)).json().get("accepted").asInt()).isEqualTo(1);
    }
  }

  private static boolean hasParquet(Path folder) throws IOException {
    if (!Files.isDirectory(folder)) {
      return false;
    }
    try (java.util.stream.Stream<Path> files = Files.walk(folder)) {
      return files.anyMatch(f -> f.getFileName().toString().startsWith("part-"));
    }
  }

  @Test
  void anotherEndpointsRecordsReachTheLakeWhileAWideEndpointIsWrittenAndShutdownReturns() throws IOException, InterruptedException {
    int wideRows = 1_500;
    try (TestServer s = new TestServer(dir, c -> c.lake.flushInterval = Duration.ofMillis(50))) {
      assertThat(s.predictions("wide", wideRecord("a", 1000)).status()).isEqualTo(200);
      assertThat(s.predictions("wide", wideRecord("b", 1000)).status()).isEqualTo(200);
      s.flush();
      // Sparse rows still make a full-width row in the file: rows times 2,000 columns to write.
      byte[] backlog = "{\"data\": {\"a1\": 1}}\n".repeat(wideRows).getBytes(StandardCharsets.UTF_8);
      assertThat(s.post("/v1/endpoints/wide/predictions", "application/x-ndjson", backlog, Map.of()).status())
          .isEqualTo(200);
      assertThat(s.predictions("narrow", "{\"prediction_id\": \"n-1\", \"data\": {\"x\": 1}}").status())
          .isEqualTo(200);

      // SQL sees both at once; the narrow record's file must not wait for the whole wide backlog.
      assertThat(s.scalar("SELECT count(*) FROM predictions WHERE endpoint = 'narrow'").asLong()).isEqualTo(1);
      Path narrowFiles = dir.resolve("lake/predictions/endpoint=narrow");
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
      while (!hasParquet(narrowFiles)) {
        assertThat(System.nanoTime()).as("the narrow endpoint's record reached the lake").isLessThan(deadline);
        Thread.sleep(20);
      }
      assertThat(s.metric("hindsight_lake_pending_records").getAsDouble())
          .as("wide rows not yet in the lake when the narrow record was")
          .isPositive();

      // Shutdown with a wide backlog returns, and the restarted server has every row.
      s.restart();
      s.flush();
      assertThat(s.scalar("SELECT count(*) FROM predictions WHERE endpoint = 'wide'").asLong()).isEqualTo(wideRows + 2);
    }
  }
}
