package io.hindsight.server.http;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.hindsight.server.ApiException;
import io.hindsight.server.ServerConfig;
import io.hindsight.server.auth.AccessControl;
import io.hindsight.server.auth.ApiKey;
import io.hindsight.server.ingest.IngestService;
import io.hindsight.server.alert.AlertEngine;
import io.hindsight.server.audit.AuditTrails;
import io.hindsight.server.monitor.MetricStore;
import io.hindsight.server.monitor.Monitor;
import io.hindsight.server.monitor.MonitoringConfigs;
import io.hindsight.server.ops.ServerMetrics;
import io.hindsight.server.query.QueryEngine;
import io.hindsight.server.query.StoreLookups;
import io.hindsight.server.schema.Table;
import io.javalin.Javalin;
import io.javalin.http.Context;
import io.javalin.json.JavalinJackson;
import java.io.IOException;
import java.io.InputStream;
import java.net.BindException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.Semaphore;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.ServerConnector;
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
  /** The request passed access control for the route it matched (see {@link #authorize}). */
  private static final String AUTHORIZED = "authorized";
  /** The API key of the caller, when keys are in force. */
  static final String CALLER = "caller";

  private final Javalin app;
  private final IngestService ingest;
  private final QueryApi queries;
  private final StoreLookups lookups;
  private final KeysApi keysApi;
  private final AccessControl access;
  private final ServerMetrics metrics;
  private final long maxBodyBytes;
  private final int maxGzipRatio;
  private final Semaphore ingestSlots;
  private final int readAheadBytes;
  private final RequestBodies bodies;
  private final MonitoringApi monitoringApi;
  private final AlertsApi alertsApi;
  private final ExplorerApi explorerApi;
  private final UiRoutes ui;
  private final AuditApi auditApi;

  private final String host;
  private final int port;
  private volatile boolean started;

  public ApiServer(
      ServerConfig config,
      IngestService ingest,
      QueryEngine engine,
      StoreLookups lookups,
      AccessControl access,
      MonitoringConfigs monitoring,
      Monitor monitor,
      MetricStore metricStore,
      AlertEngine alerts,
      AuditTrails audit,
      java.time.Clock clock,
      ServerMetrics metrics,
      ObjectMapper json) {
    this.host = config.host;
    this.port = config.port;
    this.ingest = ingest;
    this.lookups = lookups;
    this.access = access;
    this.metrics = metrics;
    this.maxBodyBytes = config.ingest.maxBodyBytes;
    this.maxGzipRatio = config.ingest.maxGzipRatio;
    this.ingestSlots = new Semaphore(config.ingest.maxConcurrentRequests);
    this.readAheadBytes = config.ingest.readAheadBytes;
    this.bodies = new RequestBodies(config.http, metrics);
    this.queries = new QueryApi(engine, json, metrics, bodies, config.query.maxBodyBytes);
    this.keysApi = new KeysApi(access.keys(), json, bodies);
    this.alertsApi = new AlertsApi(alerts, json, bodies);
    this.monitoringApi = new MonitoringApi(monitoring, monitor, metricStore, clock, json, bodies);
    this.explorerApi =
        new ExplorerApi(engine, lookups, queries, json, clock, config.dataDir.resolve("tmp").resolve("exports"), config.query.maxRows);
    this.ui = new UiRoutes(access, new UiSessions(clock, UiRoutes.SESSION_LIFETIME), config.tls.enabled());
    this.auditApi = new AuditApi(audit, json, bodies);
    this.app =
        Javalin.create(
            c -> {
              c.showJavalinBanner = false;
              c.startupWatcherEnabled = false;
              c.http.maxRequestSize = maxBodyBytes;
              c.jsonMapper(new JavalinJackson(json, false));
              c.jetty.modifyHttpConfiguration(
                  http -> {
                    http.setMinRequestDataRate(config.http.minBodyBytesPerSecond);
                    // While a handler runs; BodyDeadline shortens it to the time left for the body.
                    http.setIdleTimeout(config.http.bodyTimeout.toMillis());
                  });
              // Stopping answers in-flight requests (Javalin counts them) for at most this long.
              c.jetty.modifyServer(server -> server.setStopTimeout(config.shutdownTimeout.toMillis() * 2 / 5));
              c.jetty.addConnector(
                  (server, http) -> {
                    ServerConnector connector = Connectors.create(server, http, config.host, config.port, config.tls);
                    connector.addBean(new HeaderDeadline(connector, config.http.headerTimeout, metrics));
                    // Stopping closes idle keep-alive connections at once instead of after Jetty's default second.
                    connector.setShutdownIdleTimeout(50);
                    return connector;
                  });
            });
    routes();
  }

  private void routes() {
    app.before(this::beginRequest);
    app.before(ctx -> access.admitClient(remoteAddress(ctx)));
    app.beforeMatched(this::authorize);
    app.after(this::endRequest);
    app.get("/health", ctx -> ctx.json(metrics.health().report()), RouteAccess.OPEN);
    // Load balancers probe with HEAD; other HEAD requests match no declared route (admin only).
    app.head("/health", ctx -> ctx.status(200), RouteAccess.OPEN);
    app.get(
        "/metrics",
        ctx -> ctx.contentType("text/plain; version=0.0.4; charset=utf-8").result(metrics.scrape()),
        RouteAccess.READ);
    app.post("/v1/endpoints/{endpoint}/predictions", ctx -> ingest(ctx, Table.PREDICTIONS), RouteAccess.WRITE);
    app.post("/v1/endpoints/{endpoint}/feedback", ctx -> ingest(ctx, Table.FEEDBACK), RouteAccess.WRITE);
    app.post("/v1/endpoints/{endpoint}/events", ctx -> ingest(ctx, Table.EVENTS), RouteAccess.WRITE);
    app.post("/v1/query", queries::handle, RouteAccess.READ);
    app.get("/v1/endpoints", ctx -> ctx.json(lookups.endpoints()), RouteAccess.READ);
    app.get(
        "/v1/endpoints/{endpoint}/schema", ctx -> ctx.json(lookups.schema(endpoint(ctx))), RouteAccess.READ);
    app.get("/v1/endpoints/{endpoint}/predictions", ctx -> explorerApi.handle(ctx, endpoint(ctx)), RouteAccess.READ);
    app.get(
        "/v1/endpoints/{endpoint}/predictions/{id}",
        ctx -> ctx.json(lookups.prediction(endpoint(ctx), ctx.pathParam("id"), lookupDate(ctx))),
        RouteAccess.READ);

    app.put("/v1/endpoints/{endpoint}/audit", ctx -> auditApi.putSettings(ctx, endpoint(ctx)), RouteAccess.ADMIN);
    app.get("/v1/endpoints/{endpoint}/audit", ctx -> auditApi.getSettings(ctx, endpoint(ctx)), RouteAccess.READ);
    app.get("/v1/audit/key", auditApi::key, RouteAccess.READ);
    app.get("/v1/endpoints/{endpoint}/audit/checkpoint", ctx -> auditApi.checkpoint(ctx, endpoint(ctx)), RouteAccess.READ);
    app.get("/v1/endpoints/{endpoint}/audit/proof/{id}", ctx -> auditApi.proof(ctx, endpoint(ctx)), RouteAccess.READ);
    app.get("/v1/endpoints/{endpoint}/audit/consistency", ctx -> auditApi.consistency(ctx, endpoint(ctx)), RouteAccess.READ);
    app.put("/v1/endpoints/{endpoint}/monitoring", ctx -> monitoringApi.put(ctx, endpoint(ctx)), RouteAccess.ADMIN);
    app.get("/v1/endpoints/{endpoint}/monitoring", ctx -> monitoringApi.get(ctx, endpoint(ctx)), RouteAccess.READ);
    app.get("/v1/endpoints/{endpoint}/metrics", ctx -> monitoringApi.series(ctx, endpoint(ctx)), RouteAccess.READ);
    app.get("/v1/endpoints/{endpoint}/drift", ctx -> monitoringApi.drift(ctx, endpoint(ctx)), RouteAccess.READ);
    app.get("/v1/endpoints/{endpoint}/evaluation", ctx -> monitoringApi.evaluation(ctx, endpoint(ctx)), RouteAccess.READ);
    app.get("/v1/endpoints/{endpoint}/report", ctx -> monitoringApi.report(ctx, endpoint(ctx)), RouteAccess.READ);

    app.get("/v1/alerts", alertsApi::list, RouteAccess.READ);
    app.put("/v1/alerts/rules/{name}", alertsApi::putRule, RouteAccess.ADMIN);
    app.get("/v1/alerts/rules/{name}", alertsApi::getRule, RouteAccess.READ);
    app.delete("/v1/alerts/rules/{name}", alertsApi::deleteRule, RouteAccess.ADMIN);
    app.get("/v1/alerts/notifiers", alertsApi::notifiers, RouteAccess.ADMIN);
    app.put("/v1/alerts/notifiers/{name}", alertsApi::putNotifier, RouteAccess.ADMIN);
    app.delete("/v1/alerts/notifiers/{name}", alertsApi::deleteNotifier, RouteAccess.ADMIN);
    app.get("/v1/alerts/silences", alertsApi::silences, RouteAccess.READ);
    app.post("/v1/alerts/silences", alertsApi::silence, RouteAccess.ADMIN);

    ui.register(app);

    app.post("/v1/keys", keysApi::create, RouteAccess.ADMIN);
    app.get("/v1/keys", keysApi::list, RouteAccess.ADMIN);
    app.delete("/v1/keys/{name}", keysApi::revoke, RouteAccess.ADMIN);

    app.exception(ApiException.class, (e, ctx) -> refuse(ctx, e));
    app.exception(
        Exception.class,
        (e, ctx) -> {
          log.error("request failed: {} {}", ctx.method(), ctx.path(), e);
          refuse(ctx, 500, "internal error (" + e.getClass().getSimpleName() + "); see the server log for request id " + ctx.attribute(REQUEST_ID), null);
        });
    app.error(
        404,
        ctx -> {
          if (refusedUnmatched(ctx)) {
            return;
          }
          if (ctx.result() == null || ctx.result().isEmpty()) {
            ctx.json(Map.of("error", "no such resource: " + ctx.method() + " " + ctx.path() + "; the API lives under /v1"));
          }
        });
    app.error(
        405,
        ctx -> {
          if (!refusedUnmatched(ctx)) {
            ctx.json(Map.of("error", "method " + ctx.method() + " is not allowed on " + ctx.path()));
          }
        });
  }

  /**
   * Access for a request the router matched to a route, decided on that route (not on the raw
   * path, which a trailing slash, a letter case or an encoding can disguise), with the endpoint
   * as the handler will see it.
   */
  private void authorize(Context ctx) {
    RouteAccess route = RouteAccess.of(ctx.routeRoles());
    if (route != RouteAccess.OPEN) {
      ApiKey session = ui.sessionCaller(ctx);
      ApiKey key = session != null ? session : access.authenticate(ctx.header("Authorization"));
      // Write routes without an endpoint in the path (uploads' jobs) check the body's endpoint themselves.
      access.authorize(key, route.scope, route == RouteAccess.WRITE ? ctx.pathParamMap().get("endpoint") : null);
      ctx.attribute(CALLER, key);
    }
    ctx.attribute(AUTHORIZED, true);
  }

  /**
   * A request no route matched is answered 404 only to a caller who may see it: with keys in
   * force, it needs a valid key like any other, so an unknown path says nothing to a stranger.
   */
  private boolean refusedUnmatched(Context ctx) {
    if (ctx.attribute(AUTHORIZED) != null) {
      return false;
    }
    try {
      access.authenticate(ctx.header("Authorization"));
      return false;
    } catch (ApiException e) {
      refuse(ctx, e);
      return true;
    }
  }

  private static InetAddress remoteAddress(Context ctx) {
    java.net.InetSocketAddress remote = Request.getBaseRequest(ctx.req()).getRemoteInetSocketAddress();
    return remote == null ? null : remote.getAddress();
  }

  /** The endpoint named in the path, checked against the naming rule. */
  private static String endpoint(Context ctx) {
    String endpoint = ctx.pathParam("endpoint");
    IngestService.checkEndpointName(endpoint);
    return endpoint;
  }

  /** The optional {@code ?date=YYYY-MM-DD} of a lookup: the partition to look in. */
  private static java.time.LocalDate lookupDate(Context ctx) {
    String date = ctx.queryParam("date");
    if (date == null) {
      return null;
    }
    try {
      return java.time.LocalDate.parse(date);
    } catch (java.time.format.DateTimeParseException e) {
      throw ApiException.badRequest("'date' must be a day as YYYY-MM-DD (the record's date partition), not '" + date + "'");
    }
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

  private void refuse(Context ctx, ApiException e) {
    if (e.status() == 401) {
      ctx.header("WWW-Authenticate", "Bearer");
    }
    refuse(ctx, e.status(), e.getMessage(), e.retryAfterSeconds());
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
    IngestService.Format format = format(ctx.header("Content-Type"));
    boolean gzip = gzip(ctx.header("Content-Encoding"));
    if (ctx.req().getContentLengthLong() > maxBodyBytes) {
      throw tooLarge();
    }
    // Receive the start of the body before taking a slot: most bodies are whole by then, and a
    // client that sends slowly waits on its own time instead of holding a slot others need.
    InputStream received = RequestBodies.readAhead(bodies.open(ctx), readAheadBytes);
    if (!ingestSlots.tryAcquire()) {
      throw new ApiException(
          503, "too many ingest requests at once (ingest.max-concurrent-requests); retry shortly", "1");
    }
    try {
      ctx.contentType("application/json").result(ingestBody(ctx, table, format, gzip, received));
    } finally {
      ingestSlots.release();
    }
  }

  private byte[] ingestBody(Context ctx, Table table, IngestService.Format format, boolean gzip, InputStream received)
      throws IOException {
    BoundedInputStream raw = new BoundedInputStream(received, maxBodyBytes, this::tooLarge);
    InputStream body = raw;
    if (gzip) {
      body = new BoundedInputStream(GzipBody.open(raw), maxBodyBytes, this::tooLarge)
          .expandingAtMost(maxGzipRatio, raw::count, this::zipBomb);
    }
    ApiKey caller = ctx.attribute(CALLER);
    try {
      return ingest.ingest(
          table, ctx.pathParam("endpoint"), format, body, ctx.header("Idempotency-Key"), caller == null ? null : caller.id());
    } catch (java.util.zip.ZipException | java.io.EOFException e) {
      throw ApiException.badRequest(
          "the body could not be read: "
              + (e.getMessage() == null ? "the connection closed before the whole body arrived" : e.getMessage())
              + "; nothing was stored");
    }
  }

  private static boolean gzip(String encoding) {
    if (encoding == null || encoding.isBlank() || encoding.equalsIgnoreCase("identity")) {
      return false;
    }
    if (!encoding.equalsIgnoreCase("gzip")) {
      throw new ApiException(415, "Content-Encoding '" + encoding + "' is not supported; send gzip or no encoding");
    }
    return true;
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
      case "application/x-jackson-smile":
        return IngestService.Format.SMILE;
      default:
        throw new ApiException(
            415,
            "Content-Type '" + base + "' is not supported; send application/json (an object or an array),"
                + " application/x-ndjson (one object per line) or application/x-jackson-smile (binary JSON)");
    }
  }

  /**
   * Answers only what the process's role serves (DESIGN §14): an ingest node the ingest API, a
   * writer nothing, monitor and query nodes everything but ingest; health and metrics everywhere.
   * Before {@link #start()}.
   */
  public void role(io.hindsight.server.Role role) {
    app.beforeMatched(
        ctx -> {
          String route = ctx.endpointHandlerPath();
          boolean ops = route.equals("/health") || route.equals("/metrics");
          boolean ingestRoute = ctx.method() == io.javalin.http.HandlerType.POST
              && route.matches("/v1/endpoints/\\{endpoint}/(predictions|feedback|events)");
          boolean served = switch (role) {
            case ALL -> true;
            case INGEST -> ops || ingestRoute;
            case WRITER -> ops;
            case MONITOR, QUERY -> !ingestRoute;
          };
          if (!served) {
            throw new ApiException(
                404,
                "this server runs role " + role.publicName() + ", which does not answer " + ctx.method() + " " + ctx.path()
                    + " (besides /health and /metrics it answers " + switch (role) {
                      case INGEST -> "the ingest API only";
                      case WRITER -> "nothing";
                      default -> "everything but ingest";
                    } + "); send it to a node of role " + (ingestRoute ? "ingest" : "query or monitor"));
          }
        });
  }

  /** Adds the routes of jobs, deletion and erasure (DESIGN §12); before {@link #start()}. */
  public void jobs(
      io.hindsight.server.jobs.Jobs jobs,
      io.hindsight.server.retention.Retention retention,
      io.hindsight.server.retention.Erasure erasure,
      ObjectMapper json) {
    jobsApi = new JobsApi(jobs, retention, erasure, json, bodies);
    app.get("/v1/jobs", jobsApi::list, RouteAccess.READ);
    app.get("/v1/jobs/{id}", jobsApi::get, RouteAccess.READ);
    app.post("/v1/jobs/{id}/cancel", jobsApi::cancel, RouteAccess.ADMIN);
    app.delete("/v1/jobs/{id}", jobsApi::cancel, RouteAccess.ADMIN);
    app.delete("/v1/endpoints/{endpoint}/data", ctx -> jobsApi.deleteData(ctx, endpoint(ctx)), RouteAccess.ADMIN);
    app.post("/v1/erasure", jobsApi::erase, RouteAccess.ADMIN);
    app.post("/v1/jobs/uploads", jobsApi::openUpload, RouteAccess.WRITE);
    app.post("/v1/jobs/{id}/report", jobsApi::report, RouteAccess.WRITE);
  }

  /** Adds {@code POST /v1/backups} (admin): a consistent copy of the data folder, as a job; after {@link #jobs}, before {@link #start()}. */
  public void backups(io.hindsight.server.backup.Backups backups) {
    app.post("/v1/backups", ctx -> jobsApi.startBackup(ctx, backups), RouteAccess.ADMIN);
  }

  /** Adds {@code GET /v1/media} (DESIGN §14 "Media"), served from the library's roots; before {@link #start()}. */
  public void media(io.hindsight.server.media.MediaLibrary library) {
    app.get("/v1/media", new MediaApi(library)::get, RouteAccess.READ);
  }

  /** Adds {@code POST /v1/jobs/imports} (DESIGN §14); after {@link #jobs}, before {@link #start()}. */
  public void imports(io.hindsight.server.connect.ImportJobs imports) {
    app.post("/v1/jobs/imports", ctx -> jobsApi.startImport(ctx, imports), RouteAccess.ADMIN);
  }

  /** The jobs routes' handlers, set by {@link #jobs}. */
  private JobsApi jobsApi;

  /**
   * Starts listening. A port another process holds is named as such with the way out: Javalin
   * reports a failed bind as its own failure to stop afterwards, which names neither.
   */
  public void start() throws IOException {
    try {
      app.start();
      started = true;
    } catch (Exception e) {
      String bind = bindProblem();
      throw new IOException(bind != null ? bind : "could not start the HTTP server on " + host + ":" + port + ": " + e, e);
    }
  }

  /** Why {@code host:port} cannot be listened on now, with the way out; null when it can. */
  private String bindProblem() {
    try (ServerSocket probe = new ServerSocket()) {
      probe.bind(new InetSocketAddress(host, port));
      return null;
    } catch (BindException e) {
      return String.valueOf(e.getMessage()).contains("in use")
          ? "port " + port + " on " + host + " is in use by another process; stop that one, or give this server another"
              + " port (--port, or port: in the config; 0 picks a free one)"
          : "cannot listen on " + host + ":" + port + " (" + e.getMessage() + "); give --host an address of this machine,"
              + " 127.0.0.1 for this machine only or 0.0.0.0 for all its networks";
    } catch (IOException e) {
      return null;
    }
  }

  public int port() {
    return app.port();
  }

  /** Stops accepting and answers the requests in flight, for at most 40 % of {@code shutdown-timeout}. */
  public void stop() {
    if (!started) {
      return; // a failed start stopped what it had started
    }
    try {
      app.stop();
    } catch (RuntimeException e) {
      log.warn("requests still in flight when stopping were cut off: {}", e.toString());
    }
  }
}
