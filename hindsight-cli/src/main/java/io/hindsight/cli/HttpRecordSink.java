package io.hindsight.cli;

import io.hindsight.server.connect.RecordSink;
import java.io.IOException;
import java.net.ConnectException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;

/**
 * An import's batches to a running server's ingest API as NDJSON, each with its Idempotency-Key.
 * A server that is down or busy (503) is tried again with backoff, {@link #ATTEMPTS} times in all;
 * any other refusal of a whole batch stops the import, whose state keeps what was done.
 */
final class HttpRecordSink implements RecordSink {
  static final int ATTEMPTS = 6;

  private final ServerOptions target;
  private final String path;
  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();

  HttpRecordSink(ServerOptions target, String endpoint, String kind) {
    this.target = target;
    this.path = "/v1/endpoints/" + endpoint + "/" + kind;
  }

  @Override
  public byte[] send(byte[] ndjson, String idempotencyKey) throws IOException {
    HttpRequest req =
        target.request(path)
            .timeout(Duration.ofMinutes(2))
            .header("Content-Type", "application/x-ndjson")
            .header("Idempotency-Key", idempotencyKey)
            .POST(HttpRequest.BodyPublishers.ofByteArray(ndjson))
            .build();
    for (int attempt = 1; ; attempt++) {
      try {
        HttpResponse<byte[]> r = http.send(req, HttpResponse.BodyHandlers.ofByteArray());
        if (r.statusCode() == 200) {
          return r.body();
        }
        if (r.statusCode() != 503 || attempt == ATTEMPTS) {
          throw new IOException("the server answered " + r.statusCode() + " to a batch: " + new String(r.body(), java.nio.charset.StandardCharsets.UTF_8));
        }
      } catch (ConnectException e) {
        if (attempt == ATTEMPTS) {
          throw new IOException("cannot reach a Hindsight server at " + target.server
              + "; start one with ./hindsight serve, or set --server or HINDSIGHT_URL");
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IOException("interrupted while sending a batch", e);
      }
      try {
        Thread.sleep(250L << attempt);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IOException("interrupted while waiting to send a batch again", e);
      }
    }
  }
}
