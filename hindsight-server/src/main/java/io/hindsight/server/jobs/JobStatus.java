package io.hindsight.server.jobs;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A job as it stands: what {@code GET /v1/jobs/{id}} shows, and, while it is not finished, the
 * parameters a resumed run needs. The parameters may name a data subject (an erasure's value), so
 * they are dropped from the job's file as soon as it finishes and are never shown.
 *
 * @param startedAt null while queued
 * @param finishedAt null until finished
 * @param params null once finished
 */
public record JobStatus(
    String id,
    String kind,
    JobState state,
    double progress,
    Map<String, Long> counts,
    String error,
    Instant createdAt,
    Instant startedAt,
    Instant finishedAt,
    JsonNode params) {

  public JobStatus {
    counts = Map.copyOf(counts);
  }

  JobStatus with(JobState newState, double newProgress, Map<String, Long> newCounts, String newError,
      Instant newStartedAt, Instant newFinishedAt) {
    return new JobStatus(id, kind, newState, newProgress, newCounts, newError, createdAt, newStartedAt, newFinishedAt,
        newState.finished() ? null : params);
  }

  /** The public view: {@code {id, kind, state, progress, counts, error?, created_at, started_at, finished_at}}. */
  public ObjectNode toJson(ObjectMapper json) {
    ObjectNode o = json.createObjectNode();
    o.put("id", id);
    o.put("kind", kind);
    o.put("state", state.publicName());
    o.put("progress", progress);
    ObjectNode c = o.putObject("counts");
    counts.entrySet().stream().sorted(Map.Entry.comparingByKey()).forEach(e -> c.put(e.getKey(), e.getValue()));
    if (error != null) {
      o.put("error", error);
    }
    o.put("created_at", createdAt.toString());
    o.put("started_at", startedAt == null ? null : startedAt.toString());
    o.put("finished_at", finishedAt == null ? null : finishedAt.toString());
    return o;
  }

  /** The stored form: the public view plus the parameters while the job is not finished. */
  ObjectNode toStored(ObjectMapper json) {
    ObjectNode o = toJson(json);
    if (params != null) {
      o.set("params", params);
    }
    return o;
  }

  static JobStatus fromStored(JsonNode o) {
    Map<String, Long> counts = new LinkedHashMap<>();
    o.path("counts").fields().forEachRemaining(e -> counts.put(e.getKey(), e.getValue().asLong()));
    return new JobStatus(
        o.get("id").asText(),
        o.get("kind").asText(),
        JobState.of(o.get("state").asText()),
        o.path("progress").asDouble(),
        counts,
        o.hasNonNull("error") ? o.get("error").asText() : null,
        Instant.parse(o.get("created_at").asText()),
        instantOrNull(o.get("started_at")),
        instantOrNull(o.get("finished_at")),
        o.hasNonNull("params") ? o.get("params") : null);
  }

  private static Instant instantOrNull(JsonNode n) {
    return n == null || n.isNull() ? null : Instant.parse(n.asText());
  }
}
