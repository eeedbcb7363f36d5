package io.hindsight.server.http;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.hindsight.server.ApiException;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.hindsight.server.monitor.MetricNames;
import io.hindsight.server.monitor.MetricStore;
import io.hindsight.server.monitor.Monitor;
import io.hindsight.server.monitor.Reports;
import io.hindsight.server.web.ReportPage;
import io.hindsight.server.monitor.MonitoringConfig;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import io.hindsight.server.monitor.MonitoringConfigs;
import io.javalin.http.Context;
import java.io.IOException;

/** {@code /v1/endpoints/{e}/monitoring}: an endpoint's monitoring config (put: admin; get: read). */
final class MonitoringApi {
  /** A monitoring config is a few hundred bytes; derived SQL may make it a few kilobytes. */
  private static final long MAX_BODY_BYTES = 256 * 1024;

  private final MonitoringConfigs configs;
  private final MetricStore store;
  private final Monitor monitor;
  private final Reports reports;
  private final Clock clock;
  private final ObjectMapper json;
  private final RequestBodies bodies;

  MonitoringApi(
      MonitoringConfigs configs, Monitor monitor, MetricStore store, Clock clock, ObjectMapper json, RequestBodies bodies) {
    this.configs = configs;
    this.monitor = monitor;
    this.reports = new Reports(monitor, store, configs, clock);
    this.store = store;
    this.clock = clock;
    this.json = json;
    this.bodies = bodies;
  }

  /** {@code GET /v1/endpoints/{e}/metrics?metric=&column=&segment=&granularity=&from=&to=}: a series from the store. */
  void series(Context ctx, String endpoint) throws IOException {
    String metric = ctx.queryParam("metric");
    if (metric == null || metric.isBlank()) {
      throw ApiException.badRequest("'metric' is missing; one of: " + MetricNames.all());
    }
    if (!MetricNames.known(metric)) {
      throw ApiException.badRequest("unknown metric '" + metric + "'; one of: " + MetricNames.all());
    }
    String column = ctx.queryParam("column");
    if (MetricNames.perColumn(metric) && (column == null || column.isBlank())) {
      throw ApiException.badRequest("metric '" + metric + "' is per column: add column=<a feature, e.g. amount>");
    }
    if (!MetricNames.perColumn(metric)) {
      column = null;
    }
    String granularity = ctx.queryParamAsClass("granularity", String.class).getOrDefault("1h");
    if (!granularity.equals("1h") && !granularity.equals("1d")) {
      throw ApiException.badRequest("'granularity' must be 1h or 1d, not '" + granularity + "'");
    }
    Instant to = instant(ctx, "to", now());
    Instant from = instant(ctx, "from", to.minus(granularity.equals("1h") ? Duration.ofDays(1) : Duration.ofDays(30)));
    if (!from.isBefore(to)) {
      throw ApiException.badRequest("'from' (" + from + ") must be before 'to' (" + to + ")");
    }
    String segment = ctx.queryParamAsClass("segment", String.class).getOrDefault("");
    ObjectNode out = json.createObjectNode();
    ArrayNode points = out.putArray("points");
    for (MetricStore.Point p : store.series(endpoint, metric, column, segment, granularity, from, to)) {
      ObjectNode o = points.addObject();
      o.put("window_start", p.windowStart().toString());
      o.put("value", p.value());
      o.put("rows", p.rows());
    }
    ctx.contentType("application/json").result(json.writeValueAsBytes(out));
  }

  /** {@code GET /v1/endpoints/{e}/drift?from=&to=[&reference_from=&reference_to=][&segment=][&method=]}. */
  void drift(Context ctx, String endpoint) throws IOException {
    Instant to = instant(ctx, "to", now());
    Instant from = instant(ctx, "from", to.minus(Duration.ofDays(1)));
    Monitor.DriftQuery q =
        new Monitor.DriftQuery(
            from,
            to,
            instant(ctx, "reference_from", null),
            instant(ctx, "reference_to", null),
            ctx.queryParam("segment"),
            ctx.queryParam("method"));
    ctx.contentType("application/json").result(json.writeValueAsBytes(monitor.drift(endpoint, q, json)));
  }

  /** {@code GET /v1/endpoints/{e}/evaluation?from=&to=[&by=model_version|tags.<t>]}. */
  void evaluation(Context ctx, String endpoint) throws IOException {
    Instant to = instant(ctx, "to", now());
    Instant from = instant(ctx, "from", to.minus(Duration.ofDays(1)));
    Monitor.EvaluationQuery q = new Monitor.EvaluationQuery(from, to, ctx.queryParam("by"));
    ctx.contentType("application/json").result(json.writeValueAsBytes(monitor.evaluation(endpoint, q, json)));
  }

  /** {@code GET /v1/endpoints/{e}/report?from=&to=}: one self-contained HTML page. */
  void report(Context ctx, String endpoint) throws IOException {
    Instant to = instant(ctx, "to", now());
    Instant from = instant(ctx, "from", to.minus(Duration.ofDays(1)));
    if (!from.isBefore(to)) {
      throw ApiException.badRequest("'from' (" + from + ") must be before 'to' (" + to + ")");
    }
    ctx.contentType("text/html; charset=utf-8").result(ReportPage.render(reports.gather(endpoint, from, to, json)));
  }

  /** The default end of a period: now, rounded up to the second so that what was just logged is in. */
  private Instant now() {
    return clock.instant().truncatedTo(java.time.temporal.ChronoUnit.SECONDS).plusSeconds(1);
  }

  /** An ISO-8601 time from the query string, or {@code otherwise}; 400 naming the parameter. */
  static Instant instant(Context ctx, String name, Instant otherwise) {
    String v = ctx.queryParam(name);
    if (v == null || v.isBlank()) {
      return otherwise;
    }
    try {
      return MonitoringConfig.instant(name, v);
    } catch (IllegalArgumentException e) {
      throw ApiException.badRequest(e.getMessage());
    }
  }

  void put(Context ctx, String endpoint) throws IOException {
    JsonNode body = bodies.json(ctx, json, MAX_BODY_BYTES, "a fixed limit of the monitoring API");
    MonitoringConfig config;
    try {
      config = MonitoringConfig.parse(body);
    } catch (IllegalArgumentException e) {
      throw ApiException.badRequest(e.getMessage());
    }
    configs.put(endpoint, config);
    reply(ctx, config);
  }

  void get(Context ctx, String endpoint) throws IOException {
    MonitoringConfig config = configs.get(endpoint);
    if (config == null) {
      throw ApiException.notFound(
          "endpoint '" + endpoint + "' has no monitoring config; PUT one to /v1/endpoints/" + endpoint + "/monitoring");
    }
    reply(ctx, config);
  }

  private void reply(Context ctx, MonitoringConfig config) throws IOException {
    ctx.contentType("application/json").result(json.writeValueAsBytes(config.toJson(json)));
  }
}
