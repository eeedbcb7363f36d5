package io.hindsight.bench.server;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.Set;
import org.gaul.s3proxy.AuthenticationType;
import org.gaul.s3proxy.S3Proxy;
import org.jclouds.ContextBuilder;
import org.jclouds.blobstore.BlobStoreContext;

/**
 * Queries over a lake kept on S3-compatible storage, answered by a node that follows the store
 * ({@code lake.follow}).
 *
 * <ol>
 *   <li>Store: S3Proxy on a local folder ({@code filesystem} backend) in this JVM, path-style.
 *   <li>Fill: a writer server ({@code lake.uri}) takes a seed of 16,000 records through the API;
 *       the rest are written as Parquet straight into its lake ({@link LakeFill}), one file of
 *       {@code --rows-per-file} rows a day; the writer is started again and uploads them as it
 *       does a lake that moves to a store.
 *   <li>Follow: a second server with {@code lake.follow} and an empty data folder starts; the
 *       time to its first answer covers downloading the whole lake.
 *   <li>Queries on the follower, {@code --runs} runs: {@code --lookups} SQL point lookups of ids
 *       sampled from the lake ({@code prediction_id = ?}), and one day's aggregate (count, mean,
 *       p95 of a score) for one {@code date}), each run's median; the result is the median of runs.
 *       The same on the writer, which reads its local working copy, as the baseline.
 *   <li>Freshness: a record sent to the writer, timed until the follower's SQL returns it.
 * </ol>
 * Both servers run in their own JVMs ({@link ServerProcess}).
 */
public final class S3LakeBenchmark {
  private static final String BUCKET = "lake";
  private static final String ACCESS_KEY = "bench-access";
  private static final String SECRET_KEY = "bench-secret";
  private static final String ENDPOINT = "fraud-ordered";

  private S3LakeBenchmark() {}

  public static void main(String[] args) throws Exception {
    Flags f = new Flags(args, Set.of("--records", "--rows-per-file", "--lookups", "--runs", "--work-dir", "--server-jvm-opts"), Set.of());
    long records = f.longValue("--records", 1_000_000);
    long rowsPerFile = f.longValue("--rows-per-file", 250_000);
    int lookups = f.integer("--lookups", 50);
    int runs = f.integer("--runs", 5);
    List<String> jvm = LoadGenerator.jvmOptions(f.string("--server-jvm-opts", ""));
    Path work = Files.createDirectories(Path.of(f.string("--work-dir", "bench/target/s3-lake")));
    if (Files.list(work).findAny().isPresent()) {
      throw new IllegalArgumentException(work + " is not empty; delete it or pass another --work-dir");
    }
    Path storeDir = Files.createDirectories(work.resolve("store"));
    Properties props = new Properties();
    props.setProperty("jclouds.filesystem.basedir", storeDir.toString());
    try (BlobStoreContext context =
        ContextBuilder.newBuilder("filesystem").overrides(props).build(BlobStoreContext.class)) {
      context.getBlobStore().createContainerInLocation(null, BUCKET);
      S3Proxy proxy =
          S3Proxy.builder()
              .blobStore(context.getBlobStore())
              .endpoint(URI.create("http://127.0.0.1:0"))
              .awsAuthentication(AuthenticationType.AWS_V2_OR_V4, ACCESS_KEY, SECRET_KEY)
              .ignoreUnknownHeaders(true)
              .build();
      proxy.start();
      while (!proxy.getState().equals("STARTED")) {
        Thread.sleep(10);
      }
      try {
        run(work, proxy.getPort(), records, rowsPerFile, lookups, runs, jvm);
      } finally {
        proxy.stop();
      }
    }
  }

  private static void run(Path work, int port, long records, long rowsPerFile, int lookups, int runs, List<String> jvm)
      throws Exception {
    String store =
        "lake:\n  uri: s3://" + BUCKET + "/hindsight\n  s3:\n    endpoint: http://127.0.0.1:" + port
            + "\n    region: us-east-1\n    path-style: true\n    access-key: " + ACCESS_KEY + "\n    secret-key: " + SECRET_KEY + "\n";
    Path writerConfig = Files.writeString(work.resolve("writer.yaml"), store);
    Path followerConfig = Files.writeString(work.resolve("follower.yaml"), store + "  follow: true\n  follow-interval: PT1S\n");
    Path writerData = work.resolve("writer");
    Path followerData = work.resolve("follower");

    ServerProcess writer = ServerProcess.start(writerData, jvm, writerConfig);
    long seed = Math.min(records, 16_000);
    LoadGenerator.run(new LoadGenerator.Options(writer.url(), ENDPOINT, 4, 500, 0, Duration.ZERO, Duration.ZERO,
        IdStyle.ORDERED, false, false, false, "sql", false, seed, 32, true));
    writer.close();
    long fillStart = System.nanoTime();
    int files = LakeFill.generate(writerData.resolve("lake"), ENDPOINT, IdStyle.ORDERED, records - seed, rowsPerFile,
        LocalDate.now(ZoneOffset.UTC));
    System.out.printf("fill: %,d records as %d Parquet files in %.0f s%n", records - seed, files, (System.nanoTime() - fillStart) / 1e9);
    // The generated files enter the store the way a lake kept locally moves to one: at a start
    // that meets the store for the first time.
    Files.delete(writerData.resolve("lake/.lake-store"));
    long uploadStart = System.nanoTime();
    writer = ServerProcess.start(writerData, jvm, writerConfig);
    System.out.printf("writer start with the upload: %.1f s%n", (System.nanoTime() - uploadStart) / 1e9);
    try {
      long followStart = System.nanoTime();
      try (ServerProcess follower = ServerProcess.start(followerData, jvm, followerConfig)) {
        System.out.printf("follower start with the download of the lake: %.1f s, pid %d%n",
            (System.nanoTime() - followStart) / 1e9, follower.pid());
        HindsightHttp http = new HindsightHttp(follower.url());
        long n = number(http.query("SELECT count(*) FROM predictions WHERE endpoint = ?", ENDPOINT));
        long bytes = folderBytes(followerData.resolve("lake/predictions"));
        System.out.printf("follower: %,d records, %,d bytes of Parquet in its cache%n", n, bytes);
        String day = LocalDate.now(ZoneOffset.UTC).minusDays(1).toString();
        measure("follower", http, n, day, lookups, runs);
        // The same queries on the writer, whose folder is the working copy: the local baseline.
        measure("writer", new HindsightHttp(writer.url()), n, day, lookups, runs);
        System.out.printf("RESULT s3_lake_follow_visible p50_ms=%.0f (writer flush 250 ms, follower interval 1 s)%n",
            freshness(new HindsightHttp(writer.url()), http, 5));
      }
    } finally {
      writer.close();
    }
  }

