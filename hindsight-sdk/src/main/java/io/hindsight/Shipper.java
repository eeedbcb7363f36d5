package io.hindsight;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayDeque;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.zip.Deflater;
import java.util.zip.GZIPOutputStream;

/**
 * The single daemon worker that turns records into gzipped batches and delivers them, in the
 * manner of OpenTelemetry's {@code BatchSpanProcessor}.
 *
 * <p><b>Producers</b> (prediction threads) only append to a bounded lock-free queue: one atomic
 * increment and one CAS, never a lock, never a wait. When the queue is full the {@link DropPolicy}
 * applies and the drop is counted. A producer wakes the worker only when a full batch is waiting.
 *
 * <p><b>The worker</b> cuts a batch when it has {@code batchSize} records, {@code maxBatchBytes}
 * bytes, or its oldest record has waited {@code linger}. Ready batches form one sequence: the
 * spool (oldest) first, then an in-memory outbox. Requests are sent asynchronously, in that order,
 * up to {@code maxInFlight} at once while the server answers well (so the server's cores and its
 * group commit work for us), one at a time while retrying. A slow or hung server never stops the
 * worker from draining the queue: new batches pile up in the outbox and, past
 * {@code maxOutboxBatches}, spill to the spool. A failed attempt (I/O error, timeout, 408, 429, 5xx)
 * at the head abandons the requests behind it, spills the outbox to the spool (so a crash loses
 * nothing that was spooled), and schedules the next attempt with exponential backoff and jitter, or
 * exactly after {@code Retry-After}. Every batch keeps its idempotency key for life, so a batch the
 * server stored but did not acknowledge (or that was abandoned in flight) is stored once.
 *
 * <p>Invariants: when the spool is not empty the outbox is empty; the batches in flight are the
 * first ones of the ready sequence, in order; answers are settled in that order.
 */
final class Shipper implements Runnable {
  /** Most queued records drained per step, so a flood cannot starve delivery. */
  private static final int DRAIN_LIMIT_BATCHES = 4;
  private static final long MAX_RETRY_AFTER_NANOS = TimeUnit.MINUTES.toNanos(5);

  /** What the worker needs from the transport; a seam for tests. */
  interface Sender {
    CompletableFuture<Transport.Response> send(Batch batch);
  }

  /** Settings, validated by the builder and copied from it: changing the builder later changes nothing. */
  record Settings(
      int queueCapacity,
      int batchSize,
      long maxBatchBytes,
      long lingerNanos,
      int maxOutboxBatches,
      int maxInFlight,
      RetryPolicy retry,
      DropPolicy dropPolicy,
      long maxRecordBytes,
      BodyFormat format) {}

  /** A request out for the batch at the same position of the ready sequence. */
  private static final class Flight {
    final Batch batch;
    final CompletableFuture<Transport.Response> answer;

    Flight(Batch batch, CompletableFuture<Transport.Response> answer) {
      this.batch = batch;
      this.answer = answer;
    }
  }

  private static final class Open {
    final BodyOut out;
    int count;
    long firstNanos;

    Open(BodyFormat format) {
      out = format.writer(16 * 1024);
    }
  }

  private final Settings settings;
  private final SdkTime time;
  private final ThrottledLog log;
  private final Counters counters;
  private final Sender sender;
  private final Spool spool;
  private final String keyPrefix;

  // ---- shared with producers and callers ----
  private final ConcurrentLinkedQueue<Object> queue = new ConcurrentLinkedQueue<>();
  private final AtomicInteger queued = new AtomicInteger();
  private final AtomicLong flushRequests = new AtomicLong();
  private final Object progress = new Object();
  private volatile Thread thread;
  private volatile boolean sleeping;
  private volatile boolean accepting = true;
  private volatile boolean stopRequested;
  private volatile boolean stopped;
  private volatile long flushHandled;
  private volatile boolean drained = true;
  private volatile boolean waitingForServer;
  private volatile long memoryRecords;
  /** Records per kind in open batches and the outbox (the worker's memory), published each step. */
  private final AtomicLongArray memoryByKind = new AtomicLongArray(Kind.values().length);
  private volatile int progressWaiters;

