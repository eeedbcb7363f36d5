package io.hindsight.bench.server;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
import java.util.stream.Stream;

/**
 * Ingest load against a Hindsight server: N client threads POST pre-serialized JSON arrays of
 * ~1 KB fraud-scoring records to {@code /v1/endpoints/{e}/predictions} and check every answer is
 * 200 with all records accepted (the server answers only once they are fsynced).
 *
 * <ul>
 *   <li>unlimited (default): each client sends its next batch as soon as the last is acked;
 *       measures sustained records/s.
 *   <li>{@code --rate R}: open loop, batch k is due at {@code start + k * batch / R}; ack latency
 *       is measured from when the batch was due, so a server that falls behind shows it
 *       (no coordinated omission) — the service time from the actual send is reported too.
 *   <li>{@code --freshness}: every 100 ms a side thread takes the id of a record whose ack just
 *       arrived and polls {@code POST /v1/query} until SQL sees it: ack-to-visible latency; with
 *       {@code --freshness-via lookup}, {@code GET /v1/endpoints/{e}/predictions/{id}} instead.
 *       Probes start with the window, so the first query meets whatever backlog the warm-up left
 *       (the first query after a quiet spell); with {@code --probe-from-start} they run through
 *       the warm-up too (a client that keeps querying) and only the window's are counted.
 * </ul>
 *
 * <p>Bodies are built before timing starts (a pool of templates); a send copies one and stamps
 * fresh ids and the current ts into it, so every record is unique and generation costs
 * microseconds per batch. {@code --start-server --data-dir DIR} runs the server in a child JVM
 * for the run and stops it at the end.
 */
public final class LoadGenerator {
  /** Everything a run can vary. */
  record Options(
      String url,
      String endpoint,
      int clients,
      int batch,
      double rate,
      Duration duration,
      Duration warmup,
      IdStyle ids,
      boolean gzip,
      boolean smile,
      boolean freshness,
      String freshnessVia,
      boolean probeFromStart,
      long maxRecords,
      int poolSize,
      boolean quiet) {}

  /** What a run measured; throughput and latencies cover the window after warm-up only. */
  record Result(
      long records,
      long batches,
      double seconds,
      long failures,
      List<String> failureSamples,
      long batchesNotSent,
      LatencySamples ackFromDue,
      LatencySamples service,
      LatencySamples freshness,
      long freshnessTimeouts,
      double jsonBytesPerRecord,
      double wireBytesPerRecord,
      double fsyncsPerSecond,
      Backlog lakeBacklog) {
    double recordsPerSecond() {
      return records / seconds;
    }
  }

  private LoadGenerator() {}

  public static void main(String[] args) throws Exception {
    Flags f =
        new Flags(
            args,
            Set.of(
                "--url", "--endpoint", "--clients", "--batch", "--rate", "--duration", "--warmup", "--ids",
                "--records", "--pool", "--data-dir", "--server-jvm-opts", "--server-config", "--freshness-via"),
            Set.of("--gzip", "--smile", "--freshness", "--probe-from-start", "--start-server", "--keep-data"));
    Options o =
        new Options(
            f.string("--url", "http://127.0.0.1:7070"),
            f.string("--endpoint", "bench-fraud"),
            f.integer("--clients", 4),
            f.integer("--batch", 500),
            f.longValue("--rate", 0),
            f.duration("--duration", Duration.ofSeconds(60)),
            f.duration("--warmup", Duration.ofSeconds(10)),
            IdStyle.parse(f.string("--ids", "ordered")),
            f.has("--gzip"),
            f.has("--smile"),
            f.has("--freshness"),
            f.string("--freshness-via", "sql"),
            f.has("--probe-from-start"),
            f.longValue("--records", 0),
            f.integer("--pool", 32),
            false);
    ServerProcess server = null;
    Path dataDir = null;
    boolean deleteData = false;
    if (f.has("--start-server")) {
      if (f.has("--data-dir")) {
        dataDir = Path.of(f.string("--data-dir", null));
      } else {
        dataDir = Files.createTempDirectory("hindsight-load-");
        deleteData = !f.has("--keep-data");
      }
      server = ServerProcess.start(dataDir, jvmOptions(f.string("--server-jvm-opts", "")), configPath(f));
      o = withUrl(o, server.url());
      ServerProcess child = server;
      Runtime.getRuntime().addShutdownHook(new Thread(child::close, "stop-bench-server"));
    }
    try {
      System.out.printf(
          "load: %s endpoint=%s clients=%d batch=%d rate=%s ids=%s gzip=%s smile=%s freshness=%s warmup=%ss duration=%ss%n",
          o.url(), o.endpoint(), o.clients(), o.batch(), o.rate() > 0 ? (long) o.rate() + "/s" : "unlimited",
          o.ids().name().toLowerCase(), o.gzip(), o.smile(), o.freshness() + (o.probeFromStart() ? " (probes from start)" : ""),
          o.warmup().toSeconds(), o.duration().toSeconds());
      ServerCpu cpu = server == null ? null : ServerCpu.startingAfter(server.pid(), o.warmup().plusMillis(50));
      Result r = run(o, cpu == null ? () -> {} : cpu::stop);
      print(o, r);
      if (cpu != null) {
        cpu.print(r.records(), r.seconds());
      }
    } finally {
      if (server != null) {
        server.close();
      }
      if (deleteData) {
        deleteTree(dataDir);
      }
    }
  }

