package io.hindsight.server.http;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.hindsight.server.ApiException;
import io.hindsight.server.audit.AuditSettings;
import io.hindsight.server.audit.AuditTrails;
import io.javalin.http.Context;
import java.io.IOException;

/**
 * The audit API of DESIGN §12: an endpoint's audit settings (put: admin), the public key, the
 * latest checkpoint, inclusion proofs by prediction id and consistency proofs between sizes.
 */
final class AuditApi {
  private static final long MAX_BODY_BYTES = 4 * 1024;

  private final AuditTrails audit;
  private final ObjectMapper json;
  private final RequestBodies bodies;

  AuditApi(AuditTrails audit, ObjectMapper json, RequestBodies bodies) {
    this.audit = audit;
    this.json = json;
    this.bodies = bodies;
  }

  void putSettings(Context ctx, String endpoint) throws IOException {
    JsonNode body = bodies.json(ctx, json, MAX_BODY_BYTES, "a fixed limit of the audit API");
    AuditSettings s;
    try {
      s = AuditSettings.parse(body);
    } catch (IllegalArgumentException e) {
      throw ApiException.badRequest(e.getMessage());
    }
    audit.put(endpoint, s);
    ctx.json(s.toJson());
  }

  void getSettings(Context ctx, String endpoint) {
    AuditSettings s = audit.settings(endpoint);
    ctx.json(s == null ? new AuditSettings(false, null).toJson() : s.toJson());
  }

  void key(Context ctx) {
    ctx.json(audit.publicKey());
  }

  void checkpoint(Context ctx, String endpoint) throws IOException {
    ctx.json(audit.checkpoint(endpoint));
  }

  void proof(Context ctx, String endpoint) throws IOException {
    long leaf = audit.leafOf(endpoint, ctx.pathParam("id"));
    String size = ctx.queryParam("size");
    ctx.json(audit.proof(endpoint, leaf, size == null ? null : number(size, "size")));
  }

  void consistency(Context ctx, String endpoint) throws IOException {
    ctx.json(audit.consistency(endpoint, number(ctx.queryParam("first"), "first"), number(ctx.queryParam("second"), "second")));
  }

  private static long number(String v, String name) {
    if (v == null) {
      throw ApiException.badRequest("'" + name + "' is missing: give a tree size, e.g. " + name + "=100");
    }
    try {
      return Long.parseLong(v);
    } catch (NumberFormatException e) {
      throw ApiException.badRequest("'" + name + "' must be a whole number (a tree size), not '" + v + "'");
    }
  }
}