  /** Point lookups and a day's aggregate on one node, {@code runs} times; prints the median of the runs' medians. */
  private static void measure(String node, HindsightHttp http, long n, String day, int lookups, int runs) throws Exception {
    List<Double> lookupMedians = new ArrayList<>();
    List<Double> aggregateMedians = new ArrayList<>();
    for (int run = 0; run < runs; run++) {
      List<Double> times = new ArrayList<>();
      List<String> ids = ids(http, lookups + 5);
      for (int i = 0; i < ids.size(); i++) {
        long t = System.nanoTime();
        check(http.query("SELECT * FROM predictions WHERE endpoint = ? AND prediction_id = ?", ENDPOINT, ids.get(i)));
        if (i >= 5) {
          times.add((System.nanoTime() - t) / 1e6);
        }
      }
      lookupMedians.add(median(times));
      times.clear();
      for (int i = 0; i < 7; i++) {
        long t = System.nanoTime();
        check(http.query("SELECT count(*), avg(amount), quantile_cont(score_gbm, 0.95) FROM predictions"
            + " WHERE endpoint = ? AND date = CAST(? AS DATE)", ENDPOINT, day));
        if (i >= 2) {
          times.add((System.nanoTime() - t) / 1e6);
        }
      }
      aggregateMedians.add(median(times));
    }
    System.out.printf("RESULT s3_lake_lookup node=%s records=%d p50_ms=%.1f lookups=%d run_p50s=%s%n", node, n,
        median(lookupMedians), lookups, rounded(lookupMedians));
    System.out.printf("RESULT s3_lake_day_aggregate node=%s records=%d day=%s p50_ms=%.1f run_p50s=%s%n", node, n, day,
        median(aggregateMedians), rounded(aggregateMedians));
  }

  /** Median time from a record's ack by the writer to its first appearance in the follower's SQL. */
  private static double freshness(HindsightHttp writer, HindsightHttp follower, int samples) throws Exception {
    List<Double> times = new ArrayList<>();
    for (int i = 0; i < samples; i++) {
      String id = "fresh-" + System.nanoTime();
      byte[] body = ("{\"prediction_id\": \"" + id + "\", \"data\": {\"amount\": 1.5}}").getBytes();
      check(writer.ingest(ENDPOINT, body, body.length, false));
      long t = System.nanoTime();
      while (number(follower.query("SELECT count(*) FROM predictions WHERE endpoint = ? AND prediction_id = ?", ENDPOINT, id)) == 0) {
        Thread.sleep(20);
      }
      times.add((System.nanoTime() - t) / 1e6);
    }
    return median(times);
  }

  private static List<String> ids(HindsightHttp http, int n) throws Exception {
    HindsightHttp.Answer a = http.query("SELECT prediction_id FROM predictions WHERE endpoint = ? ORDER BY random() LIMIT " + n, ENDPOINT);
    check(a);
    List<String> out = new ArrayList<>();
    for (JsonNode row : HindsightHttp.JSON.readTree(a.body()).get("rows")) {
      out.add(row.get(0).asText());
    }
    return out;
  }

  private static long number(HindsightHttp.Answer a) throws Exception {
    check(a);
    return HindsightHttp.JSON.readTree(a.body()).get("rows").get(0).get(0).asLong();
  }

  private static void check(HindsightHttp.Answer a) {
    if (a.status() != 200) {
      throw new IllegalStateException("the server answered " + a.status() + ": " + a.body());
    }
  }

  private static String rounded(List<Double> values) {
    return values.stream().map(v -> String.format("%.1f", v)).toList().toString().replace(" ", "");
  }

  private static double median(List<Double> values) {
    double[] v = values.stream().mapToDouble(Double::doubleValue).sorted().toArray();
    return v.length % 2 == 1 ? v[v.length / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
  }

  private static long folderBytes(Path dir) throws Exception {
    try (var s = Files.walk(dir)) {
      return s.filter(Files::isRegularFile).mapToLong(p -> p.toFile().length()).sum();
    }
  }
}
