package io.hindsight.server.http;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.hindsight.server.ApiException;
import io.hindsight.server.monitor.MonitoringConfig;
import io.hindsight.server.monitor.MonitoringConfigs;
import io.javalin.http.Context;
import java.io.IOException;

/** {@code /v1/endpoints/{e}/monitoring}: an endpoint's monitoring config (put: admin; get: read). */
final class MonitoringApi {
  /** A monitoring config is a few hundred bytes; derived SQL may make it a few kilobytes. */
  private static final long MAX_BODY_BYTES = 256 * 1024;

  private final MonitoringConfigs configs;
  private final ObjectMapper json;
  private final RequestBodies bodies;

  MonitoringApi(MonitoringConfigs configs, ObjectMapper json, RequestBodies bodies) {
    this.configs = configs;
    this.json = json;
    this.bodies = bodies;
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