  // ---- worker only ----
  private final Open[] open = new Open[Kind.values().length];
  private final ArrayDeque<Batch> outbox = new ArrayDeque<>();
  private long outboxRecords;
  private final long[] outboxByKind = new long[Kind.values().length];
  private final SystemFigures.GcClock gcClock = new SystemFigures.GcClock();
  private final ArrayDeque<Flight> inFlight = new ArrayDeque<>();
  private long nextAttemptNanos;
  private int failures;
  private boolean degraded;
  private long batchSequence;

  Shipper(Settings settings, SdkTime time, ThrottledLog log, Counters counters, Sender sender, Spool spool, String keyPrefix) {
    this.settings = settings;
    this.time = time;
    this.log = log;
    this.counters = counters;
    this.sender = sender;
    this.spool = spool;
    this.keyPrefix = keyPrefix;
    for (int i = 0; i < open.length; i++) {
      open[i] = new Open(settings.format());
    }
    this.nextAttemptNanos = time.nanoTime();
    this.drained = spool.isEmpty();
  }

  // ---- producer side: any thread, never blocks, never throws ----

  /** Hands a closed prediction or a message to the worker. */
  void offer(Object item) {
    Kind kind = kindOf(item);
    counters.recorded(kind);
    if (!accepting) {
      counters.dropUnqueued(kind, DropReason.CLOSED);
      log.warn("closed", "a record was recorded after close() began; it was dropped");
      return;
    }
    int n = queued.incrementAndGet();
    if (n > settings.queueCapacity()) {
      queued.decrementAndGet();
      queueFull(item, kind);
      return;
    }
    queue.offer(item);
    if (n >= settings.batchSize() && sleeping) {
      wake();
    }
  }

  static Kind kindOf(Object item) {
    return item instanceof Message ? ((Message) item).kind : Kind.PREDICTIONS;
  }

  private void queueFull(Object item, Kind kind) {
    Object oldest = settings.dropPolicy() == DropPolicy.DROP_OLDEST ? queue.poll() : null;
    if (oldest != null) {
      queue.offer(item);
      Kind oldKind = kindOf(oldest);
      counters.dequeued(oldKind);
      counters.drop(oldKind, DropReason.QUEUE_FULL, 1);
    } else {
      counters.dropUnqueued(kind, DropReason.QUEUE_FULL);
    }
    log.warn(
        "queue-full",
        "the shipping queue is full (" + settings.queueCapacity() + " records) and a record was dropped"
            + " (" + settings.dropPolicy() + "); the worker cannot keep up, raise queueCapacity or"
            + " lower the logging rate");
  }

  void wake() {
    Thread t = thread;
    if (t != null) {
      java.util.concurrent.locks.LockSupport.unpark(t);
    }
  }

  long memoryRecords() {
    return queued.get() + memoryRecords;
  }

  /** Records of one kind in memory: in the queue, in open batches, in the outbox. */
  long memoryRecords(Kind kind) {
    return counters.inQueue(kind) + memoryByKind.get(kind.ordinal());
  }

  long spoolRecords(Kind kind) {
    return spool.records(kind);
  }

  long spoolRecords() {
    return spool.records();
  }

  long spoolBytes() {
    return spool.bytes();
  }

  // ---- the worker loop ----

  /** Starts the daemon worker thread. */
  void start(String name) {
    Thread t = new Thread(this, name);
    t.setDaemon(true);
    thread = t;
    t.start();
  }

  Thread thread() {
    return thread;
  }

  @Override
  public void run() {
    thread = Thread.currentThread();
    try {
      while (!stopRequested) {
        long wait;
        try {
          wait = step();
        } catch (Throwable t) { // the worker must never die
          log.warn("worker-error", "the shipping worker hit an unexpected error; it goes on", t);
          wait = TimeUnit.MILLISECONDS.toNanos(100);
        }
        if (wait > 0 && !stopRequested) {
          sleeping = true;
          if (queued.get() < settings.batchSize() && flushRequests.get() == flushHandled && !stopRequested) {
            time.park(wait);
          }
          sleeping = false;
        }
      }
      finish();
    } catch (Throwable t) {
      log.warn("worker-error", "the shipping worker failed while stopping", t);
    } finally {
      spool.close();
      stopped = true;
      notifyProgress(true);
    }
  }

