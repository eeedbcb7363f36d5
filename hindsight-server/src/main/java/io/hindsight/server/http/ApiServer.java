package io.hindsight.server.http;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.hindsight.server.ApiException;
import io.hindsight.server.ServerConfig;
import io.hindsight.server.auth.AccessControl;
import io.hindsight.server.ingest.IngestService;
import io.hindsight.server.ops.ServerMetrics;
import io.hindsight.server.query.QueryEngine;
import io.hindsight.server.schema.Table;
import io.javalin.Javalin;
import io.javalin.http.Context;
import io.javalin.json.JavalinJackson;
import java.io.IOException;
import java.io.InputStream;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.Semaphore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

/**
 * The HTTP API of DESIGN §4 on Javalin. Handlers stay thin: they read the request, call the
 * service, and write the answer; every refusal is an {@link ApiException} turned into
 * {@code {"error": ...}} in one place. Each request carries a request id (from {@code X-Request-ID}
 * or generated) into the logs and back in the response.
 */
public final class ApiServer {
  private static final Logger log = LoggerFactory.getLogger(ApiServer.class);
  private static final Logger accessLog = LoggerFactory.getLogger("hindsight.access");
  private static final String REQUEST_ID = "request_id";

  private final Javalin app;
  private final IngestService ingest;
  private final QueryApi queries;
  private final LookupApi lookups;
  private final KeysApi keysApi;
  private final AccessControl access;
  private final ServerMetrics metrics;
  private final long maxBodyBytes;
  private final int maxGzipRatio;
  private final Semaphore ingestSlots;

  public ApiServer(
      ServerConfig config,
      IngestService ingest,
      QueryEngine engine,
      LookupApi lookups,
      AccessControl access,
      ServerMetrics metrics,
      ObjectMapper json) {
    this.ingest = ingest;
    this.lookups = lookups;
    this.access = access;
    this.metrics = metrics;
    this.maxBodyBytes = config.ingest.maxBodyBytes;
    this.maxGzipRatio = config.ingest.maxGzipRatio;
    this.ingestSlots = new Semaphore(config.ingest.maxConcurrentRequests);
    this.queries = new QueryApi(engine, json, metrics);
    this.keysApi = new KeysApi(access.keys(), json);
    this.app =
        Javalin.create(
            c -> {
              c.showJavalinBanner = false;
              c.startupWatcherEnabled = false;
              c.http.maxRequestSize = maxBodyBytes;
              c.jsonMapper(new JavalinJackson(json, false));
              c.jetty.addConnector(
                  (server, http) -> Connectors.create(server, http, config.host, config.port, config.tls));
            });
    routes();
  }

  private void routes() {
    app.before(this::beginRequest);
    app.before(ctx -> access.check(ctx.method().name(), ctx.path(), ctx.header("Authorization")));
    app.after(this::endRequest);
    app.get("/health", ctx -> ctx.json(metrics.health().report()));
    app.get(
        "/metrics",
        ctx -> ctx.contentType("text/plain; version=0.0.4; charset=utf-8").result(metrics.scrape()));
    app.post("/v1/endpoints/{endpoint}/predictions", ctx -> ingest(ctx, Table.PREDICTIONS));
    app.post("/v1/endpoints/{endpoint}/feedback", ctx -> ingest(ctx, Table.FEEDBACK));
    app.post("/v1/endpoints/{endpoint}/events", ctx -> ingest(ctx, Table.EVENTS));
    app.post("/v1/query", queries::handle);
    app.get("/v1/endpoints", ctx -> ctx.json(lookups.endpoints()));
    app.get("/v1/endpoints/{endpoint}/schema", ctx -> ctx.json(lookups.schema(ctx.pathParam("endpoint"))));
    app.get(
        "/v1/endpoints/{endpoint}/predictions/{id}",
        ctx -> ctx.json(lookups.prediction(ctx.pathParam("endpoint"), ctx.pathParam("id"))));

    app.post("/v1/keys", keysApi::create);
    app.get("/v1/keys", keysApi::list);
    app.delete("/v1/keys/{name}", keysApi::revoke);

    app.exception(
        ApiException.class,
        (e, ctx) -> {
          if (e.status() == 401) {
            ctx.header("WWW-Authenticate", "Bearer");
          }
          refuse(ctx, e.status(), e.getMessage(), e.retryAfterSeconds());
        });
    app.exception(
        Exception.class,
        (e, ctx) -> {
          log.error("request failed: {} {}", ctx.method(), ctx.path(), e);
          refuse(ctx, 500, "internal error (" + e.getClass().getSimpleName() + "); see the server log for request id " + ctx.attribute(REQUEST_ID), null);
        });
    app.error(
        404,
        ctx -> {
          if (ctx.result() == null || ctx.result().isEmpty()) {
            ctx.json(Map.of("error", "no such resource: " + ctx.method() + " " + ctx.path() + "; the API lives under /v1"));
          }
        });
    app.error(
        405,
        ctx -> ctx.json(Map.of("error", "method " + ctx.method() + " is not allowed on " + ctx.path())));
  }

