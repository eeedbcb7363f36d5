package io.hindsight.bench.sdk;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.hindsight.BodyFormat;
import io.hindsight.DropReason;
import io.hindsight.Hindsight;
import io.hindsight.Prediction;
import io.hindsight.Stats;
import io.hindsight.bench.server.ProcThreads;
import io.hindsight.bench.server.ServerProcess;
import java.io.IOException;
import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadInfo;
import java.lang.management.ThreadMXBean;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.locks.LockSupport;
import java.util.stream.Stream;

/**
 * Sustained load through the SDK as a model service would put it: a few application threads open
 * prediction scopes at a fixed total rate (open loop: prediction {@code k} of a thread is due at
 * {@code start + k × threads / rate}, whatever the previous one did), each logging about 20 keys of
 * mixed types, including a small list and a nested map, plus a tag. The warm-up ramps the rate up
 * from 0 ({@code --no-ramp}: full rate from the first second, cold JIT and all); every prediction,
 * warm-up included, must arrive, while rates, latency and CPU are taken over the measured window.
 *
 * <ul>
 *   <li>{@code --server live} (default): a real server in its own JVM; after the run the SDK is
 *       flushed and closed, and SQL on the server checks that every prediction arrived exactly
 *       once.
 *   <li>{@code --server down}: the SDK points at a closed port with a disk spool; every prediction
 *       must end up spooled. {@code --drain} then starts a server, replays the spool with a new
 *       instance and checks the server's count the same way.
 * </ul>
 *
 * <p>Reported: the achieved rate, the SDK's {@link Stats}, the prediction thread's scope latency
 * (open to close, {@code System.nanoTime}), and CPU by thread group over the measured window. The
 * CPU the SDK costs the host is estimated as process CPU minus the application threads' CPU plus the
 * time they spent inside scopes (the SDK's hot path); what remains of the application threads is
 * building values and pacing, which a real service would do anyway.
 *
 * <p>Run with {@code bench/sdk-load.sh}; see {@code docs/BENCHMARKS.md}.
 */
public final class SdkLoad {
  private static final String ENDPOINT = "sdk-load";
  private static final String APP_THREAD = "sdk-load-app-";
  private static final ObjectMapper JSON = new ObjectMapper();

  private static final String[] MERCHANTS = {
    "acme-shop", "globex", "initech", "umbrella", "hooli", "stark-ind", "wayne-ent", "tyrell",
    "cyberdyne", "soylent", "wonka", "gringotts", "monarch", "vandelay", "pied-piper", "dunder"
  };
  private static final String[] COUNTRIES = {"DE", "FR", "US", "GB", "NL", "ES", "IT", "PL"};
  private static final String[] CHANNELS = {"web", "app", "pos", "phone"};
  private static final String[] SEGMENTS = {"high_value", "standard", "new_customer", "dormant"};

  private final Options o;

  private SdkLoad(Options o) {
    this.o = o;
  }

  public static void main(String[] args) throws Exception {
    Options o = Options.parse(args);
    int failures = new SdkLoad(o).run();
    System.exit(failures == 0 ? 0 : 1);
  }

  // ---- options ----------------------------------------------------------------------------------

  static final class Options {
    String server = "live";
    int rate = 50_000;
    Duration duration = Duration.ofSeconds(60);
    Duration warmup = Duration.ofSeconds(10);
    int threads = 4;
    int queueCapacity = -1;
    int batchSize = -1;
    BodyFormat format = BodyFormat.SMILE; // the SDK's default
    boolean diskSpool;
    boolean ramp = true;
    long spoolMaxBytes = 8L << 30;
    boolean drain;
    Path workDir;
    List<String> serverJvmOpts = List.of();
    Duration verifyTimeout = Duration.ofMinutes(5);