  /**
   * One round of work, never blocking: drain the queue, cut due batches, settle a finished
   * request, start the next one. Returns how long the worker may sleep (nanoseconds).
   */
  long step() {
    long now = time.nanoTime();
    long flushTarget = flushRequests.get();
    boolean flushing = flushTarget != flushHandled || stopRequested;
    boolean more = drain(now, DRAIN_LIMIT_BATCHES * settings.batchSize());
    long wait = settings.lingerNanos();
    for (Kind kind : Kind.values()) {
      Open o = open[kind.ordinal()];
      if (o.count > 0) {
        long due = o.firstNanos + settings.lingerNanos() - now;
        if (flushing || due <= 0) {
          cut(kind);
        } else {
          wait = Math.min(wait, due);
        }
      }
    }
    settleAnswered(now);
    if (inFlight.size() < inFlightLimit() && readyCount() > inFlight.size()) {
      if (now - nextAttemptNanos >= 0) {
        sendMore();
      } else {
        wait = Math.min(wait, nextAttemptNanos - now);
      }
    }
    flushHandled = flushTarget;
    updateProgress();
    return more ? 0 : Math.max(wait, 1);
  }

  private int readyCount() {
    return spool.size() + outbox.size();
  }

  /** One request at a time while the server is failing, so retries probe instead of flooding. */
  private int inFlightLimit() {
    return degraded ? 1 : settings.maxInFlight();
  }

  private void updateProgress() {
    long inOpen = 0;
    for (Kind kind : Kind.values()) {
      int count = open[kind.ordinal()].count;
      inOpen += count;
      memoryByKind.set(kind.ordinal(), count + outboxByKind[kind.ordinal()]);
    }
    memoryRecords = inOpen + outboxRecords;
    boolean nowDrained = inOpen == 0 && outbox.isEmpty() && spool.isEmpty() && inFlight.isEmpty() && queued.get() == 0;
    waitingForServer = degraded && inFlight.isEmpty();
    drained = nowDrained;
    notifyProgress(false);
  }

  private void notifyProgress(boolean always) {
    if (always || progressWaiters > 0) {
      synchronized (progress) {
        progress.notifyAll();
      }
    }
  }

  private boolean drain(long now, int limit) {
    for (int i = 0; i < limit; i++) {
      Object item = queue.poll();
      if (item == null) {
        return false;
      }
      queued.decrementAndGet();
      Kind kind = kindOf(item);
      counters.dequeued(kind);
      Open o = open[kind.ordinal()];
      int mark = o.out.size();
      if (o.count == 0) {
        o.out.reset();
        o.out.beginBody();
        o.firstNanos = now;
        mark = 0;
      } else {
        o.out.next();
      }
      try {
        if (item instanceof Prediction) {
          Prediction p = (Prediction) item;
          if (!p.writeWithin(o.out, settings.maxRecordBytes(), gcClock, counters, log)) {
            o.out.truncate(mark);
            continue;
          }
        } else {
          byte[] body = ((Message) item).body;
          o.out.bytes(body, 0, body.length);
        }
        o.count++;
      } catch (RuntimeException e) {
        o.out.truncate(mark);
        counters.drop(kind, DropReason.ENCODING_ERROR, 1);
        log.warn("encoding", "a record could not be written and was dropped", e);
        continue;
      }
      if (o.count >= settings.batchSize() || o.out.size() >= settings.maxBatchBytes()) {
        cut(kind);
      }
    }
    return true;
  }

  private void cut(Kind kind) {
    Open o = open[kind.ordinal()];
    if (o.count == 0) {
      return;
    }
    o.out.endBody();
    byte[] body = gzip(o.out.buffer(), o.out.size());
    Batch batch = new Batch(kind, keyPrefix + "-" + (batchSequence++), o.count, settings.format(), body);
    o.count = 0;
    o.out.reset();
    if (o.out.buffer().length > 4 * settings.maxBatchBytes()) {
      open[kind.ordinal()] = new Open(settings.format()); // do not keep a huge buffer after a burst
    }
    place(batch);
  }

