package io.hindsight.server.connect;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.hindsight.server.ApiException;
import io.hindsight.server.ingest.IngestService;
import io.hindsight.server.jobs.JobContext;
import io.hindsight.server.jobs.JobKind;
import io.hindsight.server.jobs.Jobs;
import io.hindsight.server.objects.S3Location;
import io.hindsight.server.objects.S3Settings;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * Imports as server-side jobs ({@code POST /v1/jobs/imports}): each run is a run of a tracked job
 * of kind {@code import}, once or every {@code every}, with records going straight into the
 * server's ingest. The job shows the rows read, accepted, rejected and late (added up over its
 * runs), and in {@code details} the watermark and the last run's rejected rows and late files. Its
 * state (rows done per file, watermark) is {@code imports/<job id>.json} in the data directory, so
 * a run the server's stop interrupted resumes where it was, and a recurring import goes on after a
 * restart.
 *
 * <p>The server reads local folders only inside the configured roots ({@code imports.roots}),
 * resolved with symbolic links, so an admin cannot make it read its own files; S3 sources go to
 * the configured store ({@code imports.s3}).
 */
public final class ImportJobs {
  public static final String KIND = "import";

  /** Rejected rows and late files a job lists one by one; the rest are counted. */
  static final int LISTED = 100;

  /**
   * Progress steps (batches and file ends) between two writes of the job's file; counts and
   * details show at once, and a cancel is seen at the next write.
   */
  static final int SAVE_EVERY_STEPS = 10;

  private final Jobs jobs;
  private final IngestService ingest;
  private final List<Path> roots;
  private final S3Settings s3;
  private final Path stateDir;
  private final Path scratchDir;
  private final ObjectMapper json;

  /**
   * @param roots local folders imports may read (imports.roots); empty: S3 sources only
   * @param stateDir where each import job's state is kept
   * @param scratchDir where copies of S3 objects are read from, emptied by the server at start
   */
  public ImportJobs(
      Jobs jobs, IngestService ingest, List<Path> roots, S3Settings s3, Path stateDir, Path scratchDir, ObjectMapper json) {
    this.jobs = jobs;
    this.ingest = ingest;
    this.roots = roots.stream().map(r -> r.toAbsolutePath().normalize()).toList();
    this.s3 = s3;
    this.stateDir = stateDir;
    this.scratchDir = scratchDir;
    this.json = json;
    jobs.register(new JobKind(KIND, true, this::run));
  }

  /**
   * Starts an import described by {@code body} (the JSON form of {@link ImportSpec}) and returns
   * its job id.
   *
   * @throws ApiException 400 when the import is not valid or its folder is outside the roots
   */
  public String start(JsonNode body) throws IOException {
    ImportSpec spec;
    try {
      spec = ImportSpec.fromJson(body);
    } catch (IllegalArgumentException e) {
      throw ApiException.badRequest(e.getMessage());
    }
    if (!S3Location.isS3(spec.from())) {
      checkInsideRoots(spec.from());
    }
    ObjectNode params = spec.toJson(json);
    return spec.every() == null ? jobs.submit(KIND, params) : jobs.submitRecurring(KIND, params, spec.every());
  }

  private void checkInsideRoots(String from) throws IOException {
    if (roots.isEmpty()) {
      throw ApiException.badRequest(
          "the server reads no local folders for imports; list the folder under imports.roots in the server's config,"
              + " or import from s3://");
    }
    Path real;
    try {
      real = Path.of(from).toRealPath();
    } catch (IOException | RuntimeException e) {
      throw ApiException.badRequest("the import source " + from + " is not a folder the server can read");
    }
    for (Path root : roots) {
      if (Files.isDirectory(root) && real.startsWith(root.toRealPath())) {
        return;
      }
    }
    throw ApiException.badRequest(
        "the import source " + from + " is outside the folders the server may read (imports.roots: " + roots + ")");
  }

  private void run(JobContext ctx) throws IOException {
    ImportSpec spec = ImportSpec.fromJson(ctx.params());
    if (!S3Location.isS3(spec.from())) {
      // The roots may have changed since the job was started.
      checkInsideRoots(spec.from());
    }
    ImportState state = ImportState.load(stateDir.resolve(ctx.id() + ".json"), json);
    ctx.count("runs", 1);
    JobReport report = new JobReport(ctx);
    try (Source source = Source.of(spec.from(), s3, scratchDir.resolve(ctx.id()))) {
      new Importer(spec, source, state, new InProcessSink(ingest, spec.kind(), spec.endpoint()), report, json).run();
    } finally {
      report.publish(state.watermarkMicros());
    }
  }

  /** What one run tells its job: counts as they grow, details at every progress step. */
  private final class JobReport implements ImportListener {
    private final JobContext ctx;
    private final List<String> errors = new ArrayList<>();
    private final List<ObjectNode> lateFiles = new ArrayList<>();
    private long errorsUnlisted;
    private ImportProgress last = new ImportProgress(0, 0, 0, 0, 0, 0, null);
    private long steps;

    JobReport(JobContext ctx) {
      this.ctx = ctx;
    }

    @Override
    public void progress(ImportProgress p) {
      ctx.count("rows_read", p.rowsRead() - last.rowsRead());
      ctx.count("rows_accepted", p.accepted() - last.accepted());
      ctx.count("rows_rejected", p.rejected() - last.rejected());
      ctx.count("rows_late", p.late() - last.late());
      last = p;
      publish(p.watermarkMicros());
      if (++steps % SAVE_EVERY_STEPS != 0) {
        return;
      }
      try {
        ctx.progress(p.fraction());
      } catch (IOException e) {
        throw new java.io.UncheckedIOException(e);
      }
    }

    @Override
    public void rejected(String file, long row, String reason) {
      if (errors.size() < LISTED) {
        errors.add(file + ":" + row + ": " + reason);
      } else {
        errorsUnlisted++;
      }
    }

    @Override
    public void rejectedUnlisted(String file, long firstRow, long lastRow, long count) {
      errorsUnlisted += count;
    }

    @Override
    public void late(String file, long rows) {
      if (lateFiles.size() < LISTED) {
        lateFiles.add(json.createObjectNode().put("file", file).put("rows", rows));
      }
    }

    void publish(Long watermarkMicros) {
      ObjectNode d = json.createObjectNode();
      d.put("watermark", watermarkMicros == null ? null
          : Instant.EPOCH.plusNanos(Math.multiplyExact(watermarkMicros, 1000L)).toString());
      ArrayNode e = d.putArray("errors");
      errors.forEach(e::add);
      if (errorsUnlisted > 0) {
        d.put("errors_unlisted", errorsUnlisted);
      }
      ArrayNode l = d.putArray("late_files");
      lateFiles.forEach(l::add);
      ctx.details(d);
    }
  }
}