    static Options parse(String[] args) {
      Options o = new Options();
      for (int i = 0; i < args.length; i++) {
        String a = args[i];
        String v = null;
        int eq = a.indexOf('=');
        if (a.startsWith("--") && eq > 0) {
          v = a.substring(eq + 1);
          a = a.substring(0, eq);
        }
        if (a.equals("--drain")) {
          o.drain = true;
          continue;
        }
        if (a.equals("--no-ramp")) {
          o.ramp = false;
          continue;
        }
        if (a.equals("--disk-spool")) {
          o.diskSpool = true;
          continue;
        }
        if (a.equals("--help") || a.equals("-h")) {
          usage(null);
        }
        if (v == null) {
          if (i + 1 >= args.length) {
            usage(a + " is not an option or needs a value");
          }
          v = args[++i];
        }
        switch (a) {
          case "--server" -> {
            if (!v.equals("live") && !v.equals("down")) {
              usage("--server is live or down, got " + v);
            }
            o.server = v;
          }
          case "--rate" -> o.rate = Integer.parseInt(v.replace("_", "").replace(",", ""));
          case "--duration" -> o.duration = duration(v);
          case "--warmup" -> o.warmup = duration(v);
          case "--threads" -> o.threads = Integer.parseInt(v);
          case "--queue-capacity" -> o.queueCapacity = Integer.parseInt(v);
          case "--batch-size" -> o.batchSize = Integer.parseInt(v);
          case "--format" -> o.format = BodyFormat.valueOf(v.toUpperCase(java.util.Locale.ROOT));
          case "--spool-max-mb" -> o.spoolMaxBytes = Long.parseLong(v) << 20;
          case "--work-dir" -> o.workDir = Path.of(v);
          case "--server-jvm-opts" -> o.serverJvmOpts = v.isBlank() ? List.of() : List.of(v.trim().split("\\s+"));
          case "--verify-timeout" -> o.verifyTimeout = duration(v);
          default -> usage("unknown option " + a);
        }
      }
      if (o.rate < 1 || o.threads < 1 || o.duration.isZero()) {
        usage("--rate, --threads and --duration must be positive");
      }
      return o;
    }

    static Duration duration(String s) {
      String t = s.trim().toLowerCase(Locale.ROOT);
      if (t.endsWith("ms")) {
        return Duration.ofMillis(Long.parseLong(t.substring(0, t.length() - 2)));
      }
      if (t.endsWith("m")) {
        return Duration.ofMinutes(Long.parseLong(t.substring(0, t.length() - 1)));
      }
      return Duration.ofSeconds(Long.parseLong(t.endsWith("s") ? t.substring(0, t.length() - 1) : t));
    }

    static void usage(String problem) {
      if (problem != null) {
        System.err.println("sdk-load: " + problem);
      }
      System.err.println(
          "usage: bench/sdk-load.sh [--server live|down] [--rate 50000] [--duration 60s] [--warmup 10s] [--no-ramp]\n"
              + "                         [--threads 4] [--queue-capacity N] [--batch-size N] [--format smile|json]\n"
              + "                         [--disk-spool]\n"
              + "                         [--spool-max-mb 8192] [--drain]\n"
              + "                         [--work-dir DIR] [--server-jvm-opts \"...\"] [--verify-timeout 5m]");
      System.exit(problem == null ? 0 : 2);
    }
  }

  // ---- the run ----------------------------------------------------------------------------------

