package io.hindsight.server.http;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.hindsight.server.ApiException;
import io.hindsight.server.jobs.JobStatus;
import io.hindsight.server.jobs.Jobs;
import io.hindsight.server.retention.Erasure;
import io.hindsight.server.retention.Retention;
import io.javalin.http.Context;
import java.io.IOException;

/**
 * Tracked jobs and the calls that start them (DESIGN §12): {@code GET /v1/jobs}, {@code GET
 * /v1/jobs/{id}}, {@code POST /v1/jobs/{id}/cancel} (or {@code DELETE /v1/jobs/{id}}), {@code DELETE
 * /v1/endpoints/{e}/data}, {@code POST /v1/erasure}, {@code POST /v1/jobs/imports} and {@code POST
 * /v1/backups}. A started job is answered {@code 202 {"id": ...}}.
 *
 * <p>Uploads (an SDK's {@code logBatch}) are jobs their client drives: {@code POST
 * /v1/jobs/uploads {"endpoint", "kind"}} opens one ({@code 201 {"id"}}), {@code POST
 * /v1/jobs/{id}/report {"progress", "counts", "state", "error"}} tells what was done so far, with
 * totals, and ends it with {@code state} done or failed.
 */
final class JobsApi {

  /** An erasure request names an endpoint, a key and a value: a few hundred bytes. */
  private static final long MAX_BODY_BYTES = 64 * 1024;

  private final Jobs jobs;
  private final Retention retention;
  private final Erasure erasure;
  private final ObjectMapper json;
  private final RequestBodies bodies;

  JobsApi(Jobs jobs, Retention retention, Erasure erasure, ObjectMapper json, RequestBodies bodies) {
    this.jobs = jobs;
    this.retention = retention;
    this.erasure = erasure;
    this.json = json;
    this.bodies = bodies;
  }

  void list(Context ctx) throws IOException {
    ObjectNode out = json.createObjectNode();
    ArrayNode list = out.putArray("jobs");
    for (JobStatus s : jobs.list()) {
      list.add(s.toJson(json));
    }
    reply(ctx, 200, out);
  }

  void get(Context ctx) throws IOException {
    JobStatus s =
        jobs.get(ctx.pathParam("id"))
            .orElseThrow(() -> ApiException.notFound("no job with id '" + ctx.pathParam("id") + "'; GET /v1/jobs lists them"));
    reply(ctx, 200, s.toJson(json));
  }

  /** {@code POST /v1/jobs/uploads}. */
  void openUpload(Context ctx) throws IOException {
    com.fasterxml.jackson.databind.JsonNode body = bodies.json(ctx, json, MAX_BODY_BYTES, "a fixed limit of the jobs API");
    String endpoint = body.path("endpoint").asText("");
    if (endpoint.isBlank()) {
      throw new ApiException(400, "an upload names its endpoint: {\"endpoint\": \"fraud-model\", \"kind\": \"predictions\"}");
    }
    mayWrite(ctx, endpoint);
    ObjectNode params = json.createObjectNode().put("endpoint", endpoint).put("kind", body.path("kind").asText("predictions"));
    String id = jobs.open(Jobs.UPLOAD, params);
    ctx.header("Location", "/v1/jobs/" + id);
    reply(ctx, 201, json.createObjectNode().put("id", id));
  }

  /** {@code POST /v1/jobs/{id}/report}. */
  void report(Context ctx) throws IOException {
    com.fasterxml.jackson.databind.JsonNode body = bodies.json(ctx, json, MAX_BODY_BYTES, "a fixed limit of the jobs API");
    java.util.Map<String, Long> counts = new java.util.TreeMap<>();
    body.path("counts").fields().forEachRemaining(e -> {
      if (!e.getValue().canConvertToLong() || e.getValue().asLong() < 0) {
        throw new ApiException(400, "count '" + e.getKey() + "' must be a whole number of at least 0, not " + e.getValue());
      }
      counts.put(e.getKey(), e.getValue().asLong());
    });
    String state = body.path("state").asText("running");
    io.hindsight.server.jobs.JobState s =
        switch (state) {
          case "running" -> io.hindsight.server.jobs.JobState.RUNNING;
          case "done" -> io.hindsight.server.jobs.JobState.DONE;
          case "failed" -> io.hindsight.server.jobs.JobState.FAILED;
          default -> throw new ApiException(400, "state is running, done or failed, not '" + state + "'");
        };
    String error = body.hasNonNull("error") ? body.get("error").asText() : null;
    jobs.get(ctx.pathParam("id")).ifPresent(j -> mayWrite(ctx, j.params() == null ? null : j.params().path("endpoint").asText(null)));
    reply(ctx, 200, jobs.report(ctx.pathParam("id"), body.path("progress").asDouble(0), counts, s, error).toJson(json));
  }

  /** An upload's job is the business of keys that may write its endpoint. */
  private static void mayWrite(Context ctx, String endpoint) {
    io.hindsight.server.auth.ApiKey caller = ctx.attribute(ApiServer.CALLER);
    if (caller != null && endpoint != null && !caller.mayWrite(endpoint)) {
      throw new ApiException(403, "this API key may not write endpoint '" + endpoint + "'");
    }
  }

  void cancel(Context ctx) throws IOException {
    reply(ctx, 200, jobs.cancel(ctx.pathParam("id")).toJson(json));
  }

  /** {@code DELETE /v1/endpoints/{e}/data?before=YYYY-MM-DD&kind=predictions}. */
  void deleteData(Context ctx, String endpoint) throws IOException {
    started(ctx, retention.deleteBefore(endpoint, ctx.queryParam("kind"), ctx.queryParam("before")));
  }

  /** {@code POST /v1/erasure {"endpoint", "key", "value"}}. */
  void erase(Context ctx) throws IOException {
    started(ctx, erasure.start(bodies.json(ctx, json, MAX_BODY_BYTES, "a fixed limit of the erasure API")));
  }

  /** {@code POST /v1/jobs/imports}: the options of {@code hindsight import} as JSON, with {@code every}. */
  void startImport(Context ctx, io.hindsight.server.connect.ImportJobs imports) throws IOException {
    started(ctx, imports.start(bodies.json(ctx, json, MAX_BODY_BYTES, "a fixed limit of the import API")));
  }

  /** {@code POST /v1/backups {"to": "/absolute/folder" | "s3://bucket/prefix"}}. */
  void startBackup(Context ctx, io.hindsight.server.backup.Backups backups) throws IOException {
    started(ctx, backups.start(bodies.json(ctx, json, MAX_BODY_BYTES, "a fixed limit of the backup API").path("to").asText(null)));
  }

  private void started(Context ctx, String id) throws IOException {
    ctx.header("Location", "/v1/jobs/" + id);
    reply(ctx, 202, json.createObjectNode().put("id", id));
  }

  private void reply(Context ctx, int status, ObjectNode body) throws IOException {
    ctx.status(status).contentType("application/json").result(json.writeValueAsBytes(body));
  }
}