  static List<String> jvmOptions(String s) {
    List<String> out = new ArrayList<>();
    for (String t : s.trim().split("\\s+")) {
      if (!t.isEmpty()) {
        out.add(t);
      }
    }
    return out;
  }

  static Path configPath(Flags f) {
    return f.has("--server-config") ? Path.of(f.string("--server-config", null)) : null;
  }

  static Options withUrl(Options o, String url) {
    return new Options(url, o.endpoint(), o.clients(), o.batch(), o.rate(), o.duration(), o.warmup(), o.ids(),
        o.gzip(), o.smile(), o.freshness(), o.freshnessVia(), o.probeFromStart(), o.maxRecords(), o.poolSize(), o.quiet());
  }

  static void print(Options o, Result r) {
    System.out.printf("throughput: %,.0f records/s (%,d records in %.1f s, %,d batches)%n",
        r.recordsPerSecond(), r.records(), r.seconds(), r.batches());
    System.out.printf("failures: %d%s%n", r.failures(), r.failureSamples().isEmpty() ? "" : " e.g. " + r.failureSamples());
    System.out.printf("batches resent after a 503 (back-pressure): %d%n", HindsightHttp.BACKPRESSURE_RETRIES.get());
    if (o.rate() > 0) {
      System.out.printf("target %,.0f records/s: %,d batches due were never sent (the clients were behind schedule at the end)%n",
          o.rate(), r.batchesNotSent());
      System.out.println("ack latency from due time: " + r.ackFromDue().summary());
    }
    System.out.println("ack latency (send to ack): " + r.service().summary());
    System.out.printf("JSON bytes/record: %.0f, on the wire: %.0f, WAL fsyncs/s: %.0f%n",
        r.jsonBytesPerRecord(), r.wireBytesPerRecord(), r.fsyncsPerSecond());
    if (o.freshness()) {
      System.out.println("freshness (ack to visible through " + o.freshnessVia() + "): " + r.freshness().summary() + ", timeouts=" + r.freshnessTimeouts());
    }
    System.out.printf("lake backlog (acked, not yet in the lake) after warm-up: max %,.0f records, %,.0f at the end%n",
        r.lakeBacklog().max(), r.lakeBacklog().atEnd());
    LatencySamples ack = o.rate() > 0 ? r.ackFromDue() : r.service();
    System.out.printf(
        "RESULT records_per_s=%.0f ack_p50_ms=%.1f ack_p99_ms=%.1f ack_p999_ms=%.1f ack_max_ms=%.1f"
            + " failures=%d not_sent_batches=%d json_bytes_per_record=%.0f fresh_p50_ms=%.1f fresh_p99_ms=%.1f fresh_n=%d fresh_timeouts=%d"
            + " lake_backlog_max=%.0f lake_backlog_end=%.0f%n",
        r.recordsPerSecond(), ack.percentileMillis(0.5), ack.percentileMillis(0.99), ack.percentileMillis(0.999),
        ack.maxMillis(), r.failures(), r.batchesNotSent(), r.jsonBytesPerRecord(), r.freshness().percentileMillis(0.5),
        r.freshness().percentileMillis(0.99), r.freshness().count(), r.freshnessTimeouts(), r.lakeBacklog().max(),
        r.lakeBacklog().atEnd());
  }