  private int run() throws Exception {
    Path work = o.workDir != null ? o.workDir : Files.createTempDirectory("hs-sdk-load-");
    Files.createDirectories(work);
    boolean live = o.server.equals("live");
    System.out.printf(
        "sdk-load: server %s, rate %,d/s, %d app threads, warm-up %ds (%s), measured %ds, work dir %s%n",
        o.server, o.rate, o.threads, o.warmup.toSeconds(), o.ramp ? "rate ramped up from 0" : "at full rate", o.duration.toSeconds(), work);
    int failures = 0;
    ServerProcess server = live ? ServerProcess.start(work.resolve("data"), o.serverJvmOpts, null) : null;
    try {
      String url = live ? server.url() : "http://127.0.0.1:" + closedPort();
      Path spool = work.resolve("spool");
      var b =
          Hindsight.builder()
              .endpoint(ENDPOINT)
              .modelVersion("v2.1.0")
              .serverUrl(url)
              .bodyFormat(o.format)
              .closeOnShutdown(false);
      if (o.queueCapacity > 0) {
        b.queueCapacity(o.queueCapacity);
      }
      if (o.batchSize > 0) {
        b.batchSize(o.batchSize);
      }
      if (!live || o.diskSpool) {
        b.spoolDirectory(spool).spoolMaxBytes(o.spoolMaxBytes).retryBackoff(Duration.ofMillis(500), Duration.ofSeconds(5));
      }
      Hindsight hindsight = b.build();
      System.out.printf("SDK: %s bodies, queue capacity %s, batch size %s, %s spool%n", o.format,
          o.queueCapacity > 0 ? o.queueCapacity : "default", o.batchSize > 0 ? o.batchSize : "default",
          !live || o.diskSpool ? "disk (max " + (o.spoolMaxBytes >> 20) + " MiB)" : "memory (default)");
      Result r = load(hindsight, server);
      long t0 = System.nanoTime();
      boolean flushed = live && hindsight.flush(Duration.ofMinutes(2));
      long flushMs = (System.nanoTime() - t0) / 1_000_000;
      boolean closed = hindsight.close(Duration.ofSeconds(live ? 30 : 60));
      Stats s = hindsight.stats();
      r.print();
      System.out.println("stats after close: " + s);
      if (live) {
        System.out.printf("flush: %s in %,d ms; close: %s%n", flushed ? "all delivered" : "NOT all delivered", flushMs, closed);
        failures += check("recorded == predictions", s.recorded() == r.predictions, s.recorded() + " vs " + r.predictions);
        failures += check("sent == predictions", s.sent() == r.predictions, s.sent() + " vs " + r.predictions);
        failures += check("nothing lost or rejected", s.lost() == 0 && s.rejected() == 0, "lost " + s.lost() + ", rejected " + s.rejected());
        failures += verifyOnServer(server.url(), r.predictions);
      } else {
        failures += check("recorded == predictions", s.recorded() == r.predictions, s.recorded() + " vs " + r.predictions);
        failures += check("spooled == predictions", s.spooled() == r.predictions, s.spooled() + " vs " + r.predictions);
        failures += check("nothing dropped", s.lost() == 0, "lost " + s.lost() + " " + s.dropped());
        System.out.printf("spool: %,d records in %,d bytes (%.1f bytes/record)%n",
            s.spooled(), s.spoolBytes(), s.spooled() == 0 ? 0.0 : (double) s.spoolBytes() / s.spooled());
        if (o.drain) {
          failures += drain(work, spool, r.predictions);
        }
      }
      System.out.printf(
          Locale.ROOT,
          "RESULT server=%s target=%d achieved=%.0f predictions=%d p50_us=%.2f p99_us=%.2f p999_us=%.2f max_us=%.1f"
              + " process_cores=%.3f app_cores=%.3f sdk_threads_cores=%.3f other_cores=%.3f sdk_cost_cores=%.3f"
              + " sdk_cost_us_per_prediction=%.2f server_cores=%.3f gc_ms=%d recorded=%d sent=%d spooled=%d lost=%d failures=%d%n",
          o.server, o.rate, r.achievedRate(), r.predictions, us(r.latency.percentile(0.50)), us(r.latency.percentile(0.99)),
          us(r.latency.percentile(0.999)), us(r.latency.max()), r.processCores(), r.appCores(), r.sdkThreadCores(),
          r.otherCores(), r.sdkCostCores(), r.sdkCostMicrosPerPrediction(), r.cores(r.serverCpu), r.gcMillis, s.recorded(), s.sent(),
          s.spooled(), s.lost(), failures);
    } finally {
      if (server != null) {
        server.close();
      }
      if (o.workDir == null) {
        deleteTree(work);
      }
    }
    return failures;
  }

  private static int check(String what, boolean ok, String detail) {
    System.out.printf("%s %s (%s)%n", ok ? "OK  " : "FAIL", what, detail);
    return ok ? 0 : 1;
  }

  // ---- load -------------------------------------------------------------------------------------

  /** One application thread's share of the load. */
  private final class App implements Runnable {
    final int index;
    final Hindsight hindsight;
    final long start;
    final long measureStart;
    final long end;
    final LatencyHistogram latency = new LatencyHistogram();
    final SplittableRandom random;
    long predictions;
    long measured;
    long maxLagNanos;
    long cpuAtMeasureStart = -1;
    long cpuUsed;
    Throwable failure;

    App(int index, Hindsight hindsight, long start, long measureStart, long end) {
      this.index = index;
      this.hindsight = hindsight;
      this.start = start;
      this.measureStart = measureStart;
      this.end = end;
      this.random = new SplittableRandom(index * 7919L + 17);
    }

