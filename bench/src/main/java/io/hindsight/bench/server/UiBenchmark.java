package io.hindsight.bench.server;

import com.fasterxml.jackson.databind.JsonNode;
import io.hindsight.server.lake.Lake;
import java.io.IOException;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;

/**
 * What the web UI's pages cost the server over a 10M-record endpoint (DESIGN §13): the explorer's
 * first page, a filtered page and a page deep in the keyset, one prediction's page (the lookup and
 * the two queries the page makes: events around it and similar predictions), and a 90-day
 * dashboard (a series from the metric store and the events query).
 *
 * <p>A few records are logged through the API first, so the server learns the endpoint's schema;
 * then the rest of the lake is written directly, one Parquet file per day, with the columns and
 * types of the file the server wrote and sorted by id as compaction sorts merged files (the same
 * shortcut as {@link MetricSeriesBenchmark}, whose 90-day metric store is written beside it). A
 * server in a child JVM then starts on that folder and each request is timed from this client
 * (loopback), which bounds the server's time from above.
 */
public final class UiBenchmark {
  private static final String ENDPOINT = MetricSeriesBenchmark.ENDPOINT;

  private UiBenchmark() {}

  public static void main(String[] args) throws Exception {
    Flags f =
        new Flags(
            args,
            Set.of("--data-dir", "--records", "--days", "--rounds", "--requests", "--warmup", "--server-jvm-opts", "--reuse"),
            Set.of());
    Path dataDir = Path.of(f.string("--data-dir", "bench/target/ui-data"));
    long records = Long.parseLong(f.string("--records", "10000000"));
    int days = f.integer("--days", 90);
    int rounds = f.integer("--rounds", 3);
    int requests = f.integer("--requests", 50);
    int warmup = f.integer("--warmup", 10);
    List<String> jvm = LoadGenerator.jvmOptions(f.string("--server-jvm-opts", ""));
    Instant to = Instant.now().truncatedTo(ChronoUnit.HOURS).plus(1, ChronoUnit.HOURS);
    Instant from = to.minus(Duration.ofDays(days));
    if (f.string("--reuse", "false").equals("false")) {
      fill(dataDir, records, days, from, to, jvm);
    }

    try (ServerProcess server = ServerProcess.start(dataDir, jvm, null)) {
      HindsightHttp http = new HindsightHttp(server.url());
      long total = http.query("SELECT count(*) FROM predictions WHERE endpoint = ?", ENDPOINT).json().path("rows").path(0).path(0).asLong();
      System.out.printf("lake: %,d records of %s over %d days, %,d bytes%n", total, ENDPOINT, days,
          MetricSeriesBenchmark.bytesUnder(dataDir.resolve("lake").resolve("predictions")));
      String explorer = "/v1/endpoints/" + ENDPOINT + "/predictions";
      String filtered =
          explorer + "?version=v2&decision=declined&tags.segment=high_value&where=" + enc("amount > 500") + "&from="
              + enc(to.minus(Duration.ofDays(30)).toString());
      String deep = explorer + "?after=" + cursorAfterPages(http, explorer + "?limit=500", 20);
      JsonNode sample = http.get(explorer + "?sort=amount&limit=1&where=" + enc("amount > 990")).json().path("rows").path(0);
      String id = sample.path(0).asText();
      String ts = sample.path(1).asText();
      Map<String, Page> pages = new LinkedHashMap<>();
      pages.put("explorer first page (ts desc, 50 rows)", get(http, explorer));
      pages.put("explorer filtered page (version, decision, tag, amount > 500, last 30 days)", get(http, filtered));
      pages.put("explorer page after 10,000 rows (cursor)", get(http, deep));
      pages.put(
          "prediction page (lookup + events around + similar)",
          () -> {
            check(http.lookup(ENDPOINT, id, null));
            check(http.query(
                "SELECT ts, kind, text FROM events WHERE endpoint = ? AND ts BETWEEN CAST(? AS TIMESTAMPTZ) - INTERVAL 1 DAY"
                    + " AND CAST(? AS TIMESTAMPTZ) + INTERVAL 1 DAY ORDER BY abs(epoch(ts) - epoch(CAST(? AS TIMESTAMPTZ))) LIMIT 20",
                ENDPOINT, ts, ts, ts));
            check(http.query(
                "SELECT prediction_id, ts, latency_ms, status FROM predictions WHERE endpoint = ? AND model_version IS NOT DISTINCT"
                    + " FROM ? AND prediction_id <> ? AND (CAST(? AS VARCHAR) IS NULL OR tags['segment'] = ?) AND date BETWEEN"
                    + " CAST(? AS DATE) - 1 AND CAST(? AS DATE) + 1 AND ts BETWEEN CAST(? AS TIMESTAMPTZ) - INTERVAL 1 HOUR AND"
                    + " CAST(? AS TIMESTAMPTZ) + INTERVAL 1 HOUR ORDER BY abs(epoch(ts) - epoch(CAST(? AS TIMESTAMPTZ))) LIMIT 10",
                ENDPOINT, sample.path(2).asText(), id, "high_value", "high_value", ts.substring(0, 10), ts.substring(0, 10), ts, ts, ts));
          });
      pages.put(
          "dashboard of 90 days (daily series + events)",
          () -> {
            check(http.get("/v1/endpoints/" + ENDPOINT + "/metrics?metric=mean&column=amount&granularity=1d&from=" + enc(from.toString())
                + "&to=" + enc(to.toString())));
            check(http.query(
                "SELECT ts, kind, text FROM events WHERE endpoint = ? AND ts BETWEEN CAST(? AS TIMESTAMPTZ) AND CAST(? AS TIMESTAMPTZ)"
                    + " ORDER BY ts LIMIT 200", ENDPOINT, from.toString(), to.toString()));
          });
      for (int r = 1; r <= rounds; r++) {
        for (Map.Entry<String, Page> e : pages.entrySet()) {
          LatencySamples s = time(e.getValue(), warmup, requests);
          System.out.printf("round %d: %s: p50=%.1f ms p95=%.1f ms max=%.1f ms (n=%d)%n", r, e.getKey(),
              s.percentileMillis(0.5), s.percentileMillis(0.95), s.maxMillis(), s.count());
        }
      }
    }
  }

