package io.hindsight.server.http;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.hindsight.server.ApiException;
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
import java.util.zip.GZIPInputStream;
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
  private static final Logger access = LoggerFactory.getLogger("hindsight.access");
  private static final String REQUEST_ID = "request_id";

  private final Javalin app;
  private final IngestService ingest;
  private final QueryApi queries;
  private final LookupApi lookups;
  private final ServerMetrics metrics;
  private final long maxBodyBytes;

  public ApiServer(
      IngestService ingest,
      QueryEngine engine,
      LookupApi lookups,
      ServerMetrics metrics,
      ObjectMapper json,
      long maxBodyBytes) {
    this.ingest = ingest;
    this.lookups = lookups;
    this.metrics = metrics;
    this.maxBodyBytes = maxBodyBytes;
    this.queries = new QueryApi(engine, json, metrics);
    this.app =
        Javalin.create(
            config -> {
              config.showJavalinBanner = false;
              config.startupWatcherEnabled = false;
              config.http.maxRequestSize = maxBodyBytes;
              config.jsonMapper(new JavalinJackson(json, false));
            });
    routes();
  }

  private void routes() {
    app.before(this::beginRequest);
    app.after(this::endRequest);
    app.get("/health", ctx -> ctx.json(Map.of("status", "ok")));
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

    app.exception(ApiException.class, (e, ctx) -> refuse(ctx, e.status(), e.getMessage(), e.retryAfterSeconds()));
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
      access.info(
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
    ctx.status(status).json(Map.of("error", message));
  }

  private void ingest(Context ctx, Table table) throws IOException {
    IngestService.Format format = format(ctx.header("Content-Type"));
    long declared = ctx.req().getContentLengthLong();
    if (declared > maxBodyBytes) {
      throw tooLarge();
    }
    InputStream body = new BoundedInputStream(ctx.req().getInputStream(), maxBodyBytes, this::tooLarge);
    String encoding = ctx.header("Content-Encoding");
    if (encoding != null && !encoding.isBlank() && !encoding.equalsIgnoreCase("identity")) {
      if (!encoding.equalsIgnoreCase("gzip")) {
        throw new ApiException(415, "Content-Encoding '" + encoding + "' is not supported; send gzip or no encoding");
      }
      try {
        body = new BoundedInputStream(new GZIPInputStream(body, 64 * 1024), maxBodyBytes, this::tooLarge);
      } catch (java.util.zip.ZipException | java.io.EOFException e) {
        throw ApiException.badRequest("the body is not valid gzip: " + e.getMessage() + "; nothing was stored");
      }
    }
    byte[] answer;
    try {
      answer = ingest.ingest(table, ctx.pathParam("endpoint"), format, body, ctx.header("Idempotency-Key"));
    } catch (java.util.zip.ZipException | java.io.EOFException e) {
      throw ApiException.badRequest("the body could not be read: " + e.getMessage() + "; nothing was stored");
    }
    ctx.contentType("application/json").result(answer);
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

  public void start(String host, int port) {
    app.start(host, port);
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
