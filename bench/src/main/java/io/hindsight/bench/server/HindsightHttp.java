package io.hindsight.bench.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.zip.Deflater;
import java.util.zip.GZIPOutputStream;

/**
 * The slice of the HTTP API (DESIGN §4) the benchmarks use, on one JDK HTTP/1.1 client. Each
 * benchmark client thread owns one, so each keeps its own connection like a separate service.
 */
final class HindsightHttp {
  static final ObjectMapper JSON = new ObjectMapper();

  private final HttpClient http;
  private final String baseUrl;

  HindsightHttp(String baseUrl) {
    this.baseUrl = baseUrl.endsWith("/") ? baseUrl.substring(0, baseUrl.length() - 1) : baseUrl;
    this.http =
        HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(10))
            .build();
  }

  /** An HTTP status with its body. */
  record Answer(int status, String body) {
    JsonNode json() throws IOException {
      return JSON.readTree(body);
    }
  }

  /** {@code POST /v1/endpoints/{e}/predictions} with a JSON array body. */
  Answer ingest(String endpoint, byte[] body, int length, boolean gzip) throws IOException, InterruptedException {
    return ingest(endpoint, body, length, gzip, false);
  }

  /** As {@link #ingest(String, byte[], int, boolean)}; with {@code smile} the body is Smile, not JSON. */
  Answer ingest(String endpoint, byte[] body, int length, boolean gzip, boolean smile) throws IOException, InterruptedException {
    HttpRequest.Builder b =
        HttpRequest.newBuilder(URI.create(baseUrl + "/v1/endpoints/" + endpoint + "/predictions"))
            .timeout(Duration.ofSeconds(120))
            .header("Content-Type", smile ? SmileBodies.CONTENT_TYPE : "application/json");
    if (gzip) {
      byte[] z = gzip(body, length);
      b.header("Content-Encoding", "gzip").POST(HttpRequest.BodyPublishers.ofByteArray(z));
    } else {
      b.POST(HttpRequest.BodyPublishers.ofByteArray(body, 0, length));
    }
    HttpRequest req = b.build();
    HttpResponse<String> r = http.send(req, HttpResponse.BodyHandlers.ofString());
    // A 503 is back-pressure (the lake writer is behind): wait as told and resend, as the SDK does.
    for (int attempt = 0; r.statusCode() == 503 && attempt < 60; attempt++) {
      BACKPRESSURE_RETRIES.incrementAndGet();
      Thread.sleep(1000L * Long.parseLong(r.headers().firstValue("Retry-After").orElse("1")));
      r = http.send(req, HttpResponse.BodyHandlers.ofString());
    }
    return new Answer(r.statusCode(), r.body());
  }

  /** How many times a batch was resent after a 503, across all clients. */
  static final java.util.concurrent.atomic.AtomicLong BACKPRESSURE_RETRIES = new java.util.concurrent.atomic.AtomicLong();

  /** {@code POST /v1/query} with positional parameters. */
  Answer query(String sql, Object... params) throws IOException, InterruptedException {
    ObjectNode q = JSON.createObjectNode();
    q.put("sql", sql);
    ArrayNode p = q.putArray("params");
    for (Object o : params) {
      if (o instanceof Number n) {
        p.add(n.longValue());
      } else {
        p.add(String.valueOf(o));
      }
    }
    HttpRequest req =
        HttpRequest.newBuilder(URI.create(baseUrl + "/v1/query"))
            .timeout(Duration.ofSeconds(120))
            .header("Content-Type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofString(JSON.writeValueAsString(q)))
            .build();
    HttpResponse<String> r = http.send(req, HttpResponse.BodyHandlers.ofString());
    return new Answer(r.statusCode(), r.body());
  }

  /** {@code GET /v1/endpoints/{e}/predictions/{id}}, with {@code ?date=} unless {@code date} is null. */
  Answer lookup(String endpoint, String id, String date) throws IOException, InterruptedException {
    String path = "/v1/endpoints/" + endpoint + "/predictions/" + URLEncoder.encode(id, StandardCharsets.UTF_8)
        + (date == null ? "" : "?date=" + date);
    return get(path);
  }

  Answer get(String path) throws IOException, InterruptedException {
    HttpRequest req = HttpRequest.newBuilder(URI.create(baseUrl + path)).timeout(Duration.ofSeconds(120)).GET().build();
    HttpResponse<String> r = http.send(req, HttpResponse.BodyHandlers.ofString());
    return new Answer(r.statusCode(), r.body());
  }

  /** A gauge or counter from {@code GET /metrics}; NaN when absent. */
  double metric(String name) throws IOException, InterruptedException {
    Answer a = get("/metrics");
    for (String line : a.body().split("\n")) {
      if (line.startsWith(name + " ") || line.startsWith(name + "{")) {
        return Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
      }
    }
    return Double.NaN;
  }

  private static byte[] gzip(byte[] body, int length) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream(length / 6);
    try (GZIPOutputStream z =
        new GZIPOutputStream(out, 64 * 1024) {
          {
            def.setLevel(Deflater.BEST_SPEED);
          }
        }) {
      z.write(body, 0, length);
    }
    return out.toByteArray();
  }
}