  static byte[] gzip(byte[] data, int len) {
    ByteArrayOutputStream bos = new ByteArrayOutputStream(Math.max(64, len / 6));
    try (GZIPOutputStream gz =
        new GZIPOutputStream(bos, 8192) {
          {
            def.setLevel(Deflater.BEST_SPEED);
          }
        }) {
      gz.write(data, 0, len);
    } catch (IOException e) {
      throw new IllegalStateException("gzip into memory failed", e);
    }
    return bos.toByteArray();
  }

  private void place(Batch batch) {
    if (degraded || !spool.isEmpty()) {
      toSpool(batch);
    } else if (outbox.size() < settings.maxOutboxBatches()) {
      outbox.addLast(batch);
      outboxCount(batch, 1);
    } else {
      spillOutbox();
      toSpool(batch);
    }
  }

  private void outboxCount(Batch b, int sign) {
    outboxRecords += sign * b.records;
    outboxByKind[b.kind.ordinal()] += sign * b.records;
  }

  private void spillOutbox() {
    Batch b;
    while ((b = outbox.pollFirst()) != null) {
      outboxCount(b, -1);
      toSpool(b);
    }
  }

  private void toSpool(Batch batch) {
    try {
      if (!spool.fits(batch) && settings.dropPolicy() == DropPolicy.DROP_OLDEST) {
        while (!spool.fits(batch) && !spool.isEmpty()) {
          // Batches in flight may be stored by the server right now: drop the oldest after them.
          Spool.Removed removed = spool.removeOldestAfter(inFlight.size());
          if (removed == null) {
            break;
          }
          dropSpoolFull(removed.kind(), removed.records());
        }
      }
      if (!spool.fits(batch)) {
        dropSpoolFull(batch.kind, batch.records);
        return;
      }
      spool.add(batch);
    } catch (IOException | RuntimeException e) {
      counters.drop(batch.kind, DropReason.SPOOL_ERROR, batch.records);
      log.warn("spool-error", "a batch of " + batch.records + " records could not be spooled and was dropped", e);
    }
  }

  private void dropSpoolFull(Kind kind, long records) {
    counters.drop(kind, DropReason.SPOOL_FULL, records);
    log.warn(
        "spool-full",
        "the server is unreachable or slower than the logging rate, and the spool is full ("
            + spool.bytes() + " bytes); " + records + " records were dropped (" + settings.dropPolicy()
            + "); raise spoolMaxBytes, or bring the server back or give it more capacity");
  }

  /** Sends the next ready batches, in order, while there is room in flight. */
  private void sendMore() {
    while (inFlight.size() < inFlightLimit()) {
      Batch next;
      try {
        int position = inFlight.size();
        int spooled = spool.size();
        next = position < spooled ? spool.peek(position) : Spool.nth(outbox, position - spooled);
      } catch (IOException | RuntimeException e) {
        log.warn("spool-error", "the spool could not be read", e);
        return;
      }
      if (next == null) {
        return;
      }
      CompletableFuture<Transport.Response> answer = sender.send(next);
      inFlight.addLast(new Flight(next, answer));
      answer.whenComplete((r, e) -> wake());
    }
  }

  private void removeHead() throws IOException {
    if (!spool.isEmpty()) {
      spool.removeHead();
    } else {
      Batch b = outbox.pollFirst();
      if (b != null) {
        outboxCount(b, -1);
      }
    }
  }

  /** Puts the two halves of the head of the ready sequence in its place. */
  private void replaceHead(Batch... replacements) throws IOException {
    if (!spool.isEmpty()) {
      spool.replaceHead(List.of(replacements));
    } else {
      outboxCount(outbox.pollFirst(), -1);
      for (int i = replacements.length - 1; i >= 0; i--) {
        outbox.addFirst(replacements[i]);
        outboxCount(replacements[i], 1);
      }
    }
  }

  /** Settles the answers that came back, oldest first, stopping at the first still out. */
  private void settleAnswered(long now) {
    while (!inFlight.isEmpty() && inFlight.peekFirst().answer.isDone()) {
      Flight f = inFlight.pollFirst();
      if (!settle(f.batch, f.answer.join(), now)) {
        abandonInFlight();
        return;
      }
    }
  }