    @Override
    public void run() {
      ThreadMXBean mx = ManagementFactory.getThreadMXBean();
      try {
        long perThreadPeriodTimesRate = 1_000_000_000L * o.threads; // period = this / rate
        long offset = perThreadPeriodTimesRate * index / o.threads / o.rate;
        long k = 0;
        // With a ramp, the warm-up rises linearly from 0 to the rate (as traffic shifts onto a new
        // instance), so its k-th prediction is due at sqrt(2 W k / r); after it, one every 1/r.
        double perThreadRate = (double) o.rate / o.threads;
        double warmupSeconds = o.warmup.toNanos() / 1e9;
        long rampPredictions = o.ramp ? (long) (perThreadRate * warmupSeconds / 2) : 0;
        while (true) {
          long due =
              k < rampPredictions
                  ? start + offset + (long) (Math.sqrt(2 * warmupSeconds * k / perThreadRate) * 1e9)
                  : o.ramp
                      ? measureStart + offset + (k - rampPredictions) * perThreadPeriodTimesRate / o.rate
                      : start + offset + k * perThreadPeriodTimesRate / o.rate;
          if (due >= end) {
            break;
          }
          long now = System.nanoTime();
          if (due > now) {
            LockSupport.parkNanos(due - now);
            continue;
          }
          if (due >= measureStart) {
            if (cpuAtMeasureStart < 0) {
              cpuAtMeasureStart = mx.getCurrentThreadCpuTime();
            }
            maxLagNanos = Math.max(maxLagNanos, now - due);
          }
          predict(k, due >= measureStart);
          k++;
        }
        predictions = k;
        cpuUsed = cpuAtMeasureStart < 0 ? 0 : mx.getCurrentThreadCpuTime() - cpuAtMeasureStart;
      } catch (Throwable t) {
        failure = t;
      }
    }

    private void predict(long k, boolean measure) {
      // What the model computes; built before the scope so the scope's time is the SDK's.
      String id = "t" + index + "-" + k;
      double amount = Math.round(random.nextDouble(1, 2000) * 100) / 100.0;
      int creditScore = 300 + random.nextInt(550);
      String merchant = MERCHANTS[random.nextInt(MERCHANTS.length)];
      String country = COUNTRIES[random.nextInt(COUNTRIES.length)];
      double p1 = random.nextDouble();
      List<Double> probabilities = List.of(1 - p1, p1);
      Map<String, Object> features = new LinkedHashMap<>();
      features.put("amount_z", random.nextDouble(-3, 3));
      features.put("hour_of_day", random.nextInt(24));
      features.put("merchant", Map.of("id", merchant, "mcc", 5411 + random.nextInt(40)));
      boolean declined = p1 > 0.5;

      long t0 = System.nanoTime();
      try (Prediction p = hindsight.startPrediction(id)) {
        Hindsight.log("credit_score", creditScore);
        Hindsight.log("amount", amount);
        Hindsight.log("currency", "EUR");
        Hindsight.log("txn_count_7d", k & 15);
        Hindsight.log("merchant", merchant);
        Hindsight.log("country", country);
        Hindsight.log("is_new_device", (k & 7) == 0);
        Hindsight.log("account_age_days", 30 + (k % 3000));
        Hindsight.log("avg_amount_30d", amount * 0.8);
        Hindsight.log("velocity_1h", p1 * 3);
        Hindsight.log("channel", CHANNELS[(int) (k & 3)]);
        Hindsight.log("features", features);
        Hindsight.log("probabilities", probabilities);
        Hindsight.log("score", p1);
        Hindsight.log("threshold", 0.5);
        Hindsight.log("decision", declined ? "declined" : "approved");
        Hindsight.log("rule_hits", (int) (k % 5));
        Hindsight.log("distance_km", amount / 10);
        Hindsight.log("card_present", (k & 1) == 0);
        Hindsight.log("feature_version", "fv-7");
        p.tag("segment", SEGMENTS[(int) (k & 3)]);
      }
      long t1 = System.nanoTime();
      if (measure) {
        latency.record(t1 - t0);
        measured++;
      }
    }
  }

