package io.hindsight.bench.server;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;

/**
 * Point lookups and bytes on disk over a filled lake.
 *
 * <ol>
 *   <li>Fill (skipped with {@code --reuse DIR}), {@code --records} records per id style:
 *       time-ordered ids into endpoint {@code fraud-ordered}, random {@code txn-…} ids into
 *       {@code fraud-random}. {@code --fill generate} (the default) sends a seed of 16,000
 *       records per endpoint through the ingest API, stops the server and writes the rest as
 *       Parquet files straight into the lake ({@link LakeFill}); {@code --fill http} sends every
 *       record through the ingest API at full speed.
 *   <li>Settle: waits until every acknowledged record is in the lake, compaction has stopped
 *       changing files and the lookup index covers every file.
 *   <li>Disk: bytes of {@code data-dir/lake} per record, against the JSON bytes per record sent.
 *   <li>Lookups, {@code --runs} times: {@code --lookups} ids sampled uniformly from each endpoint
 *       (after 5 warm-up ones), each looked up four ways: {@code GET
 *       /v1/endpoints/{e}/predictions/{id}} with and without {@code ?date=}, and SQL by id with
 *       and without {@code date = ?}.
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
                "--server-jvm-opts", "--server-config", "--fill", "--rows-per-file", "--runs"),
            Set.of("--restart"));
    long records = f.longValue("--records", 10_000_000);
    int lookups = f.integer("--lookups", 200);
    int runs = f.integer("--runs", 3);
    boolean generate = !f.string("--fill", "generate").equals("http");
    long rowsPerFile = f.longValue("--rows-per-file", 2_000_000);
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
        long sent = generate ? SEED_RECORDS : records;
        for (IdStyle style : IdStyle.values()) {
          String endpoint = endpointFor(style);
          System.out.printf("fill: %,d records with %s ids into %s through the API%n", sent, style.name().toLowerCase(), endpoint);
          LoadGenerator.Options o =
              new LoadGenerator.Options(server.url(), endpoint, clients, 500, 0, Duration.ZERO, Duration.ZERO, style,
                  false, false, false, "sql", false, sent, 32, true);
          LoadGenerator.Result r = LoadGenerator.run(o);
          System.out.printf("fill %s: %,.0f records/s, %d failed batches, ack %s%n", endpoint, r.recordsPerSecond(),
              r.failures(), r.service().summary());
          if (r.failures() > 0) {
            System.out.println("  failures e.g. " + r.failureSamples());
          }
        }
        if (generate && records > sent) {
          settle(http, dataDir.resolve("lake"), settleTimeout, Duration.ofSeconds(5));
          server.close();
          long start = System.nanoTime();
          for (IdStyle style : IdStyle.values()) {
            LakeFill.generate(dataDir.resolve("lake"), endpointFor(style), style, records - sent, rowsPerFile, LocalDate.now(ZoneOffset.UTC));
          }
          System.out.printf("fill: %,d records per endpoint written as Parquet in %.0f s%n", records - sent, (System.nanoTime() - start) / 1e9);
          server = ServerProcess.start(dataDir, jvm, config);
          http = new HindsightHttp(server.url());
        }
      }
      settle(http, dataDir.resolve("lake"), settleTimeout, quietPeriod);
      if (f.has("--restart")) {
        System.out.println("restarting the server (cold caches for lookups)");
        server.close();
        server = ServerProcess.start(dataDir, jvm, config);
        http = new HindsightHttp(server.url());
      }
      awaitIndex(http, dataDir.resolve("lake"), settleTimeout);
      awaitIdle(http, server.pid(), settleTimeout);

      long total = 0;
      for (IdStyle style : IdStyle.values()) {
        long n = count(http, endpointFor(style));
        System.out.printf("%s: %,d records%n", endpointFor(style), n);
        total += n;
      }
      disk(dataDir, total);

      System.out.printf("lookups: %d per way and run after 5 warm-up lookups, %d runs, server pid %d%n", lookups, runs, server.pid());
      for (IdStyle style : IdStyle.values()) {
        Map<String, List<double[]>> byWay = new LinkedHashMap<>();
        for (int run = 1; run <= runs; run++) {
          lookups(http, dataDir.resolve("lake"), endpointFor(style), style, lookups, run)
              .forEach((way, p) -> byWay.computeIfAbsent(way, k -> new ArrayList<>()).add(p));
        }
        byWay.forEach(
            (way, p) ->
                System.out.printf(
                    "RESULT lookup_median ids=%s way=%s p50_ms=%.1f p99_ms=%.1f runs=%d%n", style.name().toLowerCase(),
                    way, median(p, 0), median(p, 1), p.size()));
      }
    } finally {
      server.close();
    }
  }

  /** Records per endpoint sent through the API as the generated fill's seed: the generator's pool. */
  private static final long SEED_RECORDS = 32 * 500;

  private static double median(List<double[]> runs, int i) {
    double[] v = runs.stream().mapToDouble(r -> r[i]).sorted().toArray();
    return v.length % 2 == 1 ? v[v.length / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
  }

  /**
   * Waits for the metric store's first refresh and then until the server uses under 5 % of a core
   * over 2 s: after a start the store rebuilds its open windows from today's files (from 10 s on)
   * and computes the open hour and day from their rows (at one minute), a core for about a minute
   * at 10M records, which would otherwise be measured as lookup latency.
   */
  private static void awaitIdle(HindsightHttp http, long pid, Duration timeout) throws IOException, InterruptedException {
    long start = System.nanoTime();
    while (System.nanoTime() - start < timeout.toNanos() && http.metric("hindsight_monitor_refresh_lag_seconds") < 0) {
      Thread.sleep(1_000);
    }
    double refreshed = (System.nanoTime() - start) / 1e9;
    long window = Duration.ofSeconds(2).toNanos();
    double share = 1;
    while (System.nanoTime() - start < timeout.toNanos()) {
      long cpu = ServerCpu.processNanos(pid);
      long t0 = System.nanoTime();
      Thread.sleep(window / 1_000_000);
      share = (ServerCpu.processNanos(pid) - cpu) / (double) (System.nanoTime() - t0);
      if (share < 0.05) {
        break;
      }
    }
    System.out.printf(
        "metric store refreshed after %.0f s; server idle (%.0f %% of a core) after %.0f s%n",
        refreshed, share * 100, (System.nanoTime() - start) / 1e9);
  }

  /** Waits until the lookup index holds every data file of the lake, and says what it took. */
  private static void awaitIndex(HindsightHttp http, Path lake, Duration timeout) throws IOException, InterruptedException {
    long start = System.nanoTime();
    long files = parquetFilesAndBytes(lake.resolve("predictions"))[0] + parquetFilesAndBytes(lake.resolve("feedback"))[0];
    double indexed = 0;
    while (System.nanoTime() - start < timeout.toNanos()) {
      indexed = http.metric("hindsight_lookup_index_files");
      if (indexed >= files) {
        break;
      }
      Thread.sleep(500);
    }
    System.out.printf(
        "lookup index: %.0f of %d files after %.1f s, %,.0f bytes, %.0f files over its budget%n", indexed, files,
        (System.nanoTime() - start) / 1e9, http.metric("hindsight_lookup_index_bytes"),
        http.metric("hindsight_lookup_index_over_budget_files"));
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

  /** One run of lookups of one endpoint: way → {p50, p99} in ms. */
  private static Map<String, double[]> lookups(HindsightHttp http, Path lake, String endpoint, IdStyle style, int n, int run)
      throws IOException, InterruptedException, SQLException {
    List<String[]> ids = sampleIds(lake, endpoint, n + 5, run);
    Map<String, LatencySamples> ways = new LinkedHashMap<>();
    for (String way : List.of("get", "get_date", "sql", "sql_date")) {
      ways.put(way, new LatencySamples());
    }
    int misses = 0;
    for (int i = 0; i < ids.size(); i++) {
      String id = ids.get(i)[0];
      String date = ids.get(i)[1];
      for (String way : ways.keySet()) {
        long t = System.nanoTime();
        HindsightHttp.Answer a =
            switch (way) {
              case "get" -> http.lookup(endpoint, id, null);
              case "get_date" -> http.lookup(endpoint, id, date);
              case "sql" -> http.query(SQL_BY_ID, endpoint, id);
              default -> http.query(SQL_BY_ID_AND_DATE, endpoint, id, date);
            };
        long d = System.nanoTime() - t;
        boolean found = a.status() == 200 && (way.startsWith("get") || a.json().path("rows").size() == 1);
        if (!found && misses++ == 0) {
          System.out.println("  " + way + " did not find " + id + ": HTTP " + a.status() + " " + a.body());
        }
        if (i >= 5) {
          ways.get(way).add(d);
        }
      }
    }
    String s = style.name().toLowerCase();
    System.out.printf("lookup run %d, %s ids (%s), not found: %d%n", run, s, endpoint, misses);
    Map<String, double[]> out = new LinkedHashMap<>();
    for (Map.Entry<String, LatencySamples> e : ways.entrySet()) {
      LatencySamples samples = e.getValue();
      System.out.printf("  %-9s %s%n", e.getKey(), samples.summary());
      System.out.printf(
          "RESULT lookup ids=%s way=%s run=%d p50_ms=%.1f p99_ms=%.1f n=%d misses=%d%n", s, e.getKey(), run,
          samples.percentileMillis(0.5), samples.percentileMillis(0.99), samples.count(), misses);
      out.put(e.getKey(), new double[] {samples.percentileMillis(0.5), samples.percentileMillis(0.99)});
    }
    return out;
  }

  /**
   * Ids and dates drawn uniformly from the endpoint's files, read directly (read-only) by an
   * in-process DuckDB: a reservoir sample gives exactly {@code n}, unlike a sample through the view.
   */
  private static List<String[]> sampleIds(Path lake, String endpoint, int n, int seed) throws SQLException {
    List<String[]> ids = new ArrayList<>();
    try (Connection c = DriverManager.getConnection("jdbc:duckdb:");
        Statement st = c.createStatement();
        ResultSet rs =
            st.executeQuery(
                "SELECT prediction_id, CAST(date AS VARCHAR) FROM read_parquet('"
                    + lake.resolve("predictions").resolve("endpoint=" + endpoint).toAbsolutePath()
                    + "/*/*.parquet', hive_partitioning = true, union_by_name = true)"
                    + " USING SAMPLE reservoir(" + n + " ROWS) REPEATABLE (" + seed + ")")) {
      while (rs.next()) {
        ids.add(new String[] {rs.getString(1), rs.getString(2)});
      }
    }
    java.util.Collections.shuffle(ids, new java.util.Random(seed));
    return ids;
  }
}
