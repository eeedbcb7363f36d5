package io.hindsight.bench.server;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;

/**
 * Point lookups and bytes on disk over a filled lake.
 *
 * <ol>
 *   <li>Fill (skipped with {@code --reuse DIR}): a server in a child JVM takes {@code --records}
 *       records per id style through its ingest API at full speed: time-ordered ids into
 *       endpoint {@code fraud-ordered}, random {@code txn-…} ids into {@code fraud-random}.
 *   <li>Settle: waits until every acknowledged record is in the lake and compaction has stopped
 *       changing files.
 *   <li>Disk: bytes of {@code data-dir/lake} per record, against the JSON bytes per record sent.
 *   <li>Lookups: ids sampled uniformly from each endpoint, each looked up three ways: {@code GET
 *       /v1/endpoints/{e}/predictions/{id}}, SQL by id, and SQL by id with {@code date = ?}.
 * </ol>
 */
public final class QueryBenchmark {
  private static final String SQL_BY_ID = "SELECT * FROM predictions WHERE endpoint = ? AND prediction_id = ?";
  private static final String SQL_BY_ID_AND_DATE = SQL_BY_ID + " AND date = ?";

  private QueryBenchmark() {}

  public static void main(String[] args) throws Exception {
    Flags f =
        new Flags(
            args,
            Set.of("--records", "--data-dir", "--reuse", "--lookups", "--clients", "--settle-timeout", "--quiet-period",
                "--server-jvm-opts", "--server-config"),
            Set.of("--restart"));
    long records = f.longValue("--records", 10_000_000);
    int lookups = f.integer("--lookups", 100);
    int clients = f.integer("--clients", 4);
    Duration settleTimeout = f.duration("--settle-timeout", Duration.ofMinutes(20));
    Duration quietPeriod = f.duration("--quiet-period", Duration.ofSeconds(45));
    List<String> jvm = LoadGenerator.jvmOptions(f.string("--server-jvm-opts", ""));
    Path config = LoadGenerator.configPath(f);
    boolean reuse = f.has("--reuse");
    Path dataDir = Path.of(reuse ? f.string("--reuse", null) : f.string("--data-dir", "bench/target/query-data"));
    if (!reuse && Files.exists(dataDir) && !isEmpty(dataDir)) {
      throw new IllegalArgumentException(
          dataDir + " is not empty: pass --reuse " + dataDir + " to measure it again, or delete it to fill anew");
    }
    if (reuse && !Files.isDirectory(dataDir.resolve("lake"))) {
      throw new IllegalArgumentException(dataDir + " has no lake/ folder to reuse; fill one with --data-dir first");
    }

    ServerProcess server = ServerProcess.start(dataDir, jvm, config);
    try {
      HindsightHttp http = new HindsightHttp(server.url());
      if (!reuse) {
        for (IdStyle style : IdStyle.values()) {
          String endpoint = endpointFor(style);
          System.out.printf("fill: %,d records with %s ids into %s%n", records, style.name().toLowerCase(), endpoint);
          LoadGenerator.Options o =
              new LoadGenerator.Options(server.url(), endpoint, clients, 500, 0, Duration.ZERO, Duration.ZERO, style,
                  false, false, records, 32, true);
          LoadGenerator.Result r = LoadGenerator.run(o);
          System.out.printf("fill %s: %,.0f records/s, %d failed batches, ack %s%n", endpoint, r.recordsPerSecond(),
              r.failures(), r.service().summary());
          if (r.failures() > 0) {
            System.out.println("  failures e.g. " + r.failureSamples());
          }
        }
      }
      settle(http, dataDir.resolve("lake"), settleTimeout, quietPeriod);
      if (f.has("--restart")) {
        System.out.println("restarting the server (cold caches for lookups)");
        server.close();
        server = ServerProcess.start(dataDir, jvm, config);
        http = new HindsightHttp(server.url());
      }

      long total = 0;
      for (IdStyle style : IdStyle.values()) {
        long n = count(http, endpointFor(style));
        System.out.printf("%s: %,d records%n", endpointFor(style), n);
        total += n;
      }
      disk(dataDir, total);

      System.out.printf("lookups: %d per combination after 5 warm-up lookups, server pid %d%n", lookups, server.pid());
      for (IdStyle style : IdStyle.values()) {
        lookups(http, endpointFor(style), style, lookups);
      }
    } finally {
      server.close();
    }
  }

  private static String endpointFor(IdStyle style) {
    return style == IdStyle.ORDERED ? "fraud-ordered" : "fraud-random";
  }

  private static boolean isEmpty(Path dir) throws IOException {
    try (Stream<Path> s = Files.list(dir)) {
      return s.findAny().isEmpty();
    }
  }

  /** Waits until nothing acknowledged is outside the lake and the lake's files stopped changing. */
  private static void settle(HindsightHttp http, Path lake, Duration timeout, Duration quiet)
      throws IOException, InterruptedException {
    long start = System.nanoTime();
    long deadline = start + timeout.toNanos();
    String last = "";
    long stableSince = System.nanoTime();
    while (System.nanoTime() < deadline) {
      double pending = http.metric("hindsight_lake_pending_records");
      String shape = lakeShape(lake);
      if (!shape.equals(last) || pending > 0) {
        last = shape;
        stableSince = System.nanoTime();
      } else if (System.nanoTime() - stableSince >= quiet.toNanos()) {
        System.out.printf("settled after %.0f s: %s%n", (System.nanoTime() - start) / 1e9, shape);
        return;
      }
      Thread.sleep(2_000);
    }
    System.out.printf("lake still changing after %s (%s); measuring anyway%n", timeout, last);
  }

