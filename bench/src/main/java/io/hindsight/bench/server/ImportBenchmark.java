package io.hindsight.bench.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.hindsight.server.HindsightServer;
import io.hindsight.server.ServerConfig;
import io.hindsight.server.connect.ImportListener;
import io.hindsight.server.connect.ImportSpec;
import io.hindsight.server.connect.ImportState;
import io.hindsight.server.connect.Importer;
import io.hindsight.server.connect.RecordSink;
import io.hindsight.server.connect.Source;
import io.hindsight.server.connect.SourceFormat;
import io.hindsight.server.objects.S3Settings;
import io.hindsight.server.schema.Table;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Import throughput (docs/BENCHMARKS.md, "Import"): a Hive-layout tree of {@code --rows} scoring
 * rows (10 columns, partitioned by date and region) written once as Parquet and as CSV, imported
 * {@code --runs} times each in three ways: {@code read} (DuckDB reads and writes each row as a JSON
 * record, the batches are dropped: the import's own cost), {@code job} ({@code POST
 * /v1/jobs/imports}: a server-side job into the server's ingest in its process) and {@code http}
 * (batches over HTTP with idempotency keys, as {@code hindsight import} sends them). The server
 * runs in this JVM on a fresh data folder; every run goes to a fresh endpoint and ends once the
 * lake writer has written every row to Parquet (printed as {@code seconds_until_in_parquet}), so
 * each starts on a server with nothing left to do. Prints the median rows/s of each, after {@code
 * --warmup-runs} (1) not counted, as the JIT compiles the paths only during the first seconds.
 * {@code --modes read,job,http} and {@code --formats parquet,csv} choose what runs.
 */
public final class ImportBenchmark {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final HttpClient HTTP = HttpClient.newHttpClient();

  private ImportBenchmark() {}

  public static void main(String[] args) throws Exception {
    Flags f = new Flags(args, Set.of("--rows", "--runs", "--warmup-runs", "--dir", "--modes", "--formats"), Set.of());
    List<String> modes = List.of(f.string("--modes", "read,job,http").split(","));
    List<SourceFormat> formats = java.util.Arrays.stream(f.string("--formats", "parquet,csv").split(",")).map(SourceFormat::of).toList();
    long rows = f.longValue("--rows", 1_000_000);
    int runs = f.integer("--runs", 3);
    int warmups = f.integer("--warmup-runs", 1);
    Path dir = Path.of(f.string("--dir", "bench/target/import-data")).toAbsolutePath();
    Path trees = Files.createDirectories(dir.resolve("trees-" + rows));
    for (SourceFormat format : List.of(SourceFormat.PARQUET, SourceFormat.CSV)) {
      generate(trees.resolve(format.publicName()), format, rows);
    }
    Path data = Files.createTempDirectory(dir, "server-");
    Path states = Files.createTempDirectory(dir, "states-");
    ServerConfig config = new ServerConfig();
    config.dataDir = data;
    config.port = 0;
    config.imports.roots = List.of(trees);
    int run = 0;
    try (HindsightServer server = HindsightServer.start(config)) {
      String url = "http://127.0.0.1:" + server.port();
      for (SourceFormat format : formats) {
        Path tree = trees.resolve(format.publicName());
        for (String mode : modes) {
          List<Double> rates = new ArrayList<>();
          for (int i = -warmups; i < runs; i++) {
            String endpoint = "bench-import-" + (++run);
            ImportSpec spec = new ImportSpec(tree.toString(), format, endpoint, Table.PREDICTIONS, "id", "ts",
                Map.of("model_version", "model"), null, null, null);
            long start = System.nanoTime();
            long imported = switch (mode) {
              case "read" -> direct(spec, states.resolve(endpoint + ".json"), ImportBenchmark::dropped);
              case "job" -> job(url, spec);
              default -> direct(spec, states.resolve(endpoint + ".json"), http(url, endpoint));
            };
            double seconds = (System.nanoTime() - start) / 1e9;
            if (imported != rows) {
              throw new IllegalStateException(mode + " imported " + imported + " of " + rows + " rows");
            }
            if (i >= 0) {
              rates.add(rows / seconds);
            }
            String lake = "";
            if (!mode.equals("read")) {
              // Every acknowledged row is durable and answers queries; the Parquet files follow.
              // Waiting for them also starts the next run on a server with nothing left to write.
              HindsightHttp metrics = new HindsightHttp(url);
              while (metrics.metric("hindsight_lake_pending_records") > 0) {
                Thread.sleep(20);
              }
              double inLake = (System.nanoTime() - start) / 1e9;
              lake = String.format(" seconds_until_in_parquet=%.2f", inLake);
            }
            System.out.printf("%s format=%s mode=%s rows=%d seconds=%.2f rows_per_s=%.0f%s%n", i < 0 ? "warmup" : "run",
                format.publicName(), mode, rows, seconds, rows / seconds, lake);
          }
          Collections.sort(rates);
          System.out.printf("RESULT format=%s mode=%s median_rows_per_s=%.0f runs=%s%n",
              format.publicName(), mode, rates.get(rates.size() / 2), rates);
        }
      }
    }
  }