  /** One page's requests (the SQL is what the page's script sends); throws unless each answered 200. */
  private interface Page {
    void load() throws IOException, InterruptedException;
  }

  private static Page get(HindsightHttp http, String path) {
    return () -> check(http.get(path));
  }

  private static void check(HindsightHttp.Answer a) throws IOException {
    if (a.status() != 200) {
      throw new IOException("HTTP " + a.status() + ": " + a.body());
    }
  }

  private static String cursorAfterPages(HindsightHttp http, String path, int pages) throws IOException, InterruptedException {
    String next = null;
    for (int i = 0; i < pages; i++) {
      HindsightHttp.Answer a = http.get(path + (next == null ? "" : "&after=" + next));
      check(a);
      next = a.json().path("next").asText();
    }
    return next;
  }

  private static LatencySamples time(Page page, int warmup, int requests) throws IOException, InterruptedException {
    for (int i = 0; i < warmup; i++) {
      page.load();
    }
    LatencySamples out = new LatencySamples();
    for (int i = 0; i < requests; i++) {
      long t0 = System.nanoTime();
      page.load();
      out.add(System.nanoTime() - t0);
    }
    return out;
  }

  /** Logs the seed records through the API, then writes the rest of the lake and the metric store. */
  private static void fill(Path dataDir, long records, int days, Instant from, Instant to, List<String> jvm) throws Exception {
    LoadGenerator.deleteTree(dataDir);
    long start = System.nanoTime();
    try (ServerProcess server = ServerProcess.start(dataDir, jvm, null)) {
      HindsightHttp http = new HindsightHttp(server.url());
      String seed =
          "[{\"prediction_id\": \"seed-1\", \"model_version\": \"v1\", \"request_id\": \"r\", \"latency_ms\": 5.0,"
              + " \"tags\": {\"segment\": \"standard\", \"channel\": \"web\"}, \"data\": {\"amount\": 12.5, \"merchant\": \"m1\","
              + " \"decision\": \"approved\", \"probabilities\": [0.9, 0.1], \"features\": {\"txn_count_7d\": 3},"
              + " \"reasons\": [{\"code\": \"R1\"}]}}]";
      byte[] body = seed.getBytes(StandardCharsets.UTF_8);
      check(http.ingest(ENDPOINT, body, body.length, false));
      while (http.get("/v1/endpoints/" + ENDPOINT + "/predictions/seed-1").status() != 200) {
        Thread.sleep(200);
      }
    }
    Path partitions = dataDir.resolve("lake").resolve("predictions").resolve("endpoint=" + ENDPOINT);
    Path seedFile;
    try (Stream<Path> s = Files.walk(partitions)) {
      seedFile = s.filter(p -> p.toString().endsWith(".parquet")).findFirst().orElseThrow();
    }
    writeLake(partitions, seedFile, records, days, to);
    MetricSeriesBenchmark.writeStore(dataDir.resolve("lake").resolve("metrics"), from, to, 20, 5);
    System.out.printf("filled %,d records and a %d-day metric store in %.0f s%n", records, days, (System.nanoTime() - start) / 1e9);
  }

