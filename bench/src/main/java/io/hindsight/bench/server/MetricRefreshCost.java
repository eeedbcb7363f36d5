package io.hindsight.bench.server;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * What keeping the metric store fresh costs a server under steady ingest: the same open-loop load
 * ({@link LoadGenerator} at {@code --rate}) against a fresh server with a monitoring config on the
 * endpoint, once with {@code monitoring.refresh-interval} PT1M (the default) and once with PT1H
 * (no refresh but the first within a run of minutes), alternating for {@code --runs} pairs. The
 * server's CPU time (all its threads, from {@code /proc}) is read after the warm-up and at the
 * end; the difference between the two settings is the refresh's share. While it runs, each new
 * refresh is printed with its duration ({@code hindsight_monitor_refresh_duration_seconds}) and
 * the rows the open hour held (the store's own volume of that hour).
 *
 * <p>A fresh server has no earlier days, so drift has no reference and costs nothing; {@code
 * --reference-records N} logs N records over yesterday first, so drift is computed too.
 */
public final class MetricRefreshCost {
  /** Ten numeric keys of {@link FraudRecords}, and two segment columns of 2 and 5 values. */
  private static final String MONITORING =
      "      features: [amount, card_age_days, customer_age, hour_of_day, txn_count_1h, txn_count_24h, avg_amount_30d,"
          + " amount_zscore, distance_from_home_km, merchant_risk]\n"
          + "      segments: [model_version, tags.segment]\n";

  /**
   * The metric store's scheduler thread as {@code /proc} names it (15 characters). DuckDB's own
   * worker threads are not in it, so it is a lower bound of a refresh's CPU.
   */
  private static final String REFRESH_THREAD = "hindsight-metri";

  private MetricRefreshCost() {}

  /** The server's CPU in one run, in cores. */
  private record Run(Duration interval, double cores) {}

  public static void main(String[] args) throws Exception {
    Flags f =
        new Flags(
            args,
            Set.of("--rate", "--duration", "--warmup", "--runs", "--clients", "--data-dir", "--server-jvm-opts", "--sample",
                "--reference-records", "--intervals"),
            Set.of());
    double rate = f.longValue("--rate", 30_000);
    Duration duration = f.duration("--duration", Duration.ofMinutes(4));
    Duration warmup = f.duration("--warmup", Duration.ofSeconds(30));
    Duration sample = f.duration("--sample", Duration.ofSeconds(5));
    int runs = f.integer("--runs", 1);
    int clients = f.integer("--clients", 4);
    long referenceRecords = f.longValue("--reference-records", 0);
    List<Duration> intervals = new ArrayList<>();
    for (String i : f.string("--intervals", "PT1M,PT1H").split(",")) {
      intervals.add(Duration.parse(i.trim()));
    }
    Path base = Path.of(f.string("--data-dir", "bench/target/metric-refresh"));
    List<String> jvm = LoadGenerator.jvmOptions(f.string("--server-jvm-opts", ""));
    List<Run> results = new ArrayList<>();
    for (int r = 1; r <= runs; r++) {
      for (Duration interval : intervals) {
        Path dataDir = base.resolve("run" + r + "-" + interval.toString().toLowerCase());
        LoadGenerator.deleteTree(dataDir);
        Files.createDirectories(dataDir);
        Path config = dataDir.resolveSibling(dataDir.getFileName() + ".yaml");
        Files.writeString(
            config,
            "monitoring:\n  refresh-interval: " + interval + "\n  endpoints:\n    " + MetricSeriesBenchmark.ENDPOINT + ":\n"
                + MONITORING);
        System.out.printf("run %d, refresh-interval %s, %,.0f records/s for %ss after %ss warm-up%n", r, interval, rate,
            duration.toSeconds(), warmup.toSeconds());
        try (ServerProcess server = ServerProcess.start(dataDir, jvm, config)) {
          if (referenceRecords > 0) {
            backfillYesterday(server.url(), referenceRecords);
          }
          results.add(run(server, interval, rate, duration, warmup, sample, clients));
        }
        LoadGenerator.deleteTree(dataDir);
      }
    }
    for (Duration interval : intervals) {
      double[] cores = results.stream().filter(x -> x.interval().equals(interval)).mapToDouble(Run::cores).toArray();
      System.out.printf("refresh-interval %s: server CPU %s cores, median %.3f%n", interval, Arrays.toString(cores),
          MetricSeriesBenchmark.median(cores));
    }
  }

  /**
   * Logs {@code records} records spread over yesterday (UTC), so the open hour's drift has a
   * reference: the default reference is the 7 days before the window's day. The windows they
   * touch are recomputed by the first refresh, which a warm-up of more than a refresh interval
   * keeps out of the measured window.
   */
  private static void backfillYesterday(String url, long records) throws IOException, InterruptedException {
    HindsightHttp http = new HindsightHttp(url);
    BatchTemplate tpl = new FraudRecords(7).batch(500);
    byte[] buf = new byte[tpl.length()];
    long batches = (records + tpl.records() - 1) / tpl.records();
    long yesterday = Instant.now().truncatedTo(ChronoUnit.DAYS).minus(1, ChronoUnit.DAYS).toEpochMilli();
    long t0 = System.nanoTime();
    for (long k = 0; k < batches; k++) {
      tpl.stamp(buf, IdStyle.ORDERED, yesterday + k * 86_400_000L / batches);
      HindsightHttp.Answer a = http.ingest(MetricSeriesBenchmark.ENDPOINT, buf, tpl.length(), false);
      if (a.status() != 200) {
        throw new IOException("backfill: HTTP " + a.status() + ": " + a.body());
      }
    }
    System.out.printf("backfilled %,d records over yesterday as the drift reference in %.0f s%n", batches * tpl.records(),
        (System.nanoTime() - t0) / 1e9);
  }

  private static Run run(ServerProcess server, Duration interval, double rate, Duration duration, Duration warmup,
      Duration sample, int clients) throws Exception {
    HindsightHttp http = new HindsightHttp(server.url());
    RefreshWatcher watcher = new RefreshWatcher(http, server.pid(), warmup, sample);
    Thread t = new Thread(watcher, "refresh-watcher");
    t.setDaemon(true);
    t.start();
    LoadGenerator.Options o =
        new LoadGenerator.Options(server.url(), MetricSeriesBenchmark.ENDPOINT, clients, 500, rate, duration, warmup,
            IdStyle.ORDERED, false, false, false, "sql", false, 0, 32, true);
    LoadGenerator.Result result = LoadGenerator.run(o);
    long cpuEnd = ServerCpu.processNanos(server.pid());
    Map<String, Long> threadsEnd = ProcThreads.cpuByName(server.pid());
    long wallEnd = System.nanoTime();
    t.interrupt();
    t.join();
    double seconds = (wallEnd - watcher.wallAtWarmup) / 1e9;
    double cores = (cpuEnd - watcher.cpuAtWarmup) / 1e9 / seconds;
    System.out.printf(
        "acked %,.0f records/s (%,d batches due were never sent, %d failed), ack from due %s%n",
        result.recordsPerSecond(), result.batchesNotSent(), result.failures(), result.ackFromDue().summary());
    System.out.printf("server CPU over %.0f s: %.3f cores (%.1f us per record); busiest threads:%n", seconds, cores,
        (cpuEnd - watcher.cpuAtWarmup) / 1000.0 / Math.max(1, result.records()));
    Map<String, Long> used = new LinkedHashMap<>();
    threadsEnd.forEach((name, nanos) -> used.put(name, nanos - watcher.threadsAtWarmup.getOrDefault(name, 0L)));
    used.entrySet().stream()
        .sorted(Map.Entry.<String, Long>comparingByValue(Comparator.reverseOrder()))
        .limit(8)
        .forEach(e -> System.out.printf("  %-16s %.3f cores%n", e.getKey(), e.getValue() / 1e9 / seconds));
    System.out.printf(
        "RESULT refresh_interval=%s records_per_s=%.0f not_sent_batches=%d failures=%d server_cores=%.3f refreshes=%d%n",
        interval, result.recordsPerSecond(), result.batchesNotSent(), result.failures(), cores, watcher.refreshes);
    return new Run(interval, cores);
  }

  /**
   * Takes the CPU reading at the end of the warm-up, then polls {@code /metrics} and prints each
   * new refresh: its duration and the rows the open hour held (the store's own volume of it).
   */
  private static final class RefreshWatcher implements Runnable {
    private final HindsightHttp http;
    private final long pid;
    private final Duration warmup;
    private final Duration sample;
    volatile long cpuAtWarmup;
    volatile long wallAtWarmup;
    volatile Map<String, Long> threadsAtWarmup = Map.of();
    volatile int refreshes;
    private long lastRefresherCpu;

    RefreshWatcher(HindsightHttp http, long pid, Duration warmup, Duration sample) {
      this.http = http;
      this.pid = pid;
      this.warmup = warmup;
      this.sample = sample;
    }

    @Override
    public void run() {
      try {
        Thread.sleep(warmup.toMillis() + 50);
        wallAtWarmup = System.nanoTime();
        cpuAtWarmup = ServerCpu.processNanos(pid);
        threadsAtWarmup = ProcThreads.cpuByName(pid);
        lastRefresherCpu = threadsAtWarmup.getOrDefault(REFRESH_THREAD, 0L);
        // The lag (seconds since the last refresh ended) falls back when a refresh has ended.
        double lastLag = http.metric("hindsight_monitor_refresh_lag_seconds");
        while (true) {
          Thread.sleep(sample.toMillis());
          double lag = http.metric("hindsight_monitor_refresh_lag_seconds");
          boolean ended = lag >= 0 && (lastLag < 0 || lag < lastLag);
          lastLag = lag;
          if (ended) {
            refreshes++;
            Instant hour = Instant.now().truncatedTo(ChronoUnit.HOURS);
            long refresherCpu = ProcThreads.cpuByName(pid).getOrDefault(REFRESH_THREAD, 0L);
            System.out.printf(
                "  %s refresh took %.3f s; the open hour held %,d rows; its thread used %.2f s CPU since the last one%n",
                Instant.now().truncatedTo(ChronoUnit.SECONDS), http.metric("hindsight_monitor_refresh_duration_seconds"),
                openHourRows(hour), (refresherCpu - lastRefresherCpu) / 1e9);
            lastRefresherCpu = refresherCpu;
          }
        }
      } catch (InterruptedException end) {
        // the run is over
      } catch (IOException e) {
        System.err.println("refresh watcher stopped: " + e);
      }
    }

    /** The rows behind the store's volume of an hour: what its last refresh read. */
    private long openHourRows(Instant hour) throws IOException, InterruptedException {
      HindsightHttp.Answer a =
          http.get("/v1/endpoints/" + MetricSeriesBenchmark.ENDPOINT + "/metrics?metric=volume&granularity=1h&from="
              + hour + "&to=" + hour.plus(1, ChronoUnit.HOURS));
      return a.json().path("points").path(0).path("rows").asLong(-1);
    }
  }
}
