package io.hindsight.bench.server;

import io.hindsight.server.monitor.MetricNames;
import java.io.IOException;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;

/**
 * A 90-day hourly series read from a realistic metric store (DESIGN §10), through {@code GET
 * /v1/endpoints/{e}/metrics} and through SQL on the {@code metrics} view.
 *
 * <p>The store is written directly, the way the server's {@code MetricStore} writes it: one
 * {@code lake/metrics/endpoint=<e>/date=<d>/metrics.parquet} per day (zstd, sorted by metric,
 * column, segment, granularity, window start) holding every hourly window and the day, for the
 * window metrics, the per-feature metrics of {@code --features} features, binary quality
 * (realized and estimated), each for all rows and per value of two segment columns of five values.
 * A server in a child JVM then starts on that data folder (it loads the files into its in-memory
 * store) and the same series is requested {@code --requests} times per round after a warm-up.
 */
public final class MetricSeriesBenchmark {
  static final String ENDPOINT = "bench-fraud";
  private static final List<String> QUALITY =
      List.of("accuracy", "precision", "recall", "f1", "roc_auc", "pr_auc", "log_loss", "brier", "positive_rate");
  private static final List<String> ESTIMATED = List.of("accuracy", "precision", "recall", "f1", "roc_auc");
  private static final String SQL_SERIES =
      "SELECT window_start, value, rows FROM metrics WHERE endpoint = ? AND metric = 'mean' AND column_name = 'amount'"
          + " AND segment = '' AND granularity = '1h' AND window_start >= ?::TIMESTAMPTZ AND window_start < ?::TIMESTAMPTZ"
          + " ORDER BY window_start";

  private MetricSeriesBenchmark() {}

  public static void main(String[] args) throws Exception {
    Flags f =
        new Flags(
            args,
            Set.of("--data-dir", "--days", "--features", "--segment-values", "--rounds", "--requests", "--warmup",
                "--server-jvm-opts"),
            Set.of());
    Path dataDir = Path.of(f.string("--data-dir", "bench/target/metric-store-data"));
    int days = f.integer("--days", 90);
    int features = f.integer("--features", 20);
    int segmentValues = f.integer("--segment-values", 5);
    int rounds = f.integer("--rounds", 5);
    int requests = f.integer("--requests", 50);
    int warmup = f.integer("--warmup", 10);
    if (Files.exists(dataDir)) {
      LoadGenerator.deleteTree(dataDir);
    }
    Instant now = Instant.now();
    Instant to = now.truncatedTo(ChronoUnit.HOURS).plus(1, ChronoUnit.HOURS);
    Instant from = to.minus(Duration.ofDays(days));
    long rows = writeStore(dataDir.resolve("lake").resolve("metrics"), from, to, features, segmentValues);
    System.out.printf(
        "store: %,d rows over %d days (%,d a day), %d features, 2 segment columns of %d values, %,d bytes of Parquet%n",
        rows, days, rows / (days + 1), features, segmentValues, bytesUnder(dataDir.resolve("lake")));

    long startNanos = System.nanoTime();
    try (ServerProcess server =
        ServerProcess.start(dataDir, LoadGenerator.jvmOptions(f.string("--server-jvm-opts", "")), null)) {
      System.out.printf(
          "server up in %.1f s (loads the store into memory); resident memory %s%n",
          (System.nanoTime() - startNanos) / 1e9, residentMemory(server.pid()));
      HindsightHttp http = new HindsightHttp(server.url());
      int expected = days * 24;
      String path =
          "/v1/endpoints/" + ENDPOINT + "/metrics?metric=mean&column=amount&granularity=1h&from="
              + encode(from) + "&to=" + encode(to);
      Request api = () -> points(http.get(path), "points", expected);
      Request sql = () -> points(http.query(SQL_SERIES, ENDPOINT, from.toString(), to.toString()), "rows", expected);
      double[] apiP50 = new double[rounds];
      double[] sqlP50 = new double[rounds];
      for (int r = 0; r < rounds; r++) {
        LatencySamples a = time(api, warmup, requests);
        LatencySamples s = time(sql, warmup, requests);
        apiP50[r] = a.percentileMillis(0.5);
        sqlP50[r] = s.percentileMillis(0.5);
        System.out.printf(
            "round %d: GET metrics p50=%.1f ms p95=%.1f ms max=%.1f ms | SQL p50=%.1f ms p95=%.1f ms max=%.1f ms (%d points, n=%d)%n",
            r + 1, a.percentileMillis(0.5), a.percentileMillis(0.95), a.maxMillis(), s.percentileMillis(0.5),
            s.percentileMillis(0.95), s.maxMillis(), expected, requests);
      }
      System.out.printf(
          "RESULT series_points=%d store_rows=%d api_p50_median_ms=%.1f sql_p50_median_ms=%.1f resident=%s%n",
          expected, rows, median(apiP50), median(sqlP50), residentMemory(server.pid()).replace(" ", ""));
    }
  }

  /** One timed request; throws when the answer is not the full series. */
  private interface Request {
    void send() throws IOException, InterruptedException;
  }

