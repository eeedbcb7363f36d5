package io.hindsight.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.hindsight.server.files.Folders;
import io.hindsight.server.connect.ImportListener;
import io.hindsight.server.connect.ImportProgress;
import io.hindsight.server.connect.ImportSpec;
import io.hindsight.server.connect.ImportState;
import io.hindsight.server.connect.Importer;
import io.hindsight.server.connect.Source;
import io.hindsight.server.connect.SourceFormat;
import io.hindsight.server.objects.S3Settings;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.time.Instant;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code hindsight import}: records logged elsewhere (a Hive-layout tree of Parquet, CSV or JSON
 * files, in a folder or under an S3 prefix) sent to a running server, incrementally. Each source
 * row is stored once however often the import runs or is interrupted: batches carry idempotency
 * keys naming their file and rows, and the state file ({@code --state}) keeps per file the rows
 * done and the watermark. Rejected rows are listed as {@code FILE:ROW: rejected: reason}; rows
 * behind the watermark minus the delay are reported per file.
 */
@Command(
    name = "import",
    mixinStandardHelpOptions = true,
    description = "Import predictions or feedback from a Hive-layout tree of Parquet, CSV or JSON files, incrementally.")
final class ImportCommand implements Callable<Integer> {
  @Option(names = "--from", required = true, description = "A folder or s3://bucket/prefix: the root of the tree.")
  String from;

  @Option(names = "--format", required = true, description = "parquet, csv or json.")
  String format;

  @Option(names = "--endpoint", required = true, description = "The endpoint the records belong to.")
  String endpoint;

  @Option(names = "--kind", description = "predictions or feedback (default: predictions).")
  String kind = "predictions";

  @Option(names = "--id-column", description = "The column holding prediction_id (default: ids are generated).")
  String idColumn;

  @Option(names = "--ts-column", description = "The column holding ts (default: the time of import).")
  String tsColumn;

  @Option(
      names = "--map",
      description = "key=column: a system field (model_version=version), a tag (tags.region=region) or a key; repeatable."
          + " Other columns become keys of their own name, partition columns tags (predictions) or keys (feedback).")
  Map<String, String> map = new LinkedHashMap<>();

  @Option(names = "--watermark", description = "A timestamp column: each run takes only rows newer than the last watermark minus --delay.")
  String watermark;

  @Option(names = "--delay", description = "How far behind the watermark late rows are still taken, e.g. PT1H (default: PT0S).")
  Duration delay;

  @Option(names = "--every", description = "Run again this long after each run ends, e.g. PT5M, until stopped (default: once).")
  Duration every;

  @Option(
      names = "--state",
      description = "The file keeping what was imported (default: ~/.hindsight/imports/<endpoint>-<kind>-<source hash>.json).")
  Path state;

  @Mixin S3Options s3Options;

  @Option(names = "--max-listed", description = "Most rejected rows listed one by one (default: 100); all are counted.")
  int maxListed = 100;

  @Mixin ServerOptions target;

  private final ObjectMapper json = new ObjectMapper();

  @Override
  public Integer call() throws Exception {
    ImportSpec spec =
        new ImportSpec(
            from, SourceFormat.of(format), endpoint, ImportSpec.kind(kind), idColumn, tsColumn, map, watermark, delay, every);
    Path stateFile = state != null ? state : defaultState(spec);
    S3Settings s3 = s3Options.settings();
    boolean failed = false;
    while (true) {
      failed |= runOnce(spec, stateFile, s3);
      if (every == null) {
        return failed ? 1 : 0;
      }
      System.err.printf("next run at %s%n", Instant.now().plus(every));
      Thread.sleep(every.toMillis());
    }
  }

  /** One run; true when rows were rejected. */
  private boolean runOnce(ImportSpec spec, Path stateFile, S3Settings s3) throws IOException {
    ImportState st = ImportState.load(stateFile, json);
    Report report = new Report(new ProgressBar(System.err, System.console() != null));
    Path scratch = Files.createTempDirectory("hindsight-import");
    ImportProgress p;
    try (Source source = Source.of(spec.from(), s3, scratch)) {
      p = new Importer(spec, source, st, new HttpRecordSink(target, spec.endpoint(), kind), report, json).run();
    } finally {
      report.bar.clear();
      Folders.deleteRecursively(scratch);
    }
    System.out.printf(
        "done: %,d rows read, %,d accepted, %,d rejected, %,d late; watermark %s%s%n",
        p.rowsRead(), p.accepted(), p.rejected(), p.late(),
        p.watermarkMicros() == null ? "none" : Instant.EPOCH.plusNanos(p.watermarkMicros() * 1000),
        report.listed > maxListed ? " (" + (report.listed - maxListed) + " rejected rows not listed; raise --max-listed)" : "");
    return p.rejected() > 0;
  }

  /** ~/.hindsight/imports/, one file per endpoint, kind and source. */
  private static Path defaultState(ImportSpec spec) throws Exception {
    MessageDigest d = MessageDigest.getInstance("SHA-256");
    String hash = HexFormat.of().formatHex(d.digest(spec.from().getBytes(StandardCharsets.UTF_8)), 0, 6);
    return Path.of(System.getProperty("user.home"), ".hindsight", "imports",
        spec.endpoint() + "-" + spec.kind().dirName() + "-" + hash + ".json");
  }

  /** Prints what a run does: the bar, and above it every rejected row and late file. */
  private final class Report implements ImportListener {
    final ProgressBar bar;
    long listed;

    Report(ProgressBar bar) {
      this.bar = bar;
    }

    @Override
    public void progress(ImportProgress p) {
      bar.update(p);
    }

    @Override
    public void rejected(String file, long row, String reason) {
      if (listed++ < maxListed) {
        line(file + ":" + row + ": rejected: " + reason);
      }
    }

    @Override
    public void rejectedUnlisted(String file, long firstRow, long lastRow, long count) {
      line(file + ":" + firstRow + "-" + lastRow + ": " + count + " more rows rejected; the server listed the first of each batch only");
    }

    @Override
    public void warning(String file, long row, String text) {
      if (listed++ < maxListed) {
        line(file + ":" + row + ": warning: " + text);
      }
    }

    @Override
    public void late(String file, long rows) {
      line(file + ": " + rows + " rows behind the watermark minus the delay, not imported");
    }

    @Override
    public void changed(String file) {
      line(file + ": replaced since it was imported; not read again");
    }

    private void line(String text) {
      bar.clear();
      System.err.println(text);
    }
  }
}
