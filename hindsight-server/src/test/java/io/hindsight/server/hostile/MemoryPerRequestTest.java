package io.hindsight.server.hostile;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.hindsight.server.ChildServer;
import io.hindsight.server.TestServer;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** A request's memory is bounded by what it stores, and all requests together by a budget. */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class MemoryPerRequestTest {
  private static final HttpClient HTTP = HttpClient.newHttpClient();

  @TempDir Path dir;

  /** {@code 1\n} repeated: each line a tiny record that is not an object. */
  private static byte[] tinyInvalidRecords(int bytes) {
    byte[] body = new byte[bytes];
    for (int i = 0; i < bytes; i += 2) {
      body[i] = '1';
      body[i + 1] = '\n';
    }
    return body;
  }

  @Test
  void rejectionsBeyondTheFirstHundredAreCountedNotListed() throws IOException {
    try (TestServer s = new TestServer(dir)) {
      byte[] body = tinyInvalidRecords(400_000);
      TestServer.Response r =
          s.post("/v1/endpoints/m/predictions", "application/x-ndjson", body, Map.of());

      assertThat(r.status()).isEqualTo(200);
      JsonNode answer = r.json();
      assertThat(answer.get("accepted").asInt()).isZero();
      assertThat(answer.get("rejected")).hasSize(100);
      assertThat(answer.get("rejected").get(99).get("index").asInt()).isEqualTo(99);
      assertThat(answer.get("rejected_omitted").asInt()).isEqualTo(200_000 - 100);
      assertThat(answer.get("note").asText()).contains("first 100");
    }
  }

  @Test
  void aBodyOfTinyInvalidRecordsIsReadOnASmallHeap() throws Exception {
    // Was: 500 OutOfMemoryError on a 1 GiB heap, over 250 bytes of heap per body byte.
    try (ChildServer child = new ChildServer(dir, "-Xmx96m")) {
      byte[] body = tinyInvalidRecords(4 << 20);
      HttpResponse<String> r =
          HTTP.send(
              HttpRequest.newBuilder(URI.create(child.url("/v1/endpoints/m/predictions")))
                  .header("Content-Type", "application/x-ndjson")
                  .timeout(Duration.ofSeconds(60))
                  .POST(HttpRequest.BodyPublishers.ofByteArray(body))
                  .build(),
              HttpResponse.BodyHandlers.ofString());

      assertThat(r.statusCode()).as(child.log()).isEqualTo(200);
      JsonNode answer = TestServer.JSON.readTree(r.body());
      assertThat(answer.get("rejected_omitted").asInt()).isEqualTo((2 << 20) - 100);
      // And the server goes on taking records.
      HttpResponse<String> next =
          HTTP.send(
              HttpRequest.newBuilder(URI.create(child.url("/v1/endpoints/m/predictions")))
                  .POST(HttpRequest.BodyPublishers.ofString("{\"data\": {\"a\": 1}}"))
                  .build(),
              HttpResponse.BodyHandlers.ofString());
      assertThat(next.body()).contains("\"accepted\":1");
    }
  }

  @Test
  void aRequestPastTheInFlightBudgetWaitsThenGets503WithRetryAfter() throws Exception {
    try (TestServer s = new TestServer(dir, c -> c.ingest.maxInFlightBytes = 1 << 20)) {
      // A body that sends the budget's worth of (rejected) records, then holds its request open.
      CountDownLatch release = new CountDownLatch(1);
      CountDownLatch sent = new CountDownLatch(1);
      byte[] head = tinyInvalidRecords(1 << 20);
      InputStream slow = new InputStream() {
            private int pos;

            @Override
            public int read() {
              byte[] one = new byte[1];
              return read(one, 0, 1) < 0 ? -1 : one[0] & 0xFF;
            }

            @Override
            public int read(byte[] b, int off, int len) {
              if (pos == head.length) {
                sent.countDown();
                try {
                  release.await();
                } catch (InterruptedException e) {
                  Thread.currentThread().interrupt();
                }
                return -1;
              }
              int n = Math.min(len, head.length - pos);
              System.arraycopy(head, pos, b, off, n);
              pos += n;
              return n;
            }
          };
      CompletableFuture<HttpResponse<String>> holder =
          HTTP.sendAsync(
              HttpRequest.newBuilder(URI.create(s.url("/v1/endpoints/big/predictions")))
                  .header("Content-Type", "application/x-ndjson")
                  .POST(HttpRequest.BodyPublishers.ofInputStream(() -> slow))
                  .build(),
              HttpResponse.BodyHandlers.ofString());
      assertThat(sent.await(30, TimeUnit.SECONDS)).isTrue();
      awaitInFlight(s, 1 << 20);

      TestServer.Response refused = s.predictions("small", "{\"data\": {\"a\": 1}}");

      assertThat(refused.status()).isEqualTo(503);
      assertThat(refused.headers().firstValue("Retry-After")).isPresent();
      assertThat(refused.json().get("error").asText()).contains("ingest.max-in-flight-bytes");

      release.countDown();
      assertThat(holder.get(30, TimeUnit.SECONDS).statusCode()).isEqualTo(200);
      assertThat(s.predictions("small", "{\"data\": {\"a\": 1}}").status()).isEqualTo(200);
    }
  }

  @Test
  void aBodyWhoseRecordsAloneNeedMoreThanTheBudgetIs413() throws IOException {
    try (TestServer s = new TestServer(dir, c -> c.ingest.maxInFlightBytes = 1 << 20)) {
      // 100 KB of tiny records: about 200 bytes each once encoded, 2.5 MB to hold.
      byte[] body = "{\"data\": {\"a\": 1}}\n".repeat(6_000).getBytes(StandardCharsets.UTF_8);

      TestServer.Response r = s.post("/v1/endpoints/m/predictions", "application/x-ndjson", body, Map.of());

      assertThat(r.status()).isEqualTo(413);
      assertThat(r.json().get("error").asText()).contains("ingest.max-in-flight-bytes").contains("smaller batches");
      s.flush();
      assertThat(s.scalar("SELECT count(*) FROM predictions").asLong()).isZero();
    }
  }

  /** Waits until the server reports its whole budget reserved by bodies being read. */
  private static void awaitInFlight(TestServer s, long bytes) throws InterruptedException {
    for (int i = 0; i < 600; i++) {
      String metrics = s.get("/metrics").body();
      boolean full =
          Arrays.stream(metrics.split("\n"))
              .filter(l -> l.startsWith("hindsight_ingest_in_flight_bytes "))
              .anyMatch(l -> Double.parseDouble(l.split(" ")[1]) >= bytes);
      if (full) {
        return;
      }
      Thread.sleep(50);
    }
    throw new AssertionError("the first request never held the whole budget");
  }
}