  private void beginRequest(Context ctx) {
    String id = ctx.header("X-Request-ID");
    if (id == null || id.isBlank() || id.length() > 128) {
      id = UUID.randomUUID().toString();
    }
    ctx.attribute(REQUEST_ID, id);
    ctx.attribute("start", System.nanoTime());
    ctx.header("X-Request-ID", id);
    MDC.put(REQUEST_ID, id);
  }

  private void endRequest(Context ctx) {
    Long start = ctx.attribute("start");
    if (start != null && !ctx.path().equals("/health") && !ctx.path().equals("/metrics")) {
      accessLog.info(
          "{} {} {} {}ms",
          ctx.method(),
          ctx.path(),
          ctx.statusCode(),
          (System.nanoTime() - start) / 1_000_000);
    }
    MDC.remove(REQUEST_ID);
  }

  private void refuse(Context ctx, int status, String message, String retryAfter) {
    metrics.requestRefused(status);
    if (retryAfter != null) {
      ctx.header("Retry-After", retryAfter);
    }
    if (ctx.req().getContentLengthLong() > 0 || ctx.header("Transfer-Encoding") != null) {
      // The body may be partly unread, and then Jetty drops the connection after the answer; a
      // client that reused it would see its next request fail. Saying so makes it open a new one.
      ctx.header("Connection", "close");
    }
    ctx.status(status).json(Map.of("error", message));
  }

  private void ingest(Context ctx, Table table) throws IOException {
    if (!ingestSlots.tryAcquire()) {
      throw new ApiException(
          503, "too many ingest requests at once (ingest.max-concurrent-requests); retry shortly", "1");
    }
    try {
      ctx.contentType("application/json").result(ingestBody(ctx, table));
    } finally {
      ingestSlots.release();
    }
  }

  private byte[] ingestBody(Context ctx, Table table) throws IOException {
    IngestService.Format format = format(ctx.header("Content-Type"));
    long declared = ctx.req().getContentLengthLong();
    if (declared > maxBodyBytes) {
      throw tooLarge();
    }
    BoundedInputStream raw = new BoundedInputStream(ctx.req().getInputStream(), maxBodyBytes, this::tooLarge);
    InputStream body = raw;
    String encoding = ctx.header("Content-Encoding");
    if (encoding != null && !encoding.isBlank() && !encoding.equalsIgnoreCase("identity")) {
      if (!encoding.equalsIgnoreCase("gzip")) {
        throw new ApiException(415, "Content-Encoding '" + encoding + "' is not supported; send gzip or no encoding");
      }
      body = new BoundedInputStream(GzipBody.open(raw), maxBodyBytes, this::tooLarge)
          .expandingAtMost(maxGzipRatio, raw::count, this::zipBomb);
    }
    try {
      return ingest.ingest(table, ctx.pathParam("endpoint"), format, body, ctx.header("Idempotency-Key"));
    } catch (java.util.zip.ZipException | java.io.EOFException e) {
      throw ApiException.badRequest(
          "the body could not be read: "
              + (e.getMessage() == null ? "the connection closed before the whole body arrived" : e.getMessage())
              + "; nothing was stored");
    }
  }

  private ApiException zipBomb() {
    return new ApiException(
        413,
        "the gzip body expands more than " + maxGzipRatio + " times (ingest.max-gzip-ratio); it was refused, not inflated");
  }

  private ApiException tooLarge() {
    return new ApiException(
        413,
        "the body is larger than the limit of " + maxBodyBytes + " bytes (ingest.max-body-bytes) once decompressed;"
            + " split it into smaller batches");
  }

  static IngestService.Format format(String contentType) {
    if (contentType == null || contentType.isBlank()) {
      return IngestService.Format.JSON;
    }
    String base = contentType.split(";", 2)[0].trim().toLowerCase(Locale.ROOT);
    switch (base) {
      case "application/json":
        return IngestService.Format.JSON;
      case "application/x-ndjson":
      case "application/ndjson":
      case "application/jsonl":
      case "application/x-jsonlines":
        return IngestService.Format.NDJSON;
      default:
        throw new ApiException(
            415,
            "Content-Type '" + base + "' is not supported; send application/json (an object or an array)"
                + " or application/x-ndjson (one object per line)");
    }
  }

  public void start() {
    app.start();
  }

  public int port() {
    return app.port();
  }

  public void stop() {
    app.stop();
  }

  /** For query handling: the parsed request body. */
  static JsonNode body(Context ctx, ObjectMapper json) {
    try {
      return json.readTree(ctx.bodyInputStream());
    } catch (IOException e) {
      throw ApiException.badRequest("the body is not valid JSON: " + e.getMessage());
    }
  }
}
