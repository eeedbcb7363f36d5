package io.hindsight;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;

/**
 * Sends one batch with the JDK's HTTP client, asynchronously, so a slow or hung server never
 * holds the worker: while a request is out, new batches go to the spool.
 */
final class Transport {
  /** What came back: a status and body, or the I/O failure. */
  static final class Response {
    final int status;
    final String body;
    final String retryAfter;
    final Throwable failure;

    Response(int status, String body, String retryAfter, Throwable failure) {
      this.status = status;
      this.body = body;
      this.retryAfter = retryAfter;
      this.failure = failure;
    }
  }

  private final HttpClient client;
  private final String baseUrl;
  private final String endpoint;
  private final String authorization;
  private final Duration requestTimeout;

  Transport(String serverUrl, String endpoint, String apiKey, Duration connectTimeout, Duration requestTimeout) {
    this.client =
        HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(connectTimeout)
            .followRedirects(HttpClient.Redirect.NEVER)
            .build();
    this.baseUrl = serverUrl.endsWith("/") ? serverUrl.substring(0, serverUrl.length() - 1) : serverUrl;
    this.endpoint = endpoint;
    this.authorization = apiKey == null ? null : "Bearer " + apiKey;
    this.requestTimeout = requestTimeout;
  }

  URI uri(Kind kind) {
    return URI.create(baseUrl + "/v1/endpoints/" + endpoint + "/" + kind.path);
  }

  /** POSTs a small JSON body to {@code path} (under the server URL) and waits; never throws. */
  Response postJson(String path, byte[] body) {
    try {
      HttpRequest.Builder req =
          HttpRequest.newBuilder(URI.create(baseUrl + path))
              .timeout(requestTimeout)
              .header("Content-Type", "application/json")
              .header("User-Agent", "hindsight-java-sdk/" + Hindsight.VERSION)
              .POST(HttpRequest.BodyPublishers.ofByteArray(body));
      if (authorization != null) {
        req.header("Authorization", authorization);
      }
      HttpResponse<String> r = client.send(req.build(), HttpResponse.BodyHandlers.ofString());
      return new Response(r.statusCode(), r.body(), r.headers().firstValue("Retry-After").orElse(null), null);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return new Response(0, null, null, e);
    } catch (IOException | RuntimeException e) {
      return new Response(0, null, null, e);
    }
  }

  /** Never completes exceptionally: failures come back as a {@link Response} with a cause. */
  CompletableFuture<Response> send(Batch batch) {
    try {
      HttpRequest.Builder req =
          HttpRequest.newBuilder(uri(batch.kind))
              .timeout(requestTimeout)
              .header("Content-Type", batch.format.contentType)
              .header("Content-Encoding", "gzip")
              .header("Idempotency-Key", batch.idempotencyKey)
              .header("User-Agent", "hindsight-java-sdk/" + Hindsight.VERSION)
              .POST(HttpRequest.BodyPublishers.ofByteArray(batch.gzippedBody));
      if (authorization != null) {
        req.header("Authorization", authorization);
      }
      return client
          .sendAsync(req.build(), HttpResponse.BodyHandlers.ofString())
          .handle(
              (r, e) ->
                  e != null
                      ? new Response(0, null, null, e)
                      : new Response(
                          r.statusCode(), r.body(), r.headers().firstValue("Retry-After").orElse(null), null));
    } catch (RuntimeException e) {
      return CompletableFuture.completedFuture(new Response(0, null, null, e));
    }
  }
}