  private static LatencySamples time(Request request, int warmup, int requests) throws IOException, InterruptedException {
    for (int i = 0; i < warmup; i++) {
      request.send();
    }
    LatencySamples out = new LatencySamples();
    for (int i = 0; i < requests; i++) {
      long t0 = System.nanoTime();
      request.send();
      out.add(System.nanoTime() - t0);
    }
    return out;
  }

  private static void points(HindsightHttp.Answer a, String field, int expected) throws IOException {
    if (a.status() != 200) {
      throw new IOException("HTTP " + a.status() + ": " + a.body());
    }
    int n = a.json().path(field).size();
    if (n != expected) {
      throw new IOException("expected " + expected + " points, got " + n);
    }
  }

  /**
   * Writes one file per day in {@code [from, to)} with the store's columns and order; returns the
   * rows written. Values are random (a benchmark of reads does not depend on them).
   */
  static long writeStore(Path metricsDir, Instant from, Instant to, int features, int segmentValues)
      throws IOException, SQLException {
    try (Connection c = DriverManager.getConnection("jdbc:duckdb:");
        Statement st = c.createStatement()) {
      st.execute("SET TimeZone = 'UTC'");
      st.execute("CREATE TABLE names (metric VARCHAR, column_name VARCHAR)");
      List<String> inserts = new ArrayList<>();
      for (String m : MetricNames.WINDOW) {
        inserts.add(row(m, null));
      }
      for (int i = 0; i < features; i++) {
        String column = i == 0 ? "amount" : "feature_" + i;
        for (String m : MetricNames.PER_COLUMN) {
          inserts.add(row(m, column));
        }
      }
      QUALITY.forEach(q -> inserts.add(row(q, null)));
      ESTIMATED.forEach(q -> inserts.add(row("estimated_" + q, null)));
      st.execute("INSERT INTO names VALUES " + String.join(", ", inserts));
      st.execute("CREATE TABLE segments (segment VARCHAR)");
      st.execute(
          "INSERT INTO segments SELECT '' UNION ALL SELECT 'model_version=v' || i FROM range(" + segmentValues + ") t(i)"
              + " UNION ALL SELECT 'tags.segment=s' || i FROM range(" + segmentValues + ") t(i)");
      long rows = 0;
      for (LocalDate d = LocalDate.ofInstant(from, ZoneOffset.UTC); d.atStartOfDay().toInstant(ZoneOffset.UTC).isBefore(to); d = d.plusDays(1)) {
        Path folder = metricsDir.resolve("endpoint=" + ENDPOINT).resolve("date=" + d);
        Files.createDirectories(folder);
        String file = folder.resolve("metrics.parquet").toAbsolutePath().toString().replace("'", "''");
        try (PreparedStatement p =
            c.prepareStatement(
                "COPY (WITH windows AS ("
                    + " SELECT '1h' AS granularity, h AS window_start, h + INTERVAL 1 HOUR AS window_end"
                    + " FROM generate_series(?::TIMESTAMPTZ, ?::TIMESTAMPTZ + INTERVAL 23 HOUR, INTERVAL 1 HOUR) t(h)"
                    + " WHERE h >= ?::TIMESTAMPTZ AND h < ?::TIMESTAMPTZ"
                    + " UNION ALL SELECT '1d', ?::TIMESTAMPTZ, ?::TIMESTAMPTZ + INTERVAL 1 DAY)"
                    + " SELECT n.metric, n.column_name, s.segment, w.granularity, w.window_start, w.window_end,"
                    + " 50 + 10 * random() AS value, (1000 + 50000 * random())::BIGINT AS rows, w.window_end AS computed_at"
                    + " FROM names n, segments s, windows w"
                    + " ORDER BY n.metric, n.column_name, s.segment, w.granularity, w.window_start)"
                    + " TO '" + file + "' (FORMAT parquet, COMPRESSION zstd)")) {
          String day = d.atStartOfDay().toInstant(ZoneOffset.UTC).toString();
          p.setString(1, day);
          p.setString(2, day);
          p.setString(3, from.toString());
          p.setString(4, to.toString());
          p.setString(5, day);
          p.setString(6, day);
          p.execute();
          rows += p.getUpdateCount();
        }
      }
      return rows;
    }
  }

  private static String row(String metric, String column) {
    return "('" + metric + "', " + (column == null ? "NULL" : "'" + column + "'") + ")";
  }

  private static String encode(Instant t) {
    return URLEncoder.encode(t.toString(), StandardCharsets.UTF_8);
  }

  static long bytesUnder(Path dir) throws IOException {
    try (Stream<Path> s = Files.walk(dir)) {
      return s.filter(Files::isRegularFile).mapToLong(p -> p.toFile().length()).sum();
    }
  }

  /** {@code VmRSS} of a process from {@code /proc}; "?" where that is absent. */
  static String residentMemory(long pid) {
    try {
      for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid), "status"))) {
        if (line.startsWith("VmRSS:")) {
          long kb = Long.parseLong(line.replaceAll("[^0-9]", ""));
          return kb / 1024 + " MB";
        }
      }
    } catch (IOException | RuntimeException noProc) {
      // not Linux
    }
    return "?";
  }

  static double median(double[] values) {
    double[] s = values.clone();
    Arrays.sort(s);
    return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
  }
}