  /** The figures of one run. */
  private final class Result {
    long predictions;
    long measuredPredictions;
    double measuredSeconds;
    double cpuSeconds;
    long maxLagNanos;
    long maxQueued;
    long maxSpooled;
    final LatencyHistogram latency = new LatencyHistogram();
    long processCpu;
    long appCpu;
    long sdkThreadCpu;
    long gcMillis;
    long gcCount;
    Map<String, Long> threadCpu = new LinkedHashMap<>();
    long serverCpu;
    Map<String, Long> serverThreadCpu = new LinkedHashMap<>();

    double achievedRate() {
      return measuredPredictions / measuredSeconds;
    }

    double cores(long cpuNanos) {
      return cpuNanos / (cpuSeconds * 1e9);
    }

    double processCores() {
      return cores(processCpu);
    }

    double appCores() {
      return cores(appCpu);
    }

    double sdkThreadCores() {
      return cores(sdkThreadCpu);
    }

    double otherCores() {
      return cores(processCpu - appCpu - sdkThreadCpu);
    }

    /** Everything but the application threads' time outside scopes. */
    double sdkCostCores() {
      return cores(processCpu - appCpu + latency.sum());
    }

    double sdkCostMicrosPerPrediction() {
      return (processCpu - appCpu + latency.sum()) / 1e3 / measuredPredictions;
    }

    void print() {
      System.out.printf(
          "achieved %,.0f predictions/s over %.1f s (target %,d/s); %,d predictions in total incl. warm-up;"
              + " worst start lag behind schedule %.1f ms%n",
          achievedRate(), measuredSeconds, o.rate, predictions, maxLagNanos / 1e6);
      System.out.printf("most records waiting in the SDK's memory %,d, in its spool %,d (sampled every 250 ms)%n",
          maxQueued, maxSpooled);
      System.out.printf(
          "scope latency (open -> close, prediction thread): p50 %.2f us, p99 %.2f us, p99.9 %.2f us,"
              + " max %.1f us (%,d samples)%n",
          us(latency.percentile(0.50)), us(latency.percentile(0.99)), us(latency.percentile(0.999)),
          us(latency.max()), latency.count());
      System.out.printf(
          "CPU (cores over the measured window): process %.3f = app threads %.3f + SDK worker and HTTP"
              + " threads %.3f + other (GC, JIT, VM) %.3f%n",
          processCores(), appCores(), sdkThreadCores(), otherCores());
      System.out.printf(
          "  of which time inside scopes %.3f cores; SDK cost = process - app + in-scope = %.3f cores ="
              + " %.2f us of CPU per prediction; GC: %d collections, %d ms%n",
          cores(latency.sum()), sdkCostCores(), sdkCostMicrosPerPrediction(), gcCount, gcMillis);
      StringBuilder sb = new StringBuilder("  busiest threads:");
      threadCpu.entrySet().stream()
          .sorted(Map.Entry.<String, Long>comparingByValue(Comparator.reverseOrder()))
          .limit(8)
          .forEach(e -> sb.append(String.format(" %s=%.3f", e.getKey(), cores(e.getValue()))));
      System.out.println(sb);
      if (!serverThreadCpu.isEmpty()) {
        StringBuilder sv = new StringBuilder(String.format("server JVM: %.3f cores; busiest threads:", cores(serverCpu)));
        serverThreadCpu.entrySet().stream()
            .sorted(Map.Entry.<String, Long>comparingByValue(Comparator.reverseOrder()))
            .limit(8)
            .forEach(e -> sv.append(String.format(" %s=%.3f", e.getKey(), cores(e.getValue()))));
        System.out.println(sv);
      }
    }
  }

