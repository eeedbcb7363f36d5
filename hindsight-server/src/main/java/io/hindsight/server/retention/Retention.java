package io.hindsight.server.retention;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.hindsight.server.ApiException;
import io.hindsight.server.jobs.JobContext;
import io.hindsight.server.jobs.JobKind;
import io.hindsight.server.jobs.Jobs;
import io.hindsight.server.lake.Lake;
import io.hindsight.server.lake.Partition;
import io.hindsight.server.ops.Scheduler;
import io.hindsight.server.schema.SchemaRegistry;
import io.hindsight.server.schema.SqlText;
import io.hindsight.server.schema.Table;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.io.Closeable;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.LocalDate;
import java.time.Period;
import java.time.ZoneOffset;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Predicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Retention (DESIGN §12): every {@code retention.interval} (a day) a {@code retention} job deletes,
 * for each endpoint and kind with a period, the data older than that period; an admin's {@code
 * deletion} job deletes an endpoint's data of one kind before a day. Each deletion that removed
 * something is an event on the endpoint's timeline (kind {@code retention} or {@code deletion},
 * with its counts) and counted in {@code hindsight_retention_deleted_rows_total} and {@code
 * hindsight_retention_deleted_files_total}.
 *
 * <p>Predictions and feedback go by whole date partitions: a day is deleted once all of it lies
 * before today minus the period. Events have no date folders: a file whose events all expired is
 * deleted, a file holding some that did not is rewritten without the expired ones. Metrics are
 * deleted by the metric store, which owns their files, and follow their own period, so they
 * outlive the raw data. Audited predictions younger than their endpoint's {@code retain_min} are
 * never deleted ({@link WormRule}): a conflicting configuration stops the start, a conflicting
 * call is answered 409, and every run keeps them even if the audit settings changed since start.
 */
public final class Retention implements Closeable {
  private static final Logger log = LoggerFactory.getLogger(Retention.class);

  public static final String RETENTION_JOB = "retention";
  public static final String DELETION_JOB = "deletion";

  private final LakeEdits edits;
  private final Lake lake;
  private final SchemaRegistry schemas;
  private final Jobs jobs;
  private final RetentionPolicy policy;
  private final WormRule worm;
  private final TimelineEvents timeline;
  private final MetricDays metricDays;
  private final MeterRegistry registry;
  private final Clock clock;
  private final ObjectMapper json;
  private volatile Predicate<String> mine = endpoint -> true;
  private Scheduler.Task task;

  /**
   * @throws IllegalArgumentException when the policy would delete audited records (WORM)
   */
  public Retention(
      LakeEdits edits, SchemaRegistry schemas, Jobs jobs, RetentionPolicy policy, WormRule worm, TimelineEvents timeline,
      MetricDays metricDays, MeterRegistry registry, Clock clock, ObjectMapper json) {
    this.edits = edits;
    this.lake = edits.lake();
    this.schemas = schemas;
    this.jobs = jobs;
    this.policy = policy;
    this.worm = worm;
    this.timeline = timeline;
    this.metricDays = metricDays;
    this.registry = registry;
    this.clock = clock;
    this.json = json;
    worm.checkPolicy(policy, today());
    jobs.register(new JobKind(RETENTION_JOB, true, this::expire));
    jobs.register(new JobKind(DELETION_JOB, true, this::deleteRequested));
  }

  /** Starts a retention job every {@code retention.interval}, when any period is configured. */
  public void start(Scheduler scheduler) {
    if (!policy.periods().isEmpty()) {
      task = scheduler.every("hindsight-retention", policy.interval(), this::submitRetention);
    }
  }

  private void submitRetention() {
    if (jobs.list().stream().anyMatch(j -> j.kind().equals(RETENTION_JOB) && !j.state().finished())) {
      return; // the previous run is still waiting or running
    }
    try {
      jobs.submit(RETENTION_JOB, json.createObjectNode());
    } catch (IOException | RuntimeException e) {
      log.warn("could not start the retention job; it is tried again at the next interval: {}", e.toString());
    }
  }

  /**
   * {@code DELETE /v1/endpoints/{e}/data?before=&kind=}: starts a deletion job and returns its id.
   *
   * @throws ApiException 400 naming a missing or malformed parameter, 404 for an endpoint without
   *     data, 409 when audited records would be deleted
   */
  public String deleteBefore(String endpoint, String kind, String before) throws IOException {
    if (kind == null || kind.isBlank()) {
      throw ApiException.badRequest("'kind' is missing; one of " + DataKind.names());
    }
    DataKind k;
    try {
      k = DataKind.of(kind);
    } catch (IllegalArgumentException e) {
      throw ApiException.badRequest("'kind': " + e.getMessage());
    }
    if (before == null || before.isBlank()) {
      throw ApiException.badRequest("'before' is missing; give a day as YYYY-MM-DD: data before it is deleted");
    }
    LocalDate day;
    try {
      day = LocalDate.parse(before);
    } catch (DateTimeParseException e) {
      throw ApiException.badRequest("'before' must be a day as YYYY-MM-DD, not '" + before + "'");
    }
    requireKnown(endpoint, schemas);
    worm.checkDeletion(endpoint, k, day, today());
    ObjectNode params = json.createObjectNode();
    params.put("endpoint", endpoint);
    params.put("kind", k.publicName());
    params.put("before", day.toString());
    return jobs.submit(DELETION_JOB, params);
  }

  /** 404 unless the endpoint has records of some table. */
  static void requireKnown(String endpoint, SchemaRegistry schemas) {
    for (Table t : Table.values()) {
      if (schemas.existing(t, endpoint) != null) {
        return;
      }
    }
    throw ApiException.notFound("unknown endpoint '" + endpoint + "': it has no records; GET /v1/endpoints lists them");
  }