  private static String lakeShape(Path lake) throws IOException {
    long[] filesAndBytes = parquetFilesAndBytes(lake);
    return filesAndBytes[0] + " parquet files, " + filesAndBytes[1] + " bytes";
  }

  private static long[] parquetFilesAndBytes(Path dir) throws IOException {
    long files = 0;
    long bytes = 0;
    if (!Files.exists(dir)) {
      return new long[] {0, 0};
    }
    try (Stream<Path> s = Files.walk(dir)) {
      for (Path p : (Iterable<Path>) s::iterator) {
        if (Files.isRegularFile(p)) {
          bytes += Files.size(p);
          if (p.getFileName().toString().endsWith(".parquet")) {
            files++;
          }
        }
      }
    }
    return new long[] {files, bytes};
  }

  private static long count(HindsightHttp http, String endpoint) throws IOException, InterruptedException {
    HindsightHttp.Answer a = http.query("SELECT count(*) FROM predictions WHERE endpoint = ?", endpoint);
    if (a.status() != 200) {
      throw new IOException("count failed: HTTP " + a.status() + " " + a.body());
    }
    return a.json().path("rows").path(0).path(0).asLong();
  }

  private static void disk(Path dataDir, long records) throws IOException, InterruptedException {
    Path lake = dataDir.resolve("lake");
    long[] fb = parquetFilesAndBytes(lake);
    long allocated = duBytes(lake);
    long dataDirBytes = duBytes(dataDir);
    double json = jsonBytesPerRecord();
    double perRecord = (double) fb[1] / records;
    System.out.printf(
        "disk: lake %,d bytes in %d parquet files (du %,d bytes), data dir du %,d bytes, %,d records%n",
        fb[1], fb[0], allocated, dataDirBytes, records);
    System.out.printf("disk: %.1f lake bytes/record vs %.0f JSON bytes/record = %.1f%% (target <= 10%%)%n",
        perRecord, json, 100 * perRecord / json);
    System.out.printf("RESULT lake_bytes_per_record=%.1f json_bytes_per_record=%.0f lake_pct_of_json=%.1f records=%d%n",
        perRecord, json, 100 * perRecord / json, records);
  }

  /** Average size of the records the fill sent (same generator, same seed). */
  private static double jsonBytesPerRecord() {
    FraudRecords gen = new FraudRecords(42);
    long bytes = 0;
    for (int i = 0; i < 32; i++) {
      bytes += gen.batch(500).length();
    }
    return bytes / (32 * 500.0);
  }

  private static long duBytes(Path p) throws IOException, InterruptedException {
    Process du = new ProcessBuilder("du", "-s", "--block-size=1", p.toAbsolutePath().toString()).start();
    String out = new String(du.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
    du.waitFor();
    return out.isEmpty() ? -1 : Long.parseLong(out.split("\\s+")[0]);
  }

  private static void lookups(HindsightHttp http, String endpoint, IdStyle style, int n)
      throws IOException, InterruptedException {
    HindsightHttp.Answer sample =
        http.query(
            // USING SAMPLE over the Parquet view can return fewer rows than asked; this is exact.
            "SELECT prediction_id, CAST(date AS VARCHAR) FROM predictions WHERE endpoint = ? ORDER BY random() LIMIT "
                + (n + 5),
            endpoint);
    if (sample.status() != 200) {
      throw new IOException("sampling ids failed: HTTP " + sample.status() + " " + sample.body());
    }
    List<String[]> ids = new ArrayList<>();
    for (JsonNode row : sample.json().path("rows")) {
      ids.add(new String[] {row.path(0).asText(), row.path(1).asText()});
    }
    LatencySamples get = new LatencySamples();
    LatencySamples sql = new LatencySamples();
    LatencySamples sqlDate = new LatencySamples();
    int misses = 0;
    for (int i = 0; i < ids.size(); i++) {
      String id = ids.get(i)[0];
      String date = ids.get(i)[1];
      boolean record = i >= 5;
      long t = System.nanoTime();
      HindsightHttp.Answer a = http.lookup(endpoint, id);
      long d = System.nanoTime() - t;
      misses += a.status() == 200 ? 0 : 1;
      if (record) {
        get.add(d);
      }
      t = System.nanoTime();
      a = http.query(SQL_BY_ID, endpoint, id);
      d = System.nanoTime() - t;
      misses += a.status() == 200 && a.json().path("rows").size() == 1 ? 0 : 1;
      if (record) {
        sql.add(d);
      }
      t = System.nanoTime();
      a = http.query(SQL_BY_ID_AND_DATE, endpoint, id, date);
      d = System.nanoTime() - t;
      misses += a.status() == 200 && a.json().path("rows").size() == 1 ? 0 : 1;
      if (record) {
        sqlDate.add(d);
      }
      if (misses > 0 && i == 0) {
        System.out.println("  first lookup did not find the id: HTTP " + a.status() + " " + a.body());
      }
    }
    String s = style.name().toLowerCase();
    System.out.printf("lookup %s ids (%s), not found: %d%n", s, endpoint, misses);
    System.out.println("  GET /v1/endpoints/{e}/predictions/{id}: " + get.summary());
    System.out.println("  SQL by id:                            " + sql.summary());
    System.out.println("  SQL by id and date:                   " + sqlDate.summary());
    System.out.printf(
        "RESULT lookup_%s get_p50_ms=%.1f get_p99_ms=%.1f sql_p50_ms=%.1f sql_p99_ms=%.1f sql_date_p50_ms=%.1f"
            + " sql_date_p99_ms=%.1f misses=%d%n",
        s, get.percentileMillis(0.5), get.percentileMillis(0.99), sql.percentileMillis(0.5), sql.percentileMillis(0.99),
        sqlDate.percentileMillis(0.5), sqlDate.percentileMillis(0.99), misses);
  }
}