  /**
   * Records acknowledged and not yet in the lake, sampled every second after warm-up: a rate whose
   * acks keep up while this grows is not sustained, the lake writer is falling behind.
   */
  record Backlog(double max, double atEnd) {}

  /** Samples {@code hindsight_lake_pending_records} from {@code from} until interrupted. */
  private static final class BacklogSampler extends Thread {
    private final HindsightHttp http;
    private final long from;
    private volatile double max = Double.NaN;
    private volatile double last = Double.NaN;

    BacklogSampler(String url, long fromNanos) {
      super("lake-backlog");
      setDaemon(true);
      this.http = new HindsightHttp(url);
      this.from = fromNanos;
    }

    @Override
    public void run() {
      try {
        Thread.sleep(Math.max(0, (from - System.nanoTime()) / 1_000_000));
        while (true) {
          sample();
          Thread.sleep(1000);
        }
      } catch (InterruptedException stop) {
        // end of run
      }
    }

    private void sample() {
      double v = metricOrNaN(http, "hindsight_lake_pending_records");
      if (!Double.isNaN(v)) {
        last = v;
        max = Double.isNaN(max) ? v : Math.max(max, v);
      }
    }

    Backlog finish() throws InterruptedException {
      interrupt();
      join();
      sample();
      return new Backlog(max, last);
    }
  }

  /** A record whose ack arrived at {@code ackNanos}. */
  private record Probe(String id, long ackNanos) {}

  /** Runs one load; returns when the duration is over or {@code maxRecords} are acked. */
  static Result run(Options o) throws InterruptedException {
    return run(o, () -> {});
  }

