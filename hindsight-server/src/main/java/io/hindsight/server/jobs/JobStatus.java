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
 * @param details what the job's kind shows besides counts (an import's watermark and errors); null: nothing
 * @param every null for a job that runs once; else the period of a recurring job, which after each
 *     run waits queued until {@code nextRun} and runs until it is cancelled
 * @param nextRun when a waiting recurring job runs next; null otherwise
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
    JsonNode params,
    JsonNode details,
    java.time.Duration every,
    Instant nextRun) {

  public JobStatus {
    counts = Map.copyOf(counts);
  }

  JobStatus with(JobState newState, double newProgress, Map<String, Long> newCounts, String newError,
      Instant newStartedAt, Instant newFinishedAt) {
    return new JobStatus(id, kind, newState, newProgress, newCounts, newError, createdAt, newStartedAt, newFinishedAt,
        newState.finished() ? null : params, details, every, newState == JobState.QUEUED ? nextRun : null);
  }

  JobStatus withDetails(JsonNode newDetails) {
    return new JobStatus(id, kind, state, progress, counts, error, createdAt, startedAt, finishedAt, params, newDetails,
        every, nextRun);
  }

  /** This recurring job waiting for its next run at {@code at}, with the outcome of its last run. */
  JobStatus waiting(Instant at, Map<String, Long> newCounts, String lastError) {
    return new JobStatus(id, kind, JobState.QUEUED, 0, newCounts, lastError, createdAt, startedAt, finishedAt, params,
        details, every, at);
  }

  /**
   * The public view: {@code {id, kind, state, progress, counts, error?, created_at, started_at,
   * finished_at}}, with {@code every} and {@code next_run} for a recurring job and {@code details}
   * when its kind has some.
   */
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
    if (every != null) {
      o.put("every", every.toString());
      o.put("next_run", nextRun == null ? null : nextRun.toString());
    }
    if (details != null) {
      o.set("details", details);
    }
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
        o.hasNonNull("params") ? o.get("params") : null,
        o.hasNonNull("details") ? o.get("details") : null,
        o.hasNonNull("every") ? java.time.Duration.parse(o.get("every").asText()) : null,
        instantOrNull(o.get("next_run")));
  }

  private static Instant instantOrNull(JsonNode n) {
    return n == null || n.isNull() ? null : Instant.parse(n.asText());
  }
}