  /**
   * Expires only the data of the endpoints {@code mine} accepts, asked at each run: writers sharing
   * a lake each expire what they write, so each deletion is done and reported once.
   */
  public void expireOnly(Predicate<String> mine) {
    this.mine = mine;
  }

  private void expire(JobContext ctx) throws IOException {
    LocalDate today = today();
    List<Map.Entry<String, Map.Entry<DataKind, Period>>> work = new ArrayList<>();
    policy.periods().forEach((endpoint, kinds) -> kinds.forEach((kind, period) -> {
      if (mine.test(endpoint)) {
        work.add(Map.entry(endpoint, Map.entry(kind, period)));
      }
    }));
    for (int i = 0; i < work.size(); i++) {
      String endpoint = work.get(i).getKey();
      DataKind kind = work.get(i).getValue().getKey();
      Period period = work.get(i).getValue().getValue();
      LocalDate before = today.minus(period);
      Optional<LocalDate> keepFrom = worm.keepFrom(endpoint, kind, today);
      if (keepFrom.isPresent() && before.isAfter(keepFrom.get())) {
        log.warn(
            "retention of {} {} ({}) would reach audited records; deleting only before {} (retain_min)",
            endpoint, kind.publicName(), period, keepFrom.get());
        before = keepFrom.get();
      }
      LakeEdits.Removed removed = delete(endpoint, kind, before);
      record(ctx, RETENTION_JOB, endpoint, kind, before, removed, " (retention " + period + ")");
      ctx.progress((i + 1.0) / work.size());
    }
  }

  private void deleteRequested(JobContext ctx) throws IOException {
    String endpoint = ctx.params().get("endpoint").asText();
    DataKind kind = DataKind.of(ctx.params().get("kind").asText());
    LocalDate before = LocalDate.parse(ctx.params().get("before").asText());
    // The audit settings may have changed since the call was accepted.
    worm.checkDeletion(endpoint, kind, before, today());
    record(ctx, DELETION_JOB, endpoint, kind, before, delete(endpoint, kind, before), " (asked for)");
    ctx.progress(1);
  }

  /** Deletes the endpoint's data of a kind before a day. */
  private LakeEdits.Removed delete(String endpoint, DataKind kind, LocalDate before) throws IOException {
    switch (kind) {
      case METRICS:
        return new LakeEdits.Removed(edits.exclusively(() -> metricDays.deleteBefore(endpoint, before)), 0);
      case EVENTS:
        return deleteEvents(endpoint, before);
      default:
        LakeEdits.Removed removed = LakeEdits.Removed.NONE;
        for (Partition p : lake.partitions(kind.table())) {
          if (p.endpoint().equals(endpoint) && p.date().isBefore(before)) {
            removed = removed.plus(edits.deletePartition(p));
          }
        }
        return removed;
    }
  }

  /** Events of the endpoint from before the day: files all expired are deleted, the others rewritten. */
  private LakeEdits.Removed deleteEvents(String endpoint, LocalDate before) throws IOException {
    Partition p = new Partition(Table.EVENTS, endpoint, null);
    String cutoff = "TIMESTAMPTZ '" + before + " 00:00:00+00'";
    LakeEdits.Removed removed = LakeEdits.Removed.NONE;
    for (Path file : lake.dataFiles(p)) {
      removed =
          removed.plus(
              edits.exclusively(
                  () -> {
                    if (!Files.exists(file)) {
                      return LakeEdits.Removed.NONE;
                    }
                    long expired =
                        edits.longValue(
                            "SELECT count(*) FROM read_parquet("
                                + SqlText.string(file.toAbsolutePath().toString())
                                + ") WHERE ts < " + cutoff);
                    if (expired == 0) {
                      return LakeEdits.Removed.NONE;
                    }
                    if (expired == edits.rows(List.of(file))) {
                      return edits.deleteFile(p, file);
                    }
                    return new LakeEdits.Removed(1, edits.rewrite(file, "ts >= " + cutoff));
                  }));
    }
    return removed;
  }

  private void record(
      JobContext ctx, String eventKind, String endpoint, DataKind kind, LocalDate before, LakeEdits.Removed removed,
      String why) {
    String name = kind.publicName();
    ctx.count(name + (kind == DataKind.METRICS ? "_days" : "_files"), removed.files());
    if (kind != DataKind.METRICS) {
      ctx.count(name + "_rows", removed.rows());
    }
    if (removed.files() == 0) {
      return;
    }
    Counter.builder("hindsight_retention_deleted_files")
        .description("Files (metrics: days) deleted or rewritten by retention and deletion jobs")
        .tag("endpoint", endpoint)
        .tag("kind", name)
        .register(registry)
        .increment(removed.files());
    Counter.builder("hindsight_retention_deleted_rows")
        .description("Records deleted by retention and deletion jobs")
        .tag("endpoint", endpoint)
        .tag("kind", name)
        .register(registry)
        .increment(removed.rows());
    Map<String, Object> data = new LinkedHashMap<>();
    data.put("job", ctx.id());
    data.put("kind", name);
    data.put("before", before.toString());
    data.put(kind == DataKind.METRICS ? "days" : "files", removed.files());
    if (kind != DataKind.METRICS) {
      data.put("rows", removed.rows());
    }
    String what = kind == DataKind.METRICS ? removed.files() + " days of metrics" : removed.rows() + " " + name;
    timeline.record(endpoint, eventKind, "deleted " + what + " before " + before + why, data);
  }

  private LocalDate today() {
    return LocalDate.ofInstant(clock.instant(), ZoneOffset.UTC);
  }

  @Override
  public void close() {
    if (task != null) {
      task.cancel();
    }
  }
}
