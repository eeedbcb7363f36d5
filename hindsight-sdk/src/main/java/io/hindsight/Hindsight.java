package io.hindsight;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * The entry point of the SDK: records one prediction record per prediction scope and ships it to
 * a Hindsight server off the request path (DESIGN §7).
 *
 * <pre>{@code
 * Hindsight hindsight = Hindsight.builder()
 *     .endpoint("fraud-model").modelVersion("v2.1.0")
 *     .serverUrl("http://localhost:7070")
 *     .spoolDirectory(Path.of("/var/lib/fraud-model/hindsight-spool"))
 *     .build();
 *
 * try (Prediction p = hindsight.startPrediction("txn-123")) {
 *   Hindsight.log("credit_score", 712);
 *   Hindsight.log("probabilities", List.of(0.13, 0.87));
 *   p.tag("segment", "high_value");
 * }
 * hindsight.feedback("txn-123", Map.of("label", "legit"));
 * }</pre>
 *
 * <p><b>Two error regimes.</b> Configuration errors fail in {@link HindsightBuilder#build()};
 * programming errors inside a scope (a bad key, a duplicate key, a non-JSON value, {@code log}
 * outside a scope) throw at once. Shipping never throws into the model and never blocks it:
 * records go to a bounded queue drained by one daemon worker, spill to a disk spool while the
 * server is away, and are replayed in order (sent oldest first; up to
 * {@link HindsightBuilder#maxRequestsInFlight} requests at once, so the server may store
 * neighbouring batches in either order unless that is 1). Whatever is dropped is counted in
 * {@link #stats()}.
 *
 * <p>Instances are thread-safe. Create one per endpoint and keep it for the life of the service;
 * {@link #close(Duration)} it on shutdown (a shutdown hook does so by default).
 */
public final class Hindsight implements AutoCloseable {
  /** The SDK version, sent as the User-Agent. */
  public static final String VERSION = SdkVersion.fromBuild();

  final String endpoint;
  final String modelVersion;
  final SdkTime time;
  final Map<String, PiiPolicy> pii;
  final byte[] piiSecret;
  final int initialKeyCapacity;
  private final boolean requestIdFromContext;
  private final String[] defaultTagKeys;
  private final String[] defaultTagValues;
  final Sampler sampler;
  final Counters counters;
  final ThrottledLog log;
  final Shipper shipper;
  final long maxRecordBytes;
  /** How records are written: the builder's format, or JSON for a {@link LocalContext} to show. */
  final BodyFormat format;
  private final SystemFigures systemFigures;
  private final Transport transport;
  private final RetryPolicy retry;
  private final Shipper.Sender sender;
  /** {@link #logBatch} requests: idempotency-key prefix, records and bytes per request. */
  private final String jobKeyPrefix;
  private final int jobBatchSize;
  private final long jobMaxBatchBytes;
  private final Duration closeTimeout;
  private final Consumer<Object> localSink;
  private final Thread shutdownHook;
  private volatile boolean closing;

  /** Copies every setting out of the builder: changing the builder later changes nothing here. */
  Hindsight(HindsightBuilder b, Consumer<Object> localSink) {
    this.retry = new RetryPolicy(b.retryInitialBackoff.toNanos(), b.retryMaxBackoff.toNanos());
    this.jobKeyPrefix = b.batchKeyPrefix() + "-job";
    this.jobBatchSize = b.batchSize;
    this.jobMaxBatchBytes = b.maxBatchBytes;
    this.closeTimeout = b.closeTimeout;
    this.endpoint = b.endpoint;
    this.modelVersion = b.modelVersion;
    this.time = b.time;
    this.pii = b.pii.isEmpty() ? null : Map.copyOf(b.pii);
    this.piiSecret = b.piiSecret;
    this.initialKeyCapacity = b.initialKeyCapacity;
    this.requestIdFromContext = b.requestIdFromContext;
    this.defaultTagKeys = b.tags.keySet().toArray(new String[0]);
    this.defaultTagValues = b.tags.values().toArray(new String[0]);
    this.counters = new Counters();
    this.maxRecordBytes = b.maxRecordBytes;
    this.format = localSink == null ? b.bodyFormat : BodyFormat.JSON;
    this.systemFigures = b.captureSystem ? new SystemFigures(time, format) : null;
    this.log = new ThrottledLog(time, endpoint, localSink == null ? b.serverUrl : null);
    this.sampler =
        new Sampler(
            b.sampleRate,
            b.keepErrors,
            b.alwaysKeep,
            TimeUnit.NANOSECONDS.toMicros(b.fullLoggingAfterDeploy.toNanos()),
            b.deployedAt == null ? Long.MIN_VALUE : Timestamps.micros(b.deployedAt),
            time,
            log);
    this.localSink = localSink;
    if (localSink != null) {
      this.transport = null;
      this.sender = null;
      this.shipper = null;
      this.shutdownHook = null;
      return;
    }
    this.transport = new Transport(b.serverUrl, endpoint, b.apiKey, b.connectTimeout, b.requestTimeout);
    Spool spool =
        b.spoolDirectory != null
            ? new DiskSpool(b.spoolDirectory, b.spoolMaxBytes(), log)
            : new MemorySpool(b.spoolMaxBytes());
    Shipper.Settings s =
        new Shipper.Settings(
            b.queueCapacity,
            b.batchSize,
            b.maxBatchBytes,
            b.linger.toNanos(),
            b.maxOutboxBatches,
            b.maxRequestsInFlight,
            retry,
            b.dropPolicy,
            b.maxRecordBytes,
            format);
    this.sender = new SmileFallback(b.sender != null ? b.sender : transport::send);
    this.shipper = new Shipper(s, time, log, counters, sender, spool, b.batchKeyPrefix());
    if (spool.records() > 0) {
      ThrottledLog.info(
          "hindsight[" + endpoint + "]: " + spool.records() + " spooled records from an earlier run"
              + " are replayed first");
    }
    if (b.startWorker) {
      shipper.start("hindsight-shipper-" + endpoint);
    }
    if (b.closeOnShutdown) {
      Thread hook = new Thread(() -> close(b.closeTimeout), "hindsight-shutdown-" + endpoint);
      Runtime.getRuntime().addShutdownHook(hook);
      this.shutdownHook = hook;
    } else {
      this.shutdownHook = null;
    }
  }

  /** A builder; see {@link HindsightBuilder} for every option and its default. */
  public static HindsightBuilder builder() {
    return new HindsightBuilder();
  }

  /**
   * An in-memory Hindsight for unit tests of model code: it validates exactly like the real one
   * and collects finished records instead of sending them. It also opens a prediction scope on
   * the calling thread, so code that calls {@link #log} can be tested directly:
   *
   * <pre>{@code
   * try (LocalContext ctx = Hindsight.localContext()) {
   *   model.predict(input);                       // calls Hindsight.log("score", ...)
   *   assertThat(ctx.logs()).containsEntry("score", 0.93);
   * }
   * }</pre>
   */
  public static LocalContext localContext() {
    return builder().endpoint("local").buildLocal();
  }

  /** The endpoint this instance logs to. */
  public String endpoint() {
    return endpoint;
  }

  // ---- prediction scopes ------------------------------------------------------------------------

  /** Opens a prediction scope with a generated UUIDv7 id on the calling thread. */
  public Prediction startPrediction() {
    long startNanos = time.nanoTime();
    long micros = time.epochMicros();
    return open(Ids.uuidV7(micros / 1000), startNanos, micros);
  }

  /**
   * Opens a prediction scope with the caller's id (at most 128 characters, no control characters),
   * e.g. a transaction id that feedback will later refer to.
   */
  public Prediction startPrediction(String predictionId) {
    Ids.checkId("predictionId", predictionId);
    long startNanos = time.nanoTime();
    return open(predictionId, startNanos, time.epochMicros());
  }

  private Prediction open(String id, long startNanos, long micros) {
    checkOpen();
    Prediction p = new Prediction(this, id, startNanos, micros, requestIdFromContext ? RequestIds.fromContext() : null);
    for (int i = 0; i < defaultTagKeys.length; i++) {
      p.tag(defaultTagKeys[i], defaultTagValues[i]);
    }
    return p;
  }

  private void checkOpen() {
    if (closing) {
      // Not an exception: a late request during shutdown must not fail. The record is counted.
      log.warn("closed", "a prediction was started after close() began; it will be dropped");
    }
  }

  /**
   * Runs the model inside a scope with a generated id; when it throws, the record gets {@code
   * status=error} with the exception's message and the exception is rethrown unchanged.
   */
  public <T> T predict(Callable<T> model) throws Exception {
    return run(startPrediction(), model);
  }

  /** Like {@link #predict(Callable)} with the caller's prediction id. */
  public <T> T predict(String predictionId, Callable<T> model) throws Exception {
    return run(startPrediction(predictionId), model);
  }

  private static <T> T run(Prediction p, Callable<T> model) throws Exception {
    try {
      return model.call();
    } catch (Throwable t) {
      p.fail(t);
      throw t;
    } finally {
      p.close();
    }
  }

  /** Called by {@link Prediction#close()}: sampling, then hand-off. Never throws. */
  void finish(Prediction p, long nowNanos) {
    try {
      if (p.implicit && p.size == 0 && !p.failed) {
        return;
      }
      double rate = sampler.decide(p);
      if (rate == Sampler.DROP) {
        counters.recorded(Kind.PREDICTIONS);
        counters.dropUnqueued(Kind.PREDICTIONS, DropReason.SAMPLED_OUT);
        return;
      }
      p.sampleRate = rate;
      if (systemFigures != null) {
        p.system = systemFigures.now(nowNanos);
      }
      if (localSink != null) {
        counters.recordedDirect(Kind.PREDICTIONS);
        localSink.accept(p);
      } else {
        shipper.offer(p);
      }
    } catch (Throwable t) {
      log.warn("finish", "a prediction record could not be handed to shipping", t);
    }
  }

  // ---- logging into the current scope -----------------------------------------------------------

  /**
   * Logs a key into the prediction scope of the calling thread. Allowed values: null, Boolean,
   * Number (not NaN or infinite), String and any CharSequence, Enum (its name), Instant and other
   * java.time dates (as text), UUID, Map with String keys, List or any Collection, and arrays;
   * nested up to 64 levels counting the record and its data object. The value is copied, so
   * changing it afterwards changes nothing.
   *
   * <p>How values are stored: a {@code byte[]} becomes one <b>base64 string</b> (standard alphabet,
   * padded; decode it with {@code from_base64(col)} in SQL or {@code Base64.getDecoder()}), not a
   * list of numbers; a {@code char[]} becomes a string; other arrays, Lists and Maps become JSON
   * arrays and objects, which SQL shows as JSON text (read into them with {@code json_extract} or
   * {@code ->>}). Integral numbers are written as integers and floating-point ones with a decimal
   * point, so the server types them {@code bigint} and {@code double}; a {@link LocalContext}
   * gives them back as {@link Long} and {@link Double}.
   *
   * @throws IllegalStateException when no scope is open on this thread, or it was closed
   * @throws IllegalArgumentException for a key breaking {@code [A-Za-z][A-Za-z0-9_]{0,127}}, a
   *     reserved key, a key already logged in this scope (case-insensitively), or a value that is
   *     not JSON-compatible; the message says how to fix it
   */
  public static void log(String key, Object value) {
    Prediction.current(key).log(key, value);
  }

  /** Logs an integral number into the current scope without boxing. */
  public static void log(String key, long value) {
    Prediction.current(key).log(key, value);
  }

  /** Logs a floating-point number into the current scope without boxing. */
  public static void log(String key, double value) {
    Prediction.current(key).log(key, value);
  }

  /** Logs a float into the current scope as the decimal it prints as. */
  public static void log(String key, float value) {
    Prediction.current(key).log(key, value);
  }

  /** Logs a boolean into the current scope. */
  public static void log(String key, boolean value) {
    Prediction.current(key).log(key, value);
  }

  /**
   * Logs the principal reasons of the decision under the key {@code reasons}: at most {@link
   * Reason#MAX}, strongest first, as adverse-action notices need them.
   *
   * @throws IllegalStateException when no scope is open on this thread
   * @throws IllegalArgumentException for no reasons or more than {@link Reason#MAX}, or when
   *     {@code reasons} were already logged in this scope
   */
  public static void logReasons(Reason... reasons) {
    if (reasons.length == 0 || reasons.length > Reason.MAX) {
      throw new IllegalArgumentException(
          "log 1 to " + Reason.MAX + " principal reasons, strongest first; got " + reasons.length);
    }
    java.util.List<Map<String, Object>> list = new java.util.ArrayList<>(reasons.length);
    for (Reason r : reasons) {
      list.add(java.util.Objects.requireNonNull(r, "a reason is null").toJson());
    }
    log("reasons", list);
  }

  /** The longest uri {@link #logMedia} takes, as the server checks it. */
  public static final int MAX_MEDIA_URI_LENGTH = 2048;

  private static final java.util.regex.Pattern MEDIA_TYPE =
      java.util.regex.Pattern.compile("(?i)(image|audio|video|text)/[a-z0-9][a-z0-9!#$&^_.+-]{0,126}(\\s*;[\\x20-\\x7e]{0,128})?");

  /**
   * Logs a media reference under {@code key}: the object {@code {"uri": uri, "content_type":
   * contentType}}, which the server types {@code media} and its web UI previews next to the
   * prediction (an image inline, audio and video players, a text excerpt). The file itself is
   * never sent: keep it where the server may read it (a folder or S3 prefix listed in the server's
   * {@code media.roots}) and log where it is, e.g.
   * {@code Hindsight.logMedia("scan", "s3://scans/2026/11/42.png", "image/png")}.
   *
   * @param uri where the file is: an absolute path, a {@code file:///} URI or {@code
   *     s3://bucket/key}; at most {@value #MAX_MEDIA_URI_LENGTH} characters
   * @param contentType the file's media type, of the families {@code image/*}, {@code audio/*},
   *     {@code video/*} or {@code text/*} (e.g. {@code "image/png"}, {@code "audio/wav"})
   * @throws IllegalStateException when no scope is open on this thread
   * @throws IllegalArgumentException for an empty or overlong uri, one with control characters, a
   *     content type outside those families, or a key {@link #log(String, Object)} refuses
   */
  public static void logMedia(String key, String uri, String contentType) {
    if (uri == null || uri.isBlank() || uri.length() > MAX_MEDIA_URI_LENGTH || uri.chars().anyMatch(Character::isISOControl)) {
      throw new IllegalArgumentException(
          "media '" + key + "': the uri must be 1 to " + MAX_MEDIA_URI_LENGTH + " printable characters, such as"
              + " \"s3://bucket/scans/42.png\" or \"/data/audio/7.wav\"");
    }
    if (contentType == null || !MEDIA_TYPE.matcher(contentType).matches()) {
      throw new IllegalArgumentException(
          "media '" + key + "': content type " + (contentType == null ? "null" : "'" + contentType + "'")
              + " is not an image/*, audio/*, video/* or text/* type; give the file's own type, e.g. \"image/png\"");
    }
    Map<String, Object> reference = new java.util.LinkedHashMap<>(4);
    reference.put("uri", uri);
    reference.put("content_type", contentType);
    log(key, reference);
  }

  /** The scope open on the calling thread, if any. */
  public static Optional<Prediction> currentPrediction() {
    Prediction p = Prediction.CURRENT.get();
    return p == null || p.isClosed() ? Optional.empty() : Optional.of(p);
  }

  /**
   * Wraps an executor so each task runs in the prediction scope that was current when it was
   * submitted (if any), for async model code: {@code CompletableFuture.supplyAsync(f,
   * Hindsight.contextExecutor(pool))}.
   */
  public static Executor contextExecutor(Executor delegate) {
    if (delegate == null) {
      throw new IllegalArgumentException("contextExecutor needs an executor to wrap");
    }
    return task -> {
      Prediction p = Prediction.CURRENT.get();
      delegate.execute(p == null || p.isClosed() ? task : p.wrap(task));
    };
  }

  // ---- feedback and events ----------------------------------------------------------------------

  /**
   * Records a later fact about a prediction (a label, an outcome, a rating), joined by id. Keys
   * follow the same rules as {@link #log}; PII policies apply. Feedback is never sampled: a
   * prediction kept by a predicate must still get its label.
   */
  public void feedback(String predictionId, Map<String, ?> data) {
    feedback(predictionId, data, null);
  }

  /** Like {@link #feedback(String, Map)} with the time the fact became known. */
  public void feedback(String predictionId, Map<String, ?> data, Instant timestamp) {
    Ids.checkId("predictionId", predictionId);
    if (data == null || data.isEmpty()) {
      throw new IllegalArgumentException(
          "feedback for '" + predictionId + "' has no data; pass at least one key, e.g."
              + " Map.of(\"label\", \"fraud\")");
    }
    long ts = timestamp == null ? time.epochMicros() : Timestamps.micros(timestamp);
    DataValues values = dataValues(data, "feedback");
    BodyOut out = format.writer(128);
    writeFeedback(out, predictionId, ts, values, null);
    if (out.size() > maxRecordBytes) {
      OversizedValues removed = OversizedValues.choose(values.names, values.sizes(format), out.size(), maxRecordBytes);
      long bytes = out.size();
      out.reset();
      if (removed != null) {
        writeFeedback(out, predictionId, ts, values, removed);
      }
      if (removed == null || out.size() > maxRecordBytes) {
        refuseTooLarge(Kind.FEEDBACK, "feedback for '" + predictionId + "'", bytes);
        return;
      }
      counters.trimmed(Kind.FEEDBACK);
      log.warn(
          "trimmed-feedback",
          "feedback for '" + predictionId + "' is " + bytes + " bytes, over maxRecordBytes ("
              + maxRecordBytes + "); it is sent without the values of " + removed.describe()
              + ", listed in its key " + OversizedValues.KEY);
    }
    ship(new Message(Kind.FEEDBACK, out.toByteArray()));
  }

  private static void writeFeedback(BodyOut out, String predictionId, long ts, DataValues values, OversizedValues removed) {
    out.beginObject().field("prediction_id").string(predictionId);
    out.next().field("ts").string(Timestamps.rfc3339(ts));
    out.next().field("data");
    values.write(out, removed);
    out.endObject();
  }

  /** Counts and logs a record refused before it was queued for being over maxRecordBytes. */
  private void refuseTooLarge(Kind kind, String what, long bytes) {
    counters.recorded(kind);
    counters.rejectUnqueued(kind, RejectReason.RECORD_TOO_LARGE);
    log.warn(
        "too-large-" + kind.path,
        what + " is " + bytes + " bytes, over maxRecordBytes (" + maxRecordBytes + ", the"
            + " server's ingest.max-record-bytes); it was rejected, not sent");
  }

  /**
   * Annotates the endpoint's timeline (deploy, incident, holiday, experiment note). An event of kind
   * {@code deploy} also starts the full-logging window ({@link HindsightBuilder#fullLoggingAfterDeploy}).
   *
   * @param data optional details, may be null
   */
  public void event(String kind, String text, Map<String, ?> data) {
    if (kind == null || kind.isBlank()) {
      throw new IllegalArgumentException(
          "an event needs a kind such as \"deploy\", \"incident\" or \"note\"");
    }
    Ids.checkLabel("event kind", kind);
    long now = time.epochMicros();
    BodyOut out = format.writer(128);
    out.beginObject().field("ts").string(Timestamps.rfc3339(now));
    out.next().field("kind").string(kind);
    if (text != null) {
      out.next().field("text").string(text);
    }
    if (data != null && !data.isEmpty()) {
      out.next().field("data");
      Object snapshot = Values.snapshot("data", data);
      out.value(snapshot);
    }
    out.endObject();
    if ("deploy".equalsIgnoreCase(kind)) {
      sampler.deployed(now);
    }
    if (out.size() > maxRecordBytes) {
      refuseTooLarge(Kind.EVENTS, "an event of kind '" + kind + "'", out.size());
      return;
    }
    ship(new Message(Kind.EVENTS, out.toByteArray()));
  }

  /** Validated, PII-processed data values of a feedback record, in the caller's order. */
  private static final class DataValues {
    final String[] names;
    final Object[] values;

    DataValues(List<String> names, List<Object> values) {
      this.names = names.toArray(new String[0]);
      this.values = values.toArray();
    }

    void write(BodyOut out, OversizedValues removed) {
      out.beginObject();
      boolean first = true;
      for (int i = 0; i < names.length; i++) {
        if (removed != null && removed.contains(i)) {
          continue;
        }
        if (!first) {
          out.next();
        }
        first = false;
        out.key(names[i]).value(values[i]);
      }
      if (removed != null) {
        if (!first) {
          out.next();
        }
        removed.writeEntry(out);
      }
      out.endObject();
    }

    /** The size of each value in {@code format}. */
    long[] sizes(BodyFormat format) {
      long[] sizes = new long[values.length];
      BodyOut scratch = format.writer(256);
      for (int i = 0; i < values.length; i++) {
        scratch.reset();
        scratch.value(values[i]);
        sizes[i] = scratch.size();
      }
      return sizes;
    }
  }

  private DataValues dataValues(Map<String, ?> data, String what) {
    List<String> names = new ArrayList<>(data.size());
    List<Object> values = new ArrayList<>(data.size());
    List<Keys.Key> seen = new ArrayList<>(data.size());
    for (Map.Entry<String, ?> e : data.entrySet()) {
      Keys.Key k = Keys.ofFeedback(e.getKey());
      for (Keys.Key s : seen) {
        if (s.column.sameAs(k.column)) {
          throw new IllegalArgumentException(
              what + " keys '" + s.name + "' and '" + k.name + "' name the same column (keys are"
                  + " case-insensitive); send only one of them");
        }
      }
      seen.add(k);
      Object v = Values.snapshot(k.name, e.getValue());
      if (pii != null) {
        PiiPolicy policy = pii.get(k.column.lowerName);
        if (policy != null) {
          v = policy.apply(v, piiSecret);
          if (v == PiiPolicy.DROPPED) {
            continue;
          }
        }
      }
      names.add(k.name);
      values.add(v);
    }
    return new DataValues(names, values);
  }

  private void ship(Message m) {
    if (localSink != null) {
      counters.recordedDirect(m.kind);
      localSink.accept(m);
    } else {
      shipper.offer(m);
    }
  }

  // ---- offline batches ---------------------------------------------------------------------------

  /**
   * Logs records of an offline scoring job synchronously, in requests of {@code batchSize}, and
   * reports progress after each. Each map holds one prediction's keys; the optional entries {@code
   * prediction_id} (String), {@code ts} (Instant), {@code request_id} (String) and {@code
   * model_version} (String) set those fields. A record failing validation is rejected, not thrown.
   * No sampling applies; PII policies do. Retries a failed request up to 5 times with backoff.
   *
   * <p>The server tracks the upload as a job ({@link BatchResult#jobId()}, {@code GET
   * /v1/jobs/{id}}): its progress (when {@code records} is a collection) and counts after each
   * request, and at the end done, or failed when records could not be delivered.
   */
  public BatchResult logBatch(Iterable<? extends Map<String, ?>> records, BatchProgress progress) {
    BatchProgress callback = progress == null ? BatchProgress.NONE : progress;
    JobTally tally = new JobTally();
    UploadJob job = localSink == null ? UploadJob.open(transport, endpoint) : null;
    long total = records instanceof java.util.Collection<?> c ? c.size() : -1;
    long index = 0;
    BodyOut out = format.writer(64 * 1024);
    List<Long> indexes = new ArrayList<>();
    SystemFigures.GcClock gc = new SystemFigures.GcClock();
    int sequence = 0;
    Iterator<? extends Map<String, ?>> it = records.iterator();
    while (it.hasNext()) {
      Map<String, ?> record = it.next();
      long i = index++;
      counters.recordedDirect(Kind.PREDICTIONS);
      Prediction p;
      try {
        p = detached(record);
      } catch (RuntimeException e) {
        counters.reject(Kind.PREDICTIONS, RejectReason.INVALID, 1);
        tally.reject(i, e.getMessage());
        continue;
      }
      if (localSink != null) {
        localSink.accept(p);
        tally.accepted++;
        continue;
      }
      int mark = out.size();
      if (indexes.isEmpty()) {
        out.beginBody();
      } else {
        out.next();
      }
      if (!p.writeWithin(out, maxRecordBytes, gc, counters, log)) {
        out.truncate(mark);
        tally.reject(i, "the record is over maxRecordBytes (" + maxRecordBytes + ") even without its data values");
        continue;
      }
      indexes.add(i);
      if (indexes.size() >= jobBatchSize || out.size() >= jobMaxBatchBytes) {
        sendJob(jobBatch(out, indexes.size(), jobKeyPrefix + "-" + sequence++), indexes, tally);
        indexes = new ArrayList<>();
        callback.onProgress(index, tally.accepted, tally.rejected);
        if (job != null) {
          job.report(total > 0 ? (double) index / total : -1, tally.accepted, tally.rejected, tally.unsent, "running", null);
        }
      }
    }
    if (!indexes.isEmpty()) {
      sendJob(jobBatch(out, indexes.size(), jobKeyPrefix + "-" + sequence), indexes, tally);
    }
    callback.onProgress(index, tally.accepted, tally.rejected);
    if (job != null) {
      job.report(1, tally.accepted, tally.rejected, tally.unsent, tally.unsent > 0 ? "failed" : "done",
          tally.unsent > 0 ? tally.unsent + " records could not be delivered: the server stayed unreachable" : null);
    }
    return new BatchResult(
        tally.accepted, tally.rejected, tally.unsent, List.copyOf(tally.rejections), job == null ? null : job.id());
  }

  /** The running outcome of a {@link #logBatch} call. */
  private static final class JobTally {
    long accepted;
    long rejected;
    long unsent;
    final List<BatchResult.Rejection> rejections = new ArrayList<>();

    void reject(long index, String error) {
      rejected++;
      if (rejections.size() < BatchResult.MAX_REJECTIONS) {
        rejections.add(new BatchResult.Rejection(index, error));
      }
    }
  }

  private static Batch jobBatch(BodyOut out, int records, String key) {
    out.endBody();
    Batch batch = new Batch(Kind.PREDICTIONS, key, records, out.format(), Shipper.gzip(out.buffer(), out.size()));
    out.reset();
    return batch;
  }

  private Prediction detached(Map<String, ?> record) {
    Object id = record.get("prediction_id");
    String predictionId =
        id == null ? Ids.uuidV7(time.epochMicros() / 1000) : Ids.checkId("prediction_id", String.valueOf(id));
    Prediction previous = Prediction.CURRENT.get();
    Prediction p = new Prediction(this, predictionId, time.nanoTime(), time.epochMicros(), null);
    try {
      for (Map.Entry<String, ?> e : record.entrySet()) {
        String key = e.getKey();
        Object v = e.getValue();
        if ("prediction_id".equals(key)) {
          continue;
        } else if ("ts".equals(key)) {
          if (!(v instanceof Instant)) {
            throw new IllegalArgumentException("'ts' must be an Instant");
          }
          p.timestamp((Instant) v);
        } else if ("request_id".equals(key)) {
          p.requestId(String.valueOf(v));
        } else if ("model_version".equals(key)) {
          p.modelVersion(String.valueOf(v));
        } else {
          p.log(key, v);
        }
      }
      p.latencyMs = 0;
      return p;
    } finally {
      if (previous == null) {
        Prediction.CURRENT.remove();
      } else {
        Prediction.CURRENT.set(previous);
      }
    }
  }

  /**
   * Sends one request of a {@link #logBatch} job, retrying failures; a request the server refuses
   * as a whole for what may be one record's fault is split in halves until that record is alone.
   */
  private void sendJob(Batch batch, List<Long> indexes, JobTally tally) {
    Transport.Response r = sendWithRetries(batch);
    if (ServerAnswer.retryable(r)) {
      tally.unsent += indexes.size();
      counters.drop(Kind.PREDICTIONS, DropReason.UNDELIVERED, indexes.size());
      log.warn("job-undelivered", "a logBatch request of " + indexes.size() + " records was not delivered"
          + " after " + RetryPolicy.SYNCHRONOUS_ATTEMPTS + " attempts (" + ServerAnswer.describe(r) + "); resend them");
    } else if (ServerAnswer.delivered(r)) {
      ServerAnswer.Delivered answer = ServerAnswer.delivered(r.body, indexes.size());
      for (ServerAnswer.Rejection rejection : answer.rejected()) {
        long local = rejection.index();
        tally.reject(local >= 0 && local < indexes.size() ? indexes.get((int) local) : -1, rejection.error());
      }
      long rejected = answer.rejected().size();
      tally.accepted += indexes.size() - rejected;
      counters.sent(Kind.PREDICTIONS, indexes.size() - rejected);
      counters.reject(Kind.PREDICTIONS, RejectReason.INVALID, rejected);
    } else if (r.status == 415 && batch.format == BodyFormat.SMILE) {
      log.warn("smile-refused", SmileBodies.refusedMessage(r));
      sendJob(SmileBodies.asJson(batch), indexes, tally);
    } else if (ServerAnswer.refusedForARecord(r.status) && indexes.size() > 1) {
      Batch[] halves = BatchSplit.halves(batch);
      int mid = halves[0].records;
      sendJob(halves[0], indexes.subList(0, mid), tally);
      sendJob(halves[1], indexes.subList(mid, indexes.size()), tally);
    } else {
      counters.reject(Kind.PREDICTIONS, ServerAnswer.rejectReason(r.status), indexes.size());
      String error = "HTTP " + r.status + ": " + ServerAnswer.errorOf(r.body);
      for (long i : indexes) {
        tally.reject(i, error);
      }
    }
  }

  /** Sends one request, retrying as the shipper does; waits pass on the SDK's clock. */
  private Transport.Response sendWithRetries(Batch batch) {
    Transport.Response r = null;
    for (int attempt = 1; attempt <= RetryPolicy.SYNCHRONOUS_ATTEMPTS; attempt++) {
      r = sender.send(batch).join();
      if (!ServerAnswer.retryable(r) || attempt == RetryPolicy.SYNCHRONOUS_ATTEMPTS) {
        break;
      }
      counters.retried.increment();
      try {
        time.sleep(retry.backoff(attempt));
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        break;
      }
    }
    return r;
  }

  // ---- flush, close, stats ---------------------------------------------------------------------

  /**
   * Sends everything recorded so far (open batches are cut at once) and waits until the server
   * has acknowledged all of it, or the timeout passes. Returns whether everything was delivered;
   * what is left stays queued or spooled and is still shipped later. Never throws.
   */
  public boolean flush(Duration timeout) {
    if (shipper == null) {
      return true;
    }
    return shipper.awaitDelivered(System.nanoTime() + timeout.toNanos(), false);
  }

  /**
   * Stops taking records, delivers what it can, spools the rest (with a spool directory; without
   * one it is counted as {@link DropReason#SHUTDOWN}) and stops the worker. Returns within the
   * timeout whatever the server does; true when everything was delivered.
   */
  public boolean close(Duration timeout) {
    if (shipper == null) {
      return true;
    }
    long deadline = System.nanoTime() + timeout.toNanos();
    synchronized (this) {
      if (closing) {
        return shipper.stop(deadline) && shipper.memoryRecords() == 0 && shipper.spoolRecords() == 0;
      }
      closing = true;
    }
    removeShutdownHook();
    shipper.stopAccepting();
    long reserve = Math.min(timeout.toNanos() / 4, TimeUnit.SECONDS.toNanos(2));
    // A worker that was never started (tests stepping it by hand) cannot deliver anything here.
    boolean delivered = shipper.thread() != null && shipper.awaitDelivered(deadline - reserve, true);
    boolean stopped = shipper.stop(deadline);
    return delivered && stopped;
  }

  /** {@link #close(Duration)} with the builder's {@code closeTimeout} (default 5 s). */
  @Override
  public void close() {
    close(closeTimeout);
  }

  private void removeShutdownHook() {
    if (shutdownHook != null && Thread.currentThread() != shutdownHook) {
      try {
        Runtime.getRuntime().removeShutdownHook(shutdownHook);
      } catch (IllegalStateException shuttingDown) {
        // The JVM is already running the hook.
      }
    }
  }

  /**
   * The shipping counters per kind of record; cheap enough to call from a metrics scrape. Its
   * {@code toString()} shows, per kind, how the recorded records add up.
   */
  public Stats stats() {
    return new Stats(
        kindStats(Kind.PREDICTIONS),
        kindStats(Kind.FEEDBACK),
        kindStats(Kind.EVENTS),
        counters.retried.sum(),
        shipper == null ? 0 : shipper.spoolBytes());
  }

  private KindStats kindStats(Kind kind) {
    long queued = shipper == null ? 0 : shipper.memoryRecords(kind);
    long spooled = shipper == null ? 0 : shipper.spoolRecords(kind);
    return counters.snapshot(kind, queued, spooled);
  }

}
