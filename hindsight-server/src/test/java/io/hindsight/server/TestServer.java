package io.hindsight.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.OptionalDouble;
import java.util.function.Consumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.zip.GZIPOutputStream;

/** A real server on a random loopback port over a temporary data folder, with a small HTTP client. */
public final class TestServer implements AutoCloseable {
  public static final ObjectMapper JSON = new ObjectMapper();
  private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  private final ServerConfig config;
  private HindsightServer server;
  private final io.hindsight.server.ops.ManualScheduler scheduler;
  /** Null (the default): the audit settings' retain_min, as a production server takes it. */
  private java.util.function.Function<String, java.util.Optional<java.time.Period>> minimumRetention;
  /** Null (the default): the audit log records each erasure's redaction. */
  private io.hindsight.server.retention.ErasureListener erasureListener;

  public TestServer(Path dataDir) throws IOException {
    this(dataDir, c -> {});
  }

  public TestServer(Path dataDir, Consumer<ServerConfig> tweak) throws IOException {
    this(dataDir, tweak, null);
  }

  /**
   * A server on {@code scheduler}'s time when it is not null: nothing periodic runs until the test
   * steps it ({@link #flush()} and {@link #compact()} still work).
   */
  public TestServer(Path dataDir, Consumer<ServerConfig> tweak, io.hindsight.server.ops.ManualScheduler scheduler)
      throws IOException {
    config = new ServerConfig();
    config.dataDir = dataDir;
    config.port = 0;
    config.lake.flushInterval = Duration.ofMillis(100);
    tweak.accept(config);
    this.scheduler = scheduler;
    server = start();
  }

  /** A server whose audited endpoints keep their predictions at least {@code minimumRetention} (WORM). */
  public TestServer(
      Path dataDir,
      Consumer<ServerConfig> tweak,
      io.hindsight.server.ops.ManualScheduler scheduler,
      java.util.function.Function<String, java.util.Optional<java.time.Period>> minimumRetention)
      throws IOException {
    this(dataDir, tweak, scheduler, minimumRetention, null);
  }

  /** ... and whose erasures tell {@code erasureListener} what they remove. */
  public TestServer(
      Path dataDir,
      Consumer<ServerConfig> tweak,
      io.hindsight.server.ops.ManualScheduler scheduler,
      java.util.function.Function<String, java.util.Optional<java.time.Period>> minimumRetention,
      io.hindsight.server.retention.ErasureListener erasureListener)
      throws IOException {
    config = new ServerConfig();
    config.dataDir = dataDir;
    config.port = 0;
    config.lake.flushInterval = Duration.ofMillis(100);
    tweak.accept(config);
    this.scheduler = scheduler;
    this.minimumRetention = minimumRetention;
    this.erasureListener = erasureListener;
    server = start();
  }

  private HindsightServer start() throws IOException {
    return HindsightServer.start(
        config, scheduler == null ? io.hindsight.server.ops.Scheduler.system() : scheduler, minimumRetention, erasureListener);
  }

  public HindsightServer server() {
    return server;
  }

  /** Stops and starts the server on the same data folder (a graceful restart). */
  public void restart() throws IOException {
    server.close();
    server = start();
  }

  public String url(String path) {
    return "http://127.0.0.1:" + server.port() + path;
  }

  /** A response: status, headers and the body as text. */
  public record Response(int status, String body, java.net.http.HttpHeaders headers) {
    public JsonNode json() {
      try {
        return JSON.readTree(body);
      } catch (IOException e) {
        throw new UncheckedIOException("not JSON: " + body, e);
      }
    }
  }

  public Response post(String path, String contentType, byte[] body, Map<String, String> headers) {
    HttpRequest.Builder b =
        HttpRequest.newBuilder(URI.create(url(path)))
            .timeout(Duration.ofSeconds(60))
            .POST(HttpRequest.BodyPublishers.ofByteArray(body));
    if (contentType != null) {
      b.header("Content-Type", contentType);
    }
    headers.forEach(b::header);
    return send(b.build());
  }