  /** One file a day, the seed file's columns and types, sorted by id; ids and times rise together. */
  private static void writeLake(Path partitions, Path seedFile, long records, int days, Instant to) throws SQLException, IOException {
    Map<String, String> generated = new LinkedHashMap<>();
    generated.put("prediction_id", "'p-' || lpad(CAST(g AS VARCHAR), 10, '0')");
    generated.put("ts", "CAST({day} AS TIMESTAMPTZ) + to_microseconds(CAST(i * 86400000000 // {perDay} AS BIGINT))");
    generated.put("model_version", "'v' || (1 + hash(g) % 3)");
    generated.put("request_id", "'r-' || g");
    generated.put("tags", "MAP {'segment': CASE WHEN hash(g + 1) % 4 = 0 THEN 'high_value' ELSE 'standard' END, 'channel': 'web'}");
    generated.put("latency_ms", "5 + (hash(g + 2) % 1000) / 10.0");
    generated.put("status", "CASE WHEN g % 200 = 0 THEN 'error' ELSE 'ok' END");
    generated.put("error", "CASE WHEN g % 200 = 0 THEN 'timeout' END");
    generated.put("sample_rate", "1.0");
    generated.put("amount", "(hash(g + 3) % 100000) / 100.0");
    generated.put("merchant", "'m' || hash(g + 4) % 50");
    generated.put("decision", "CASE WHEN hash(g + 5) % 10 = 0 THEN 'declined' ELSE 'approved' END");
    generated.put("probabilities", "'[' || (hash(g + 6) % 1000) / 1000.0 || ', ' || 1 - (hash(g + 6) % 1000) / 1000.0 || ']'");
    generated.put("features", "'{\"txn_count_7d\": ' || g % 20 || '}'");
    generated.put("reasons", "'[{\"code\": \"R' || g % 7 || '\"}]'");
    try (Connection c = DriverManager.getConnection("jdbc:duckdb:");
        Statement st = c.createStatement()) {
      st.execute("SET TimeZone = 'UTC'");
      List<String> select = new ArrayList<>();
      try (ResultSet rs = st.executeQuery("DESCRIBE SELECT * FROM read_parquet('" + seedFile.toAbsolutePath() + "')")) {
        while (rs.next()) {
          String name = rs.getString(1);
          select.add("CAST(" + generated.getOrDefault(name, "NULL") + " AS " + rs.getString(2) + ") AS \"" + name + "\"");
        }
      }
      long perDay = records / days;
      LocalDate last = LocalDate.ofInstant(to.minusSeconds(1), ZoneOffset.UTC);
      for (int d = 0; d < days; d++) {
        LocalDate date = last.minusDays(days - 1 - d);
        Path folder = Files.createDirectories(partitions.resolve("date=" + date));
        String columns =
            String.join(", ", select)
                .replace("{day}", "'" + date.atStartOfDay().toInstant(ZoneOffset.UTC) + "'")
                .replace("{perDay}", Long.toString(perDay));
        st.execute(
                "COPY (SELECT " + columns + " FROM (SELECT i, " + d + " * " + perDay + " + i AS g FROM range(" + perDay
                    + ") t(i)) ORDER BY prediction_id) TO '" + folder.resolve("bulk.parquet").toAbsolutePath()
                    + "' (" + Lake.REWRITTEN_FILE_OPTIONS + ")");
      }
    }
  }

  private static String enc(String s) {
    return URLEncoder.encode(s, StandardCharsets.UTF_8);
  }
}
