package io.hindsight.server.http;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.hindsight.server.ApiException;
import io.hindsight.server.alert.AlertEngine;
import io.hindsight.server.alert.AlertRule;
import io.hindsight.server.alert.Notifier;
import io.hindsight.server.alert.RuleStatus;
import io.hindsight.server.alert.Silence;
import io.hindsight.server.ingest.IngestService;
import io.javalin.http.Context;
import java.io.IOException;

/**
 * {@code /v1/alerts} (DESIGN §11): rules with their state, notifiers, silences. Changing anything
 * needs the admin scope; reading rules and silences needs read (notifier URLs may hold secrets,
 * such as a Slack webhook's, so listing notifiers is admin only).
 */
final class AlertsApi {
  private static final long MAX_BODY_BYTES = 64 * 1024;

  private final AlertEngine engine;
  private final ObjectMapper json;
  private final RequestBodies bodies;

  AlertsApi(AlertEngine engine, ObjectMapper json, RequestBodies bodies) {
    this.engine = engine;
    this.json = json;
    this.bodies = bodies;
  }

  void list(Context ctx) throws IOException {
    ObjectNode out = json.createObjectNode();
    ArrayNode rules = out.putArray("rules");
    engine.rules().forEach(r -> rules.add(r.toJson()));
    ArrayNode silences = out.putArray("silences");
    engine.silences().forEach(s -> silences.add(s.toJson()));
    reply(ctx, out);
  }

  void putRule(Context ctx) throws IOException {
    JsonNode body = body(ctx);
    RuleStatus status;
    try {
      AlertRule rule = AlertRule.fromJson(ctx.pathParam("name"), body);
      IngestService.checkEndpointName(rule.endpoint());
      status = engine.putRule(rule);
    } catch (IllegalArgumentException e) {
      throw ApiException.badRequest(e.getMessage());
    }
    reply(ctx, status.toJson());
  }

  void getRule(Context ctx) throws IOException {
    RuleStatus status =
        engine.rule(ctx.pathParam("name"))
            .orElseThrow(() -> ApiException.notFound("no alert rule named '" + ctx.pathParam("name") + "'"));
    reply(ctx, status.toJson());
  }

  void deleteRule(Context ctx) throws IOException {
    if (!engine.deleteRule(ctx.pathParam("name"))) {
      throw ApiException.notFound("no alert rule named '" + ctx.pathParam("name") + "'");
    }
    ctx.status(204);
  }

  void putNotifier(Context ctx) throws IOException {
    JsonNode body = body(ctx);
    try {
      reply(ctx, engine.putNotifier(Notifier.fromJson(ctx.pathParam("name"), body)).toJson());
    } catch (IllegalArgumentException e) {
      throw ApiException.badRequest(e.getMessage());
    }
  }

  void notifiers(Context ctx) throws IOException {
    ObjectNode out = json.createObjectNode();
    ArrayNode list = out.putArray("notifiers");
    engine.notifiers().forEach(n -> list.add(n.toJson()));
    reply(ctx, out);
  }

  void deleteNotifier(Context ctx) throws IOException {
    boolean deleted;
    try {
      deleted = engine.deleteNotifier(ctx.pathParam("name"));
    } catch (IllegalArgumentException e) {
      throw new ApiException(409, e.getMessage());
    }
    if (!deleted) {
      throw ApiException.notFound("no notifier named '" + ctx.pathParam("name") + "'");
    }
    ctx.status(204);
  }

  void silence(Context ctx) throws IOException {
    JsonNode body = body(ctx);
    try {
      Silence s = Silence.fromJson(body);
      reply(ctx.status(201), engine.silence(s.rule(), s.until()).toJson());
    } catch (IllegalArgumentException e) {
      throw ApiException.badRequest(e.getMessage());
    }
  }

  void silences(Context ctx) throws IOException {
    ObjectNode out = json.createObjectNode();
    ArrayNode list = out.putArray("silences");
    engine.silences().forEach(s -> list.add(s.toJson()));
    reply(ctx, out);
  }

  private JsonNode body(Context ctx) throws IOException {
    return bodies.json(ctx, json, MAX_BODY_BYTES, "a fixed limit of the alerts API");
  }

  private void reply(Context ctx, JsonNode body) throws IOException {
    ctx.contentType("application/json").result(json.writeValueAsBytes(body));
  }
}
