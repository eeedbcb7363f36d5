package io.hindsight.server.jobs;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.hindsight.server.ApiException;
import io.hindsight.server.files.FileSync;
import io.hindsight.server.ops.DaemonThreads;
import io.hindsight.server.ops.Scheduler;
import java.io.Closeable;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The server's tracked jobs. Jobs run one at a time, in the order they were started, on one daemon
 * thread, so two jobs never edit the same files at once. Each job is a file {@code <id>.json} in
 * the jobs folder, written whole (temporary name, fsync, rename) at every change of state and
 * progress, so {@code GET /v1/jobs} answers the same after a restart.
 *
 * <p>After a crash or a stop: a job that was queued runs; a job that was running runs again from
 * the start when its kind is {@link JobKind#resumable() resumable} (its counts keep what the first
 * run did) and is marked failed, saying so, when it is not. A stopping server ends a running job
 * at its next {@link JobContext#progress} step and leaves it running in its file, to be resumed.
 *
 * <p>A recurring job ({@link #submitRecurring}) runs at once, then after each run waits queued
 * until its next run, one period after the last ended, and so on until it is cancelled; its counts
 * add up over its runs, and a failed run shows its error until the next one. Its file keeps its
 * schedule, so it goes on after a restart. The schedule follows the {@link Scheduler} given to
 * {@link #runRecurring}.
 */
public final class Jobs implements Closeable {
  private static final Logger log = LoggerFactory.getLogger(Jobs.class);

  /** Jobs waiting at most; more are refused with 503 until some ran. */
  public static final int MAX_QUEUED = 100;

  /** The kind of an SDK's batch upload: a job its client drives ({@link #open}). */
  public static final String UPLOAD = "upload";

  /** Finished jobs kept (their files and listing); the oldest beyond this are forgotten. */
  public static final int MAX_KEPT = 1_000;

  private final Path dir;
  private final Clock clock;
  private final ObjectMapper json;
  private final Map<String, JobKind> kinds = new ConcurrentHashMap<>();
  private final Map<String, JobStatus> jobs = new ConcurrentHashMap<>();
  private final Map<String, Boolean> cancelRequested = new ConcurrentHashMap<>();
  private final ExecutorService worker = DaemonThreads.single("hindsight-jobs");
  /** Recurring jobs handed to the worker for a run that has not begun yet. */
  private final java.util.Set<String> dueRuns = ConcurrentHashMap.newKeySet();
  private volatile boolean stopping;
  private boolean started;

  /** Reads the jobs of earlier runs from {@code dir}; nothing runs before {@link #start()}. */
  public Jobs(Path dir, Clock clock, ObjectMapper json) throws IOException {
    this.dir = dir;
    this.clock = clock;
    this.json = json;
    register(JobKind.drivenByClient(UPLOAD));
    FileSync.createDirectoriesDurably(dir);
    try (Stream<Path> files = Files.list(dir)) {
      for (Path f : (Iterable<Path>) files.filter(Jobs::isJobFile)::iterator) {
        try {
          JobStatus s = JobStatus.fromStored(json.readTree(f.toFile()));
          jobs.put(s.id(), s);
        } catch (IOException | RuntimeException e) {
          log.warn("ignoring the unreadable job file {}: {}", f, e.toString());
        }
      }
    }
  }

  private static boolean isJobFile(Path p) {
    String n = p.getFileName().toString();
    return n.endsWith(".json") && !n.startsWith(".");
  }

  /** Declares a kind of job; all kinds are registered before {@link #start()}. */
  public void register(JobKind kind) {
    kinds.put(kind.name(), kind);
  }

  /** Resumes or fails the jobs an earlier run left unfinished, then runs what is queued. */
  public synchronized void start() throws IOException {
    started = true;
    List<JobStatus> unfinished =
        jobs.values().stream().filter(s -> !s.state().finished()).sorted(Comparator.comparing(JobStatus::createdAt)).toList();
    for (JobStatus s : unfinished) {
      JobKind kind = kinds.get(s.kind());
      if (kind == null) {
        finish(s, JobState.FAILED, "the server no longer knows jobs of kind '" + s.kind() + "'");
      } else if (kind.drivenByClient()) {
        continue; // its client goes on reporting, as it goes on sending
      } else if (s.state() == JobState.RUNNING && !kind.resumable()) {
        finish(
            s,
            JobState.FAILED,
            "the server stopped while this job was running, and a " + s.kind() + " job cannot be resumed; start it again");
      } else {
        if (s.state() == JobState.RUNNING) {
          log.info("resuming {} job {} that was running when the server stopped", s.kind(), s.id());
        }
        JobStatus queued = s.with(JobState.QUEUED, s.progress(), s.counts(), null, s.startedAt(), null);
        save(queued);
        if (queued.nextRun() == null) {
          enqueue(queued.id());
        }
      }
    }
  }

  /**
   * Queues a job of a registered kind and returns its id.
   *
   * @throws ApiException 503 when {@link #MAX_QUEUED} jobs are waiting
   */
  public String submit(String kind, JsonNode params) throws IOException {
    return submit(kind, params, null);
  }

  /**
   * Queues a job that runs now and then again {@code every} period after each run ends, until it
   * is cancelled; returns its id.
   *
   * @throws ApiException 503 when {@link #MAX_QUEUED} jobs are waiting
   */
  public String submitRecurring(String kind, JsonNode params, java.time.Duration every) throws IOException {
    return submit(kind, params, java.util.Objects.requireNonNull(every, "every"));
  }

  private synchronized String submit(String kind, JsonNode params, java.time.Duration every) throws IOException {
    if (!kinds.containsKey(kind)) {
      throw new IllegalArgumentException("no job kind '" + kind + "' is registered");
    }
    long queued = jobs.values().stream().filter(s -> s.state() == JobState.QUEUED).count();
    if (queued >= MAX_QUEUED) {
      throw new ApiException(503, MAX_QUEUED + " jobs are already waiting to run; start this one once some have finished", "60");
    }
    JobStatus s =
        new JobStatus(UUID.randomUUID().toString(), kind, JobState.QUEUED, 0, Map.of(), null, clock.instant(), null, null, params,
            null, every, null);
    save(s);
    if (started) {
      enqueue(s.id());
    }
    return s.id();
  }

  /**
   * Opens a job of a kind {@link JobKind#drivenByClient driven by its client}: running from now,
   * its progress and counts told by {@link #report} until the client ends it. A restart leaves it
   * running, as its client goes on.
   */
  public synchronized String open(String kind, JsonNode params) throws IOException {
    JobKind k = kinds.get(kind);
    if (k == null || !k.drivenByClient()) {
      throw new IllegalArgumentException("no job kind '" + kind + "' driven by its client is registered");
    }
    Instant now = clock.instant();
    JobStatus s = new JobStatus(UUID.randomUUID().toString(), kind, JobState.RUNNING, 0, Map.of(), null, now, now, null, params, null, null, null);
    save(s);
    return s.id();
  }

  /**
   * What the client of a job it drives has done so far: {@code counts} are totals (a repeated
   * report changes nothing); {@code state} running, or done or failed to end the job.
   */
  public synchronized JobStatus report(String id, double progress, Map<String, Long> counts, JobState state, String error)
      throws IOException {
    JobStatus s = jobs.get(id);
    if (s == null) {
      throw ApiException.notFound("no job with id '" + id + "'; GET /v1/jobs lists them");
    }
    JobKind k = kinds.get(s.kind());
    if (k == null || !k.drivenByClient()) {
      throw new ApiException(409, "job " + id + " is a " + s.kind() + " job, which the server runs itself; only uploads are reported");
    }
    if (s.state().finished()) {
      throw new ApiException(409, "job " + id + " has ended (" + s.state().publicName() + "); start a new one");
    }
    double p = Math.max(0, Math.min(1, progress));
    JobStatus next = s.with(state, state == JobState.DONE ? 1.0 : p, Map.copyOf(counts), error, s.startedAt(), state.finished() ? clock.instant() : null);
    save(next);
    if (state.finished()) {
      forgetOldest();
    }
    return next;
  }

  public Optional<JobStatus> get(String id) {
    return Optional.ofNullable(jobs.get(id));
  }

  /** Every job kept, the newest first. */
  public List<JobStatus> list() {
    return jobs.values().stream()
        .sorted(Comparator.comparing(JobStatus::createdAt).reversed().thenComparing(JobStatus::id))
        .toList();
  }

  /**
   * Cancels a job: a queued one at once, a running one at its next step. A finished job stays as
   * it ended.
   */
  public synchronized JobStatus cancel(String id) throws IOException {
    JobStatus s = jobs.get(id);
    if (s == null) {
      throw ApiException.notFound("no job with id '" + id + "'; GET /v1/jobs lists them");
    }
    JobKind kind = kinds.get(s.kind());
    if (s.state() == JobState.QUEUED || (s.state() == JobState.RUNNING && kind != null && kind.drivenByClient())) {
      return finish(s, JobState.CANCELLED, null); // a client's next report is then refused
    }
    if (s.state() == JobState.RUNNING) {
      cancelRequested.put(id, true);
    }
    return s;
  }

  private void enqueue(String id) {
    worker.execute(() -> run(id));
  }

  /**
   * Runs recurring jobs when their time comes, as {@code scheduler} tells time (checked every
   * {@link #SCHEDULE_TICK}); call once, after {@link #start()}.
   */
  public void runRecurring(Scheduler scheduler) {
    scheduler.every("hindsight-jobs-schedule", SCHEDULE_TICK, this::enqueueDue);
  }

  /** How often waiting recurring jobs are checked for their next run. */
  public static final java.time.Duration SCHEDULE_TICK = java.time.Duration.ofSeconds(1);

  private void enqueueDue() {
    java.time.Instant now = clock.instant();
    for (JobStatus s : jobs.values()) {
      if (s.state() == JobState.QUEUED && s.nextRun() != null && !s.nextRun().isAfter(now) && dueRuns.add(s.id())) {
        enqueue(s.id());
      }
    }
  }

  private void run(String id) {
    dueRuns.remove(id);
    JobStatus s = jobs.get(id);
    if (s == null || s.state() != JobState.QUEUED || stopping
        || (s.nextRun() != null && s.nextRun().isAfter(clock.instant()))) {
      return;
    }
    JobKind kind = kinds.get(s.kind());
    Running ctx = new Running(s);
    try {
      synchronized (this) {
        ctx.status = save(s.with(JobState.RUNNING, s.progress(), s.counts(), null,
            s.startedAt() == null ? clock.instant() : s.startedAt(), null));
      }
      kind.work().run(ctx);
      finishRun(ctx, JobState.DONE, null);
    } catch (JobCancelledException e) {
      finishRun(ctx, JobState.CANCELLED, null);
    } catch (Stopping e) {
      log.info("{} job {} stopped with the server; it resumes at the next start", s.kind(), id);
    } catch (Exception | Error e) {
      if (stopping) {
        // What it worked on closed under it: the job stays running in its file and resumes.
        log.info("{} job {} ended with the server ({}); it resumes at the next start", s.kind(), id, e.toString());
        return;
      }
      log.warn("{} job {} failed: {}", s.kind(), id, e.toString());
      finishRun(ctx, JobState.FAILED, e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage());
    } finally {
      cancelRequested.remove(id);
    }
  }

  private synchronized void finishRun(Running ctx, JobState state, String error) {
    try {
      ctx.status = ctx.current();
      if (ctx.status.every() != null && state != JobState.CANCELLED) {
        ctx.status = save(ctx.status.waiting(clock.instant().plus(ctx.status.every()), ctx.status.counts(), error));
        return;
      }
      finish(ctx.status, state, error);
    } catch (IOException e) {
      log.error("could not record the end of job {}: {}", ctx.status.id(), e.toString());
    }
  }

  private JobStatus finish(JobStatus s, JobState state, String error) throws IOException {
    JobStatus done =
        save(s.with(state, state == JobState.DONE ? 1.0 : s.progress(), s.counts(), error, s.startedAt(), clock.instant()));
    forgetOldest();
    return done;
  }

  /** Keeps {@link #MAX_KEPT} finished jobs: the files of older ones are deleted. */
  private void forgetOldest() throws IOException {
    List<JobStatus> finished =
        jobs.values().stream().filter(s -> s.state().finished()).sorted(Comparator.comparing(JobStatus::createdAt)).toList();
    for (int i = 0; i < finished.size() - MAX_KEPT; i++) {
      jobs.remove(finished.get(i).id());
      Files.deleteIfExists(file(finished.get(i).id()));
    }
  }

  private JobStatus save(JobStatus s) throws IOException {
    FileSync.writeAtomically(file(s.id()), json.writeValueAsBytes(s.toStored(json)));
    jobs.put(s.id(), s);
    return s;
  }

  private Path file(String id) {
    return dir.resolve(id + ".json");
  }

  /** Thrown at a job's next step once the server stops, leaving it running in its file. */
  private static final class Stopping extends RuntimeException {
    Stopping() {
      super("the server is stopping", null, false, false);
    }
  }

  /** The context of the job that runs now; counts build up here and are saved with progress. */
  private final class Running implements JobContext {
    volatile JobStatus status;
    private final Map<String, Long> counts;

    Running(JobStatus s) {
      this.status = s;
      this.counts = new ConcurrentHashMap<>(s.counts());
    }

    JobStatus current() {
      return status.with(status.state(), status.progress(), counts, null, status.startedAt(), null);
    }

    @Override
    public String id() {
      return status.id();
    }

    @Override
    public JsonNode params() {
      return status.params();
    }

    @Override
    public void progress(double done) throws IOException {
      if (stopping) {
        throw new Stopping();
      }
      if (cancelRequested.containsKey(status.id())) {
        throw new JobCancelledException();
      }
      synchronized (Jobs.this) {
        status = save(status.with(JobState.RUNNING, Math.max(0, Math.min(1, done)), counts, null, status.startedAt(), null));
      }
    }

    @Override
    public void details(JsonNode details) {
      status = status.withDetails(details);
      jobs.put(status.id(), current());
    }

    @Override
    public void count(String name, long n) {
      counts.merge(name, n, Long::sum);
      jobs.put(status.id(), current());
    }
  }

  /**
   * Stops taking jobs; a running job ends at its next step (and resumes at the next start). Waits
   * at most {@link #STOP_WAIT} for it.
   */
  @Override
  public void close() {
    stopping = true;
    worker.shutdown();
    try {
      if (!worker.awaitTermination(STOP_WAIT.toMillis(), TimeUnit.MILLISECONDS)) {
        log.warn("a job is still running at shutdown; it resumes at the next start");
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  static final java.time.Duration STOP_WAIT = java.time.Duration.ofSeconds(10);
}