  private static void generate(Path tree, SourceFormat format, long rows) throws Exception {
    if (Files.isDirectory(tree)) {
      return;
    }
    String options = format == SourceFormat.PARQUET ? "FORMAT parquet" : "FORMAT csv, HEADER";
    try (Connection db = DriverManager.getConnection("jdbc:duckdb:"); Statement st = db.createStatement()) {
      st.execute("SET TimeZone = 'UTC'");
      st.execute("COPY (SELECT 'txn-' || i AS id, TIMESTAMP '2026-11-01 00:00:00' + INTERVAL (i * 100) MILLISECOND AS ts,"
          + " 'v' || (i % 3) AS model, hash(i) % 1000 / 1000.0 AS score, (hash(i * 7) % 100000) / 100.0 AS amount,"
          + " ['grocery', 'travel', 'electronics', 'fuel'][i % 4 + 1] AS merchant_category,"
          + " ['DE', 'FR', 'US', 'GB', 'NL'][i % 5 + 1] AS country, i % 17 AS txn_count_7d,"
          + " CASE WHEN hash(i) % 1000 > 900 THEN 'declined' ELSE 'approved' END AS decision,"
          + " strftime(TIMESTAMP '2026-11-01' + INTERVAL (i * 100) MILLISECOND, '%Y-%m-%d') AS date,"
          + " ['eu', 'us', 'apac'][i % 3 + 1] AS region FROM range(" + rows + ") t(i))"
          + " TO '" + tree + "' (" + options + ", PARTITION_BY (date, region))");
    }
  }

  private static long direct(ImportSpec spec, Path state, RecordSink sink) throws Exception {
    try (Source source = Source.of(spec.from(), S3Settings.DEFAULTS, state.resolveSibling("scratch"))) {
      return new Importer(spec, source, ImportState.load(state, JSON), sink, new ImportListener() {}, JSON).run().accepted();
    }
  }

  /** Counts the records and stores nothing: what the import costs before ingest. */
  private static byte[] dropped(byte[] ndjson, String key) {
    int n = 0;
    for (byte b : ndjson) {
      if (b == '\n') {
        n++;
      }
    }
    return ("{\"accepted\": " + n + ", \"rejected\": [], \"warnings\": []}").getBytes(StandardCharsets.UTF_8);
  }

  private static RecordSink http(String url, String endpoint) {
    return (ndjson, key) -> {
      HttpResponse<byte[]> r;
      try {
        r = HTTP.send(
          HttpRequest.newBuilder(URI.create(url + "/v1/endpoints/" + endpoint + "/predictions"))
              .header("Content-Type", "application/x-ndjson").header("Idempotency-Key", key)
              .POST(HttpRequest.BodyPublishers.ofByteArray(ndjson)).build(),
          HttpResponse.BodyHandlers.ofByteArray());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new java.io.IOException(e);
      }
      if (r.statusCode() != 200) {
        throw new java.io.IOException(r.statusCode() + ": " + new String(r.body(), StandardCharsets.UTF_8));
      }
      return r.body();
    };
  }

  private static long job(String url, ImportSpec spec) throws Exception {
    HttpResponse<String> started = HTTP.send(
        HttpRequest.newBuilder(URI.create(url + "/v1/jobs/imports")).header("Content-Type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofString(JSON.writeValueAsString(spec.toJson(JSON)))).build(),
        HttpResponse.BodyHandlers.ofString());
    String id = JSON.readTree(started.body()).get("id").asText();
    while (true) {
      JsonNode job = JSON.readTree(HTTP.send(HttpRequest.newBuilder(URI.create(url + "/v1/jobs/" + id)).build(),
          HttpResponse.BodyHandlers.ofString()).body());
      String state = job.path("state").asText();
      if (state.equals("done")) {
        return job.path("counts").path("rows_accepted").asLong();
      }
      if (state.equals("failed") || state.equals("cancelled")) {
        throw new IllegalStateException("the import job ended " + state + ": " + job);
      }
      Thread.sleep(Duration.ofMillis(20).toMillis());
    }
  }
}
