package io.hindsight.server.http;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.hindsight.server.ApiException;
import io.hindsight.server.auth.ApiKey;
import io.hindsight.server.auth.ApiKeys;
import io.hindsight.server.auth.Scope;
import io.javalin.http.Context;
import java.io.IOException;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;

/** {@code /v1/keys} (admin scope): create a key (its secret is shown once), list keys, revoke one. */
final class KeysApi {
  private final ApiKeys keys;
  /** A key request is a name, scopes and endpoint names; far less than this. */
  private static final long MAX_BODY_BYTES = 64 * 1024;

  private final ObjectMapper json;
  private final RequestBodies bodies;

  KeysApi(ApiKeys keys, ObjectMapper json, RequestBodies bodies) {
    this.keys = keys;
    this.json = json;
    this.bodies = bodies;
  }

  void create(Context ctx) throws IOException {
    JsonNode body = bodies.json(ctx, json, MAX_BODY_BYTES, "a fixed limit of the keys API");
    Set<Scope> scopes = EnumSet.noneOf(Scope.class);
    List<String> endpoints = new ArrayList<>();
    try {
      body.path("scopes").forEach(s -> scopes.add(Scope.parse(s.asText())));
      body.path("endpoints").forEach(e -> endpoints.add(e.asText()));
      ApiKeys.Created created = keys.create(body.path("name").asText(null), scopes, endpoints);
      ObjectNode out = describe(created.entry());
      out.put("key", created.key());
      ctx.status(201).contentType("application/json").result(json.writeValueAsBytes(out));
    } catch (IllegalArgumentException e) {
      throw ApiException.badRequest(e.getMessage());
    }
  }

  void list(Context ctx) throws IOException {
    ArrayNode arr = json.createArrayNode();
    for (ApiKey k : keys.list()) {
      arr.add(describe(k));
    }
    ctx.contentType("application/json").result(json.writeValueAsBytes(json.createObjectNode().set("keys", arr)));
  }

  void revoke(Context ctx) throws IOException {
    int n = keys.revoke(ctx.pathParam("name"));
    if (n == 0) {
      throw ApiException.notFound("no live key named '" + ctx.pathParam("name") + "'");
    }
    ctx.json(java.util.Map.of("revoked", n));
  }

  private ObjectNode describe(ApiKey k) {
    ObjectNode o = keys.toJson(k);
    o.remove("salt");
    o.remove("hash");
    return o;
  }
}
