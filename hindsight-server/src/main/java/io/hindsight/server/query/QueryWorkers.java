package io.hindsight.server.query;

import io.hindsight.server.ApiException;
import io.hindsight.server.files.Folders;
import io.hindsight.server.ops.DaemonThreads;
import java.io.Closeable;
import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Deque;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs user SQL in child JVMs, one query at a time each, at most {@code query.connections} at
 * once. A query that overruns {@code query.timeout} (counted from the moment a ready worker takes
 * it, so DuckDB's parse, prepare and execution and the streaming of rows all count) has its worker
 * killed: its CPU and its slot are free at once, and a replacement starts booting in the
 * background.
 *
 * <p>One worker starts with the server ({@link #startFirst()}); the others start when concurrent
 * queries need them, and then stay: an idle server holds one JVM, not {@code query.connections},
 * and a broken launch (no {@code java}, a bad classpath) fails the start instead of the first
 * query. Workers die with the server: {@link #close()}, a JVM shutdown hook,
 * and for a killed server the end of their stdin.
 */
final class QueryWorkers implements Closeable {
  private static final Logger log = LoggerFactory.getLogger(QueryWorkers.class);
  private static final int SQL_IN_LOG_CHARS = 200;
  private static final Duration STARTUP_LIMIT = Duration.ofSeconds(30);
  private static final Duration EXIT_WAIT = Duration.ofSeconds(2);

  private final Path lakeRoot;
  private final Path scratchDir;
  private final QueryLimits limits;
  private final Runnable onKilled;
  private final Semaphore slots;
  private final Deque<QueryWorker> idle = new ConcurrentLinkedDeque<>();
  private final Set<QueryWorker> all = ConcurrentHashMap.newKeySet();
  private final AtomicLong started = new AtomicLong();
  private final ScheduledExecutorService timer = DaemonThreads.single("hindsight-query-deadline");
  private final Thread shutdownHook = new Thread(this::killAll, "hindsight-query-workers-shutdown");
  private volatile boolean closed;

  QueryWorkers(Path lakeRoot, Path scratchDir, QueryLimits limits, Runnable onKilled) {
    this.lakeRoot = lakeRoot.toAbsolutePath();
    this.scratchDir = scratchDir.toAbsolutePath();
    this.limits = limits;
    this.onKilled = onKilled;
    this.slots = new Semaphore(limits.connections(), true);
    Runtime.getRuntime().addShutdownHook(shutdownHook);
  }

  /** Starts the first worker; {@link #awaitFirst()} waits for it. */
  void startFirst() throws IOException {
    idle.offerFirst(start());
  }

  /**
   * Waits until the first worker is ready, so a launch that cannot work fails the server's start
   * with its reason, and the first query does not wait for a JVM to boot.
   */
  void awaitFirst() throws IOException {
    QueryWorker first = idle.peekFirst();
    if (first == null) {
      return;
    }
    try {
      ready(first);
    } catch (ApiException e) {
      throw new IOException("the first query worker process did not start; see the log above", e);
    }
  }

  /**
   * What a query reads, held only while a worker runs it, not while it waits: the worker runs
   * {@code statements} before the query; {@code release} lets go of what it read (the lake's read
   * lock, the snapshot of rows not yet in the lake).
   */
  record Reading(List<String> statements, Runnable release) {}

  /** Takes a {@link Reading} once a worker is ready. */
  interface ReadingSource {
    Reading take() throws IOException;
  }

  /** Runs a checked query in a worker, holding a query slot and the deadline around it. */
  void run(QueryWorker.Views views, ReadingSource reads, String sql, List<Object> params, int limit, ResultSink sink)
      throws IOException {
    acquireSlot();
    QueryWorker worker = null;
    try {
      worker = take();
      ready(worker);
      long start = System.nanoTime();
      QueryWorker w = worker;
      AtomicBoolean settled = new AtomicBoolean();
      ScheduledFuture<?> deadline =
          timer.schedule(
              () -> {
                if (settled.compareAndSet(false, true)) {
                  w.kill();
                  onKilled.run();
                  log.warn(
                      "a query ran past query.timeout ({} ms); its worker process {} was killed and is"
                          + " being replaced: {}",
                      limits.timeout().toMillis(),
                      w.pid(),
                      abbreviate(sql));
                }
              },
              limits.timeout().toMillis(),
              TimeUnit.MILLISECONDS);
      Reading reading = null;
      try {
        reading = reads.take();
        worker.run(views, reading.statements(), sql, params, limit, sink, start);
      } catch (QueryWorker.WorkerGone gone) {
        if (!settled.compareAndSet(false, true)) {
          throw ApiException.badRequest(
              "the query ran longer than the limit of "
                  + limits.timeout().toSeconds()
                  + " s (query.timeout) and was stopped; filter on date and endpoint to read less");
        }
        log.warn("{}; answering the query with an error", gone.getMessage());
        throw ApiException.badRequest(
            "the query stopped its worker process; it may need more memory than query.worker-heap ("
                + limits.workerHeap()
                + ") or query.memory-limit ("
                + limits.memoryLimit()
                + ") allow");
      } finally {
        if (reading != null) {
          reading.release().run();
        }
        settled.set(true);
        deadline.cancel(false);
      }
    } finally {
      if (worker != null) {
        giveBack(worker);
      }
      slots.release();
    }
  }

  /**
   * Waits for a booting worker (a JVM start, about a second); this is not the query's time, so a
   * short query.timeout still leaves room for it. A worker that never comes up is killed.
   */
  private void ready(QueryWorker w) throws IOException {
    ScheduledFuture<?> startupLimit = timer.schedule(w::kill, STARTUP_LIMIT.toMillis(), TimeUnit.MILLISECONDS);
    try {
      w.awaitReady();
    } catch (QueryWorker.WorkerGone gone) {
      log.warn("a query worker process did not start: {}", gone.getMessage());
      throw new ApiException(
          503,
          "a query worker process did not start (within "
              + STARTUP_LIMIT.toSeconds()
              + " s); see the server log",
          "5");
    } finally {
      startupLimit.cancel(false);
    }
  }

  private void acquireSlot() {
    // A slot holder is killed at the latest after one worker start-up and one timeout, so waiting
    // that long refuses only when more queries wait than slots can serve.
    long waitMs = limits.timeout().plus(STARTUP_LIMIT).toMillis();
    try {
      if (closed || !slots.tryAcquire(waitMs, TimeUnit.MILLISECONDS)) {
        throw new ApiException(
            503, "all query slots stayed busy for " + waitMs / 1000 + " s (query.connections); retry", "5");
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new ApiException(503, "interrupted while waiting for a query slot");
    }
  }

  private QueryWorker take() throws IOException {
    QueryWorker w;
    while ((w = idle.pollFirst()) != null) {
      if (w.usable()) {
        return w;
      }
      retire(w);
    }
    return start();
  }

  /** A worker that answered cleanly is reused first; any other is killed and replaced now. */
  private void giveBack(QueryWorker w) {
    if (w.usable() && !closed) {
      idle.offerFirst(w);
      return;
    }
    retire(w);
    if (!closed) {
      try {
        idle.offerLast(start());
      } catch (IOException e) {
        log.warn("could not start a replacement query worker; the next query starts one: {}", e.toString());
      }
    }
  }

  private void retire(QueryWorker w) {
    w.kill();
    all.remove(w);
  }

  private QueryWorker start() throws IOException {
    Path dir = scratchDir.resolve("worker-" + started.incrementAndGet());
    Files.createDirectories(dir);
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.add("-Xmx" + limits.workerHeap());
    // A small heap and the quick compiler: a worker's start (after a kill) costs the least CPU.
    command.add("-XX:+UseSerialGC");
    command.add("-XX:TieredStopAtLevel=1");
    command.add("-XX:+ExitOnOutOfMemoryError");
    // The JDBC driver extracts its 60 MB native library into java.io.tmpdir: the same folder as the
    // server's, where the worker deletes its copy as soon as it is loaded (DuckDbFiles).
    command.add("-Djava.io.tmpdir=" + System.getProperty("java.io.tmpdir"));
    command.add("-cp");
    command.add(absoluteClassPath());
    command.add(QueryWorkerMain.class.getName());
    command.add(lakeRoot.toString());
    command.add(dir.resolve("spill").toString());
    command.add(limits.memoryLimit());
    command.add(limits.maxTempSize());
    Process process = new ProcessBuilder(command).directory(dir.toFile()).start();
    process.onExit().thenRun(() -> deleteQuietly(dir));
    QueryWorker w = new QueryWorker(process);
    all.add(w);
    if (closed) {
      retire(w);
      throw new IOException("the query engine is closed");
    }
    return w;
  }

  /** The server's class path, absolute: a worker runs in its own folder ({@code java -jar} gives a relative one). */
  private static String absoluteClassPath() {
    return Arrays.stream(System.getProperty("java.class.path").split(File.pathSeparator))
        .map(entry -> Path.of(entry).toAbsolutePath().toString())
        .collect(Collectors.joining(File.pathSeparator));
  }

  private static void deleteQuietly(Path dir) {
    try {
      Folders.deleteRecursively(dir);
    } catch (RuntimeException e) {
      log.warn("could not remove a query worker's folder: {}", e.toString());
    }
  }

  private static String abbreviate(String sql) {
    String oneLine = sql.replaceAll("\\s+", " ").strip();
    return oneLine.length() <= SQL_IN_LOG_CHARS ? oneLine : oneLine.substring(0, SQL_IN_LOG_CHARS) + "...";
  }

  private void killAll() {
    closed = true;
    for (QueryWorker w : all) {
      w.kill();
    }
    for (QueryWorker w : all) {
      w.awaitExit(EXIT_WAIT);
    }
  }

  @Override
  public void close() {
    killAll();
    timer.shutdownNow();
    try {
      Runtime.getRuntime().removeShutdownHook(shutdownHook);
    } catch (IllegalStateException shuttingDown) {
      // the hook is running or has run
    }
  }
}