  /**
   * Forgets the requests still out: their batches stay in the ready sequence and are sent again,
   * in order, under the same idempotency keys, so one the server did store is not stored twice.
   */
  private void abandonInFlight() {
    Flight f;
    while ((f = inFlight.pollFirst()) != null) {
      f.answer.cancel(true);
    }
  }

  /** The halves of a refused batch; null (and logged) for a body that cannot be split. */
  private Batch[] splitOrNull(Batch batch) {
    try {
      return BatchSplit.halves(batch);
    } catch (RuntimeException e) {
      log.warn("split-error", "a refused batch of " + batch.records + " " + batch.kind.path + " could not be split", e);
      return null;
    }
  }

  /**
   * Handles the answer for the head of the ready sequence; false when it must be retried (it stays
   * at the head).
   */
  private boolean settle(Batch batch, Transport.Response r, long now) {
    Batch[] halves;
    try {
      if (ServerAnswer.retryable(r)) {
        retryLater(batch, r, now);
        return false;
      }
      failures = 0;
      degraded = false;
      nextAttemptNanos = now;
      if (r.status >= 200 && r.status < 300) {
        accepted(batch, r.body);
      } else if (r.status == 415 && batch.format == BodyFormat.SMILE) {
        replaceHead(SmileBodies.asJson(batch));
        log.warn("smile-refused", SmileBodies.refusedMessage(r));
        return false; // the JSON batch is sent next
      } else if (ServerAnswer.refusedForARecord(r.status) && batch.records > 1 && (halves = splitOrNull(batch)) != null) {
        replaceHead(halves[0], halves[1]);
        log.warn(
            "split:" + batch.kind.path + ":" + r.status,
            "the server refused a batch of " + batch.records + " " + batch.kind.path + " as a whole"
                + " with HTTP " + r.status + " (" + ServerAnswer.errorOf(r.body) + "); it is split and resent in halves"
                + " until the record it refused is alone, so every other record arrives");
        return false; // the halves are sent next; requests behind them go again under their keys
      } else {
        RejectReason reason = ServerAnswer.rejectReason(r.status);
        counters.reject(batch.kind, reason, batch.records);
        log.warn(
            "refused:" + batch.kind.path + ":" + r.status,
            (batch.records == 1 ? "the server refused a single record (" + batch.kind.path + ")"
                    : "the server refused a batch of " + batch.records + " " + batch.kind.path)
                + " with HTTP " + r.status + " (counted as rejected " + reason + ", not retried): "
                + ServerAnswer.errorOf(r.body));
      }
      removeHead();
    } catch (IOException e) {
      log.warn("spool-error", "a delivered spool segment could not be deleted; it may be sent again"
          + " (the server stores it once)", e);
    }
    return true;
  }

  private void retryLater(Batch batch, Transport.Response r, long now) {
    counters.retried.increment();
    failures++;
    long delay = settings.retry().backoff(failures);
    if (r.retryAfter != null) {
      long after = retryAfterNanos(r.retryAfter, time.epochMicros());
      if (after >= 0) {
        delay = Math.min(after, MAX_RETRY_AFTER_NANOS);
      }
    }
    nextAttemptNanos = now + delay;
    if (!degraded) {
      degraded = true;
      spillOutbox();
    }
    String why = ServerAnswer.describe(r);
    log.warn(
        "unreachable:" + (r.failure != null ? r.failure.getClass().getName() : "http-" + r.status),
        "the server did not take a batch of " + batch.records + " " + batch.kind.path + " (" + why
            + "); records go to the " + (spool.durable() ? "disk" : "memory") + " spool and are"
            + " retried in order, next attempt in " + TimeUnit.NANOSECONDS.toMillis(delay) + " ms");
  }

  /** Retry-After as delta-seconds or an HTTP date; -1 when unreadable. */
  static long retryAfterNanos(String value, long nowEpochMicros) {
    String v = value.trim();
    try {
      long seconds = Long.parseLong(v);
      return seconds < 0 ? -1 : TimeUnit.SECONDS.toNanos(seconds);
    } catch (NumberFormatException notSeconds) {
      try {
        ZonedDateTime at = ZonedDateTime.parse(v, DateTimeFormatter.RFC_1123_DATE_TIME);
        long deltaMicros = Timestamps.micros(at.toInstant()) - nowEpochMicros;
        return Math.max(0, deltaMicros * 1_000L);
      } catch (RuntimeException notDate) {
        return -1;
      }
    }
  }