  public Response putJson(String path, String body) {
    return send(
        HttpRequest.newBuilder(URI.create(url(path)))
            .timeout(Duration.ofSeconds(60))
            .header("Content-Type", "application/json")
            .PUT(HttpRequest.BodyPublishers.ofString(body))
            .build());
  }

  public Response postJson(String path, String body) {
    return post(path, "application/json", body.getBytes(StandardCharsets.UTF_8), Map.of());
  }

  public Response predictions(String endpoint, String body) {
    return postJson("/v1/endpoints/" + endpoint + "/predictions", body);
  }

  public Response delete(String path) {
    return send(HttpRequest.newBuilder(URI.create(url(path))).timeout(Duration.ofSeconds(60)).DELETE().build());
  }

  /** Waits (at most 30 s) until the job has finished and returns it as {@code GET /v1/jobs/{id}} shows it. */
  public JsonNode awaitJob(String id) {
    long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    while (true) {
      JsonNode job = get("/v1/jobs/" + id).json();
      String state = job.path("state").asText();
      if (state.equals("done") || state.equals("failed") || state.equals("cancelled")) {
        return job;
      }
      if (System.nanoTime() > deadline) {
        throw new AssertionError("job " + id + " did not finish within 30 s: " + job);
      }
      try {
        Thread.sleep(20);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new AssertionError(e);
      }
    }
  }

  /**
   * A metric's value in {@code /metrics}, or empty when the server shows none: {@code name} as
   * printed, with its labels where they matter ({@code x_total{endpoint="fraud"}}); without them,
   * the first series of that name.
   */
  public OptionalDouble metric(String name) {
    return metricIn(get("/metrics").body(), name);
  }

  /** As {@link #metric}, read from the text of a {@code /metrics} answer (of a server in another JVM, say). */
  public static OptionalDouble metricIn(String metrics, String name) {
    String labels = name.contains("{") ? "" : "(?:\\{[^}]*})?";
    Matcher m = Pattern.compile("(?m)^" + Pattern.quote(name) + labels + " (\\S+)$").matcher(metrics);
    return m.find() ? OptionalDouble.of(Double.parseDouble(m.group(1))) : OptionalDouble.empty();
  }

  /** The error of the record at {@code index} in an ingest answer's {@code rejected}; fails when it was not rejected. */
  public static String rejectionAt(JsonNode answer, int index) {
    for (JsonNode r : answer.get("rejected")) {
      if (r.get("index").asInt() == index) {
        return r.get("error").asText();
      }
    }
    throw new AssertionError("no rejection at index " + index + " in " + answer);
  }

  public Response get(String path) {
    return send(HttpRequest.newBuilder(URI.create(url(path))).timeout(Duration.ofSeconds(60)).GET().build());
  }

  /** Runs SQL and returns the answer; fails the test unless it is 200. */
  public JsonNode query(String sql, Object... params) {
    Response r = queryResponse(sql, params);
    if (r.status() != 200) {
      throw new AssertionError("query failed with " + r.status() + ": " + r.body() + "\nSQL: " + sql);
    }
    return r.json();
  }

  public Response queryResponse(String sql, Object... params) {
    try {
      String body = JSON.writeValueAsString(Map.of("sql", sql, "params", List.of(params)));
      return postJson("/v1/query", body);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The single value of a one-row, one-column query. */
  public JsonNode scalar(String sql, Object... params) {
    return query(sql, params).get("rows").get(0).get(0);
  }

  /** One compaction pass, now; returns the merges it did. */
  public int compact() {
    try {
      return server.compactLake();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Writes everything acknowledged to the lake now, instead of waiting for the flush interval. */
  public void flush() {
    server.flushLake();
  }

  public static Response send(HttpRequest req) {
    try {
      HttpResponse<String> r = HTTP.send(req, HttpResponse.BodyHandlers.ofString());
      return new Response(r.statusCode(), r.body(), r.headers());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  public static byte[] gzip(byte[] data) {
    try {
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      try (GZIPOutputStream gz = new GZIPOutputStream(out)) {
        gz.write(data);
      }
      return out.toByteArray();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  @Override
  public void close() {
    server.close();
  }
}