  private static BatchTemplate smile(BatchTemplate json) {
    try {
      return SmileBodies.template(json);
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  /** Runs the load; {@code loadEnded} is told as soon as the last client stops sending. */
  static Result run(Options o, Runnable loadEnded) throws InterruptedException {
    FraudRecords gen = new FraudRecords(42);
    BatchTemplate[] pool = new BatchTemplate[o.poolSize()];
    int maxLen = 0;
    long jsonBytes = 0;
    for (int i = 0; i < pool.length; i++) {
      pool[i] = gen.batch(o.batch());
      jsonBytes += pool[i].length();
      if (o.smile()) {
        pool[i] = smile(pool[i]);
      }
      maxLen = Math.max(maxLen, pool[i].length());
    }
    double jsonPerRecord = (double) jsonBytes / (pool.length * (long) o.batch());

    HindsightHttp control = new HindsightHttp(o.url());
    double fsyncsBefore = metricOrNaN(control, "hindsight_wal_fsyncs_total");

    long t0 = System.nanoTime() + 50_000_000L;
    long warmupEnd = t0 + o.warmup().toNanos();
    long end = o.maxRecords() > 0 && o.duration().isZero() ? Long.MAX_VALUE : warmupEnd + o.duration().toNanos();
    long maxBatches = o.maxRecords() > 0 ? (o.maxRecords() + o.batch() - 1) / o.batch() : Long.MAX_VALUE;
    double intervalNanos = o.rate() > 0 ? o.batch() * 1e9 / o.rate() : 0;

    AtomicLong nextBatch = new AtomicLong();
    AtomicLong records = new AtomicLong();
    AtomicLong batches = new AtomicLong();
    AtomicLong wireBytes = new AtomicLong();
    AtomicLong failures = new AtomicLong();
    AtomicLong behind = new AtomicLong();
    AtomicLong lastAck = new AtomicLong(warmupEnd);
    AtomicLong acked = new AtomicLong();
    List<String> failureSamples = java.util.Collections.synchronizedList(new ArrayList<>());
    LatencySamples fromDue = new LatencySamples();
    LatencySamples service = new LatencySamples();
    AtomicReference<Probe> lastProbe = new AtomicReference<>();
    final int bufLen = maxLen;

    List<Thread> clients = new ArrayList<>();
    for (int c = 0; c < o.clients(); c++) {
      Thread t =
          new Thread(
              () -> {
                HindsightHttp http = new HindsightHttp(o.url());
                byte[] buf = new byte[bufLen];
                while (true) {
                  long k = nextBatch.getAndIncrement();
                  if (k >= maxBatches) {
                    return;
                  }
                  long due;
                  if (o.rate() > 0) {
                    due = t0 + (long) (k * intervalNanos);
                    if (due >= end) {
                      return;
                    }
                    if (System.nanoTime() >= end) {
                      // Behind schedule at the end: what was due and never sent is counted, not sent late.
                      behind.incrementAndGet();
                      continue;
                    }
                    long wait;
                    while ((wait = due - System.nanoTime()) > 0) {
                      LockSupport.parkNanos(wait);
                    }
                  } else {
                    due = Math.max(System.nanoTime(), t0);
                    if (due >= end) {
                      return;
                    }
                    long wait;
                    while ((wait = t0 - System.nanoTime()) > 0) {
                      LockSupport.parkNanos(wait);
                    }
                  }
                  BatchTemplate tpl = pool[(int) (k % pool.length)];
                  String lastId = tpl.stamp(buf, o.ids(), System.currentTimeMillis());
                  long sent = System.nanoTime();
                  String failure = null;
                  try {
                    HindsightHttp.Answer a = http.ingest(o.endpoint(), buf, tpl.length(), o.gzip(), tpl.smile());
                    if (a.status() != 200) {
                      failure = "HTTP " + a.status() + ": " + abbreviate(a.body());
                    } else {
                      JsonNode n = a.json();
                      if (n.path("accepted").asInt(-1) != tpl.records() || n.path("rejected").size() != 0) {
                        failure = "accepted " + n.path("accepted") + " of " + tpl.records() + ": " + abbreviate(a.body());
                      }
                    }
                  } catch (IOException e) {
                    failure = e.toString();
                  } catch (InterruptedException e) {
                    return;
                  }
                  long ack = System.nanoTime();
                  if (failure != null) {
                    failures.incrementAndGet();
                    if (failureSamples.size() < 3) {
                      failureSamples.add(failure);
                    }
                    continue;
                  }
                  acked.addAndGet(tpl.records());
                  if (o.probeFromStart()) {
                    lastProbe.set(new Probe(lastId, ack));
                  }
                  // Open loop: a batch due during warm-up but acked after it still shows the backlog.
                  if (o.rate() > 0 ? ack >= warmupEnd : due >= warmupEnd) {
                    records.addAndGet(tpl.records());
                    batches.incrementAndGet();
                    wireBytes.addAndGet(o.gzip() ? 0 : tpl.length());
                    fromDue.add(ack - due);
                    service.add(ack - sent);
                    lastAck.accumulateAndGet(ack, Math::max);
                    lastProbe.set(new Probe(lastId, ack));
                  }
                }
              },
              "load-client-" + c);
      t.start();
      clients.add(t);
    }

    LatencySamples freshness = new LatencySamples();
    AtomicLong freshnessTimeouts = new AtomicLong();
    Thread prober = null;
    if (o.freshness()) {
      prober = new Thread(() -> probeFreshness(o, lastProbe, warmupEnd, freshness, freshnessTimeouts), "freshness-probe");
      prober.setDaemon(true);
      prober.start();
    }
    BacklogSampler backlog = new BacklogSampler(o.url(), warmupEnd);
    backlog.start();
    Thread progress = null;
    if (!o.quiet() || o.maxRecords() > 0) {
      progress = new Thread(() -> progress(acked, failures, o.maxRecords()), "progress");
      progress.setDaemon(true);
      progress.start();
    }
    for (Thread t : clients) {
      t.join();
    }
    loadEnded.run();
    Backlog lakeBacklog = backlog.finish();
    if (prober != null) {
      prober.interrupt();
      prober.join();
    }
    if (progress != null) {
      progress.interrupt();
      progress.join();
    }
    double seconds = Math.max(1e-9, (lastAck.get() - warmupEnd) / 1e9);
    double fsyncs = metricOrNaN(control, "hindsight_wal_fsyncs_total") - fsyncsBefore;
    long n = records.get();
    double wire = o.gzip() ? Double.NaN : n == 0 ? Double.NaN : (double) wireBytes.get() / n;
    return new Result(n, batches.get(), seconds, failures.get(), List.copyOf(failureSamples), behind.get(), fromDue, service,
        freshness, freshnessTimeouts.get(), jsonPerRecord, o.gzip() ? Double.NaN : wire, fsyncs / seconds, lakeBacklog);
  }

  /** Probes the records {@code lastProbe} names; counts those acknowledged from {@code countFrom} (nanoTime) on. */
  private static void probeFreshness(
      Options o, AtomicReference<Probe> lastProbe, long countFrom, LatencySamples out, AtomicLong timeouts) {
    HindsightHttp http = new HindsightHttp(o.url());
    Probe previous = null;
    long nextTick = System.nanoTime();
    try {
      while (!Thread.currentThread().isInterrupted()) {
        nextTick += 100_000_000L;
        long wait;
        while ((wait = nextTick - System.nanoTime()) > 0) {
          Thread.sleep(wait / 1_000_000, (int) (wait % 1_000_000));
        }
        Probe p = lastProbe.get();
        if (p == null || p == previous) {
          continue;
        }
        previous = p;
        while (true) {
          boolean visible;
          if (o.freshnessVia().equals("lookup")) {
            visible = http.lookup(o.endpoint(), p.id(), null).status() == 200;
          } else {
            HindsightHttp.Answer a =
                http.query("SELECT count(*) FROM predictions WHERE endpoint=? AND prediction_id=?", o.endpoint(), p.id());
            visible = a.status() == 200 && a.json().path("rows").path(0).path(0).asLong() > 0;
          }
          long now = System.nanoTime();
          boolean counted = p.ackNanos() >= countFrom;
          if (visible) {
            if (counted) {
              out.add(now - p.ackNanos());
            }
            break;
          }
          if (now - p.ackNanos() > 30_000_000_000L) {
            if (counted) {
              timeouts.incrementAndGet();
            }
            break;
          }
          Thread.sleep(10);
        }
        nextTick = Math.max(nextTick, System.nanoTime());
      }
    } catch (InterruptedException stop) {
      // end of run
    } catch (IOException e) {
      System.err.println("freshness probe stopped: " + e);
    }
  }

  private static void progress(AtomicLong acked, AtomicLong failures, long target) {
    long start = System.nanoTime();
    long prev = 0;
    try {
      while (true) {
        Thread.sleep(10_000);
        long now = acked.get();
        System.out.printf("  %,d records acked (%,.0f/s last 10 s)%s, %d failed batches, %.0f s%n", now,
            (now - prev) / 10.0, target > 0 ? String.format(" of %,d", target) : "", failures.get(),
            (System.nanoTime() - start) / 1e9);
        prev = now;
      }
    } catch (InterruptedException stop) {
      System.out.printf("ACKED %d records in all, warm-up included%n", acked.get());
    }
  }

  private static double metricOrNaN(HindsightHttp http, String name) {
    try {
      return http.metric(name);
    } catch (IOException | RuntimeException e) {
      return Double.NaN;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return Double.NaN;
    }
  }

  private static String abbreviate(String s) {
    return s.length() > 300 ? s.substring(0, 300) + "..." : s;
  }

  static void deleteTree(Path dir) {
    if (dir == null || !Files.exists(dir)) {
      return;
    }
    try (Stream<Path> s = Files.walk(dir)) {
      s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