  private void accepted(Batch batch, String body) {
    ServerAnswer.Delivered answer = ServerAnswer.delivered(body, batch.records);
    counters.sent(batch.kind, answer.accepted());
    List<ServerAnswer.Rejection> rejected = answer.rejected();
    if (!rejected.isEmpty()) {
      counters.reject(batch.kind, RejectReason.INVALID, rejected.size());
      String firstError = "record " + rejected.get(0).index() + ": " + rejected.get(0).error();
      log.warn(
          "rejected:" + batch.kind.path + ":" + ThrottledLog.causeOf(firstError),
          "the server rejected " + rejected.size() + " of " + batch.records + " " + batch.kind.path
              + " (not retried), e.g. " + firstError);
    }
  }

  /** On stop: everything still in memory goes to the spool, or is counted as lost. */
  private void finish() {
    while (drain(time.nanoTime(), Integer.MAX_VALUE)) {
      // drain everything
    }
    for (Kind kind : Kind.values()) {
      Open o = open[kind.ordinal()];
      if (o.count > 0) {
        cut(kind);
      }
    }
    settleAnswered(time.nanoTime());
    abandonInFlight(); // what is still out stays in the spool and is sent again under the same keys
    if (spool.durable()) {
      spillOutbox();
    } else {
      long lost = outboxRecords + spool.records();
      dropAllAtShutdown();
      if (lost > 0) {
        log.warn(
            "shutdown-lost",
            lost + " records were not delivered before close() timed out and there is no spool"
                + " directory to keep them; set spoolDirectory to keep them across restarts");
      }
    }
    updateProgress();
  }

  /** Without a durable spool, what is left is lost: counted once as SHUTDOWN and forgotten. */
  private void dropAllAtShutdown() {
    Batch b;
    while ((b = outbox.pollFirst()) != null) {
      outboxCount(b, -1);
      counters.drop(b.kind, DropReason.SHUTDOWN, b.records);
    }
    for (Kind kind : Kind.values()) {
      long n = spool.records(kind);
      if (n > 0) {
        counters.drop(kind, DropReason.SHUTDOWN, n);
      }
    }
    while (!spool.isEmpty()) {
      try {
        spool.removeHead();
      } catch (IOException impossibleInMemory) {
        return;
      }
    }
  }

  // ---- callers: flush and close ----

  /** Waits until everything recorded is delivered; false when the deadline (System.nanoTime) passes. */
  boolean awaitDelivered(long deadlineNanos, boolean giveUpWhenServerDown) {
    long target = flushRequests.incrementAndGet();
    wake();
    synchronized (progress) {
      progressWaiters++;
      try {
        while (true) {
          if (stopped) {
            return drained;
          }
          if (flushHandled >= target && drained) {
            return true;
          }
          if (giveUpWhenServerDown && flushHandled >= target && waitingForServer) {
            return false;
          }
          long left = deadlineNanos - System.nanoTime();
          if (left <= 0) {
            return false;
          }
          progress.wait(Math.max(1, Math.min(TimeUnit.NANOSECONDS.toMillis(left), 50)));
          wake();
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return false;
      } finally {
        progressWaiters--;
      }
    }
  }

  void stopAccepting() {
    accepting = false;
  }

  /** Asks the worker to spool what is left and exit; waits until the deadline at most. */
  boolean stop(long deadlineNanos) {
    stopRequested = true;
    wake();
    Thread t = thread;
    if (t == null) {
      // never started (a manually stepped worker in tests)
      finish();
      spool.close();
      stopped = true;
      return true;
    }
    try {
      long left = deadlineNanos - System.nanoTime();
      if (left > 0) {
        TimeUnit.NANOSECONDS.timedJoin(t, left);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    return !t.isAlive();
  }

  // ---- for tests ----

  long nextAttemptNanos() {
    return nextAttemptNanos;
  }
}