  private Result load(Hindsight hindsight, ServerProcess server) throws InterruptedException {
    ThreadMXBean threads = ManagementFactory.getThreadMXBean();
    threads.setThreadCpuTimeEnabled(true);
    com.sun.management.OperatingSystemMXBean os =
        (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
    long start = System.nanoTime() + 200_000_000L;
    long measureStart = start + o.warmup.toNanos();
    long end = measureStart + o.duration.toNanos();
    List<App> apps = new ArrayList<>();
    List<Thread> appThreads = new ArrayList<>();
    for (int i = 0; i < o.threads; i++) {
      App a = new App(i, hindsight, start, measureStart, end);
      Thread t = new Thread(a, APP_THREAD + i);
      apps.add(a);
      appThreads.add(t);
      t.start();
    }
    sleepUntil(measureStart);
    long wall0 = System.nanoTime();
    long cpu0 = os.getProcessCpuTime();
    Map<Long, Long> threads0 = threadCpu(threads);
    long[] gc0 = gc();
    Map<String, Long> server0 = server == null ? Map.of() : ProcThreads.cpuByName(server.pid());
    long serverCpu0 = server == null ? 0 : cpuNanos(server.pid());
    // Predictions due before the end still run if the threads fell behind; the window ends when
    // the last one is done, so a rate that cannot be sustained shows as a lower achieved rate.
    long maxQueued = 0;
    long maxSpooled = 0;
    long nextReport = measureStart;
    while (System.nanoTime() < end) {
      sleepUntil(Math.min(end, System.nanoTime() + 250_000_000L));
      Stats s = hindsight.stats();
      maxQueued = Math.max(maxQueued, s.queued());
      maxSpooled = Math.max(maxSpooled, s.spooled());
      if (System.nanoTime() >= nextReport) {
        nextReport += 5_000_000_000L;
        System.out.printf("  %3.0f s: recorded %,d, sent %,d, queued %,d, spooled %,d, lost %,d%n",
            (System.nanoTime() - measureStart) / 1e9, s.recorded(), s.sent(), s.queued(), s.spooled(), s.lost());
      }
    }
    for (Thread t : appThreads) {
      t.join();
    }
    Map<Long, Long> threads1 = threadCpu(threads);
    long cpu1 = os.getProcessCpuTime();
    long[] gc1 = gc();
    Map<String, Long> server1 = server == null ? Map.of() : ProcThreads.cpuByName(server.pid());
    long serverCpu1 = server == null ? 0 : cpuNanos(server.pid());
    long wall1 = System.nanoTime();
    Result r = new Result();
    r.maxQueued = maxQueued;
    r.maxSpooled = maxSpooled;
    r.measuredSeconds = (wall1 - measureStart) / 1e9;
    r.serverCpu = serverCpu1 - serverCpu0;
    for (Map.Entry<String, Long> e : server1.entrySet()) {
      long used = e.getValue() - server0.getOrDefault(e.getKey(), 0L);
      r.serverThreadCpu.merge(e.getKey(), used, Long::sum);
    }
    r.cpuSeconds = (wall1 - wall0) / 1e9;
    r.processCpu = cpu1 - cpu0;
    r.gcCount = gc1[0] - gc0[0];
    r.gcMillis = gc1[1] - gc0[1];
    for (Map.Entry<Long, Long> e : threads1.entrySet()) {
      long before = threads0.getOrDefault(e.getKey(), 0L);
      ThreadInfo info = threads.getThreadInfo(e.getKey());
      String name = info == null ? "thread-" + e.getKey() : info.getThreadName();
      long used = e.getValue() - before;
      if (name.startsWith(APP_THREAD)) {
        continue; // ended by now; each measured its own CPU
      } else if (name.startsWith("hindsight-") || name.startsWith("HttpClient-")) {
        r.sdkThreadCpu += used;
      }
      r.threadCpu.merge(name.replaceAll("-\\d+$", "-N"), used, Long::sum);
    }
    for (App a : apps) {
      if (a.failure != null) {
        throw new IllegalStateException("application thread " + a.index + " failed", a.failure);
      }
      r.predictions += a.predictions;
      r.measuredPredictions += a.measured;
      r.maxLagNanos = Math.max(r.maxLagNanos, a.maxLagNanos);
      r.latency.add(a.latency);
      r.appCpu += a.cpuUsed;
      r.threadCpu.merge(APP_THREAD + "N", a.cpuUsed, Long::sum);
    }
    return r;
  }

  private static Map<Long, Long> threadCpu(ThreadMXBean threads) {
    Map<Long, Long> m = new HashMap<>();
    for (long id : threads.getAllThreadIds()) {
      long t = threads.getThreadCpuTime(id);
      if (t >= 0) {
        m.put(id, t);
      }
    }
    return m;
  }

  private static long[] gc() {
    long count = 0;
    long millis = 0;
    for (GarbageCollectorMXBean b : ManagementFactory.getGarbageCollectorMXBeans()) {
      count += Math.max(0, b.getCollectionCount());
      millis += Math.max(0, b.getCollectionTime());
    }
    return new long[] {count, millis};
  }

  private static void sleepUntil(long deadline) throws InterruptedException {
    long wait;
    while ((wait = deadline - System.nanoTime()) > 0) {
      Thread.sleep(wait / 1_000_000, (int) (wait % 1_000_000));
    }
  }

  // ---- verification -----------------------------------------------------------------------------

  /** Polls the server until it holds every prediction (the lake lags the acknowledgement a little). */
  private int verifyOnServer(String url, long expected) throws IOException, InterruptedException {
    HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
    long t0 = System.nanoTime();
    long deadline = t0 + o.verifyTimeout.toNanos();
    long rows = -1;
    long distinct = -1;
    long lastChange = t0;
    while (true) {
      ObjectNode q = JSON.createObjectNode();
      q.put("sql", "SELECT count(*), count(DISTINCT prediction_id) FROM predictions WHERE endpoint = ?");
      q.putArray("params").add(ENDPOINT);
      HttpResponse<String> a =
          http.send(
              HttpRequest.newBuilder(URI.create(url + "/v1/query"))
                  .timeout(Duration.ofMinutes(2))
                  .header("Content-Type", "application/json")
                  .POST(HttpRequest.BodyPublishers.ofString(JSON.writeValueAsString(q)))
                  .build(),
              HttpResponse.BodyHandlers.ofString());
      if (a.statusCode() == 200) {
        JsonNode row = JSON.readTree(a.body()).path("rows").path(0);
        long now = row.path(0).asLong();
        if (now != rows) {
          lastChange = System.nanoTime();
        }
        rows = now;
        distinct = row.path(1).asLong();
        // Stop when all arrived, or nothing changed for 20 s (the rest was lost, not late).
        if (rows >= expected || System.nanoTime() > deadline || System.nanoTime() - lastChange > 20_000_000_000L) {
          break;
        }
      } else if (System.nanoTime() > deadline) {
        System.out.println("query answered " + a.statusCode() + ": " + a.body());
        break;
      }
      Thread.sleep(1000);
    }
    System.out.printf(
        "server holds %,d rows, %,d distinct prediction ids, expected %,d (visible to SQL %.1f s after close)%n",
        rows, distinct, expected, (System.nanoTime() - t0) / 1e9);
    return check("zero loss, zero duplicates on the server", rows == expected && distinct == expected,
        "rows " + rows + ", distinct " + distinct + ", expected " + expected);
  }

  /** Starts a server, replays the spool left by the down run into it, and checks the count. */
  private int drain(Path work, Path spool, long expected) throws Exception {
    try (ServerProcess server = ServerProcess.start(work.resolve("data"), o.serverJvmOpts, null)) {
      long t0 = System.nanoTime();
      Hindsight h =
          Hindsight.builder()
              .endpoint(ENDPOINT)
              .serverUrl(server.url())
              .spoolDirectory(spool)
              .spoolMaxBytes(o.spoolMaxBytes)
              .closeOnShutdown(false)
              .build();
      boolean delivered = h.flush(o.verifyTimeout);
      double seconds = (System.nanoTime() - t0) / 1e9;
      h.close(Duration.ofSeconds(30));
      Stats s = h.stats();
      System.out.printf(
          "drain: %s in %.1f s (%,.0f records/s); stats %s%n",
          delivered ? "spool delivered" : "spool NOT delivered", seconds, s.sent() / seconds, s);
      int failures = check("drained: sent == predictions, spool empty",
          s.sent() == expected && s.spooled() == 0 && s.lost() == 0,
          "sent " + s.sent() + ", spooled " + s.spooled() + ", lost " + s.lost());
      return failures + verifyOnServer(server.url(), expected);
    }
  }

  // ---- helpers ----------------------------------------------------------------------------------

  /** CPU time a process used so far, all threads, ended ones included. */
  private static long cpuNanos(long pid) {
    return ProcessHandle.of(pid).flatMap(h -> h.info().totalCpuDuration()).map(Duration::toNanos).orElse(0L);
  }

  private static int closedPort() throws IOException {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }

  private static double us(long nanos) {
    return nanos / 1000.0;
  }

  private static void deleteTree(Path root) throws IOException {
    if (!Files.exists(root)) {
      return;
    }
    try (Stream<Path> s = Files.walk(root)) {
      for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    }
  }
}
