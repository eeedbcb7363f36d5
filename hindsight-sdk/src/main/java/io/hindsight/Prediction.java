package io.hindsight;

import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

/**
 * The scope of one prediction: everything logged between {@link Hindsight#startPrediction()} and
 * {@link #close()} becomes one prediction record. Use it with try-with-resources:
 *
 * <pre>{@code
 * try (Prediction p = hindsight.startPrediction("txn-123")) {
 *   Hindsight.log("credit_score", 712);   // from anywhere on this thread
 *   p.tag("segment", "high_value");
 * }                                        // handed off here; never blocks, never throws
 * }</pre>
 *
 * <p><b>Threads.</b> A scope belongs to the thread that started it; {@link Hindsight#log} finds it
 * through a thread-local. To let async model code log into it, carry it with {@link
 * #wrap(Runnable)}, {@link #wrap(Callable)} or {@link Hindsight#contextExecutor}; a scope that
 * must be touched directly from other threads is first {@link #share() shared}. On its own thread
 * a scope takes no lock; once shared every call synchronizes on it.
 *
 * <p><b>Errors.</b> Programming errors throw at once with a message that says what to do: a key
 * that breaks the naming rules, a key logged twice (keys are case-insensitive), a value that is
 * not JSON, or any call after close. Shipping problems never throw here.
 */
public final class Prediction implements AutoCloseable {
  /** Most keys one record may carry (the server's limit). */
  public static final int MAX_KEYS = 1000;

  /** Longest error message kept in the {@code error} field. */
  static final int MAX_ERROR_LENGTH = 4096;

  static final byte T_NULL = 0;
  static final byte T_LONG = 1;
  static final byte T_DOUBLE = 2;
  static final byte T_BOOL = 3;
  static final byte T_OBJECT = 4;

  static final ThreadLocal<Prediction> CURRENT = new ThreadLocal<>();

  final Hindsight hindsight;
  final String id;
  final Thread ownerThread;
  final long startNanos;
  private final Prediction previous;

  long tsMicros;
  String modelVersion;
  String requestId;
  String[] tagKeys;
  String[] tagValues;
  int tagCount;

  Keys.Key[] keys;
  Object[] objects;
  long[] prims;
  byte[] types;
  int size;
  private long keyMask;

  boolean failed;
  String error;
  /** The scope a {@link LocalContext} opens for itself; dropped when nothing was logged into it. */
  boolean implicit;
  double latencyMs;
  double sampleRate = 1.0;
  /** Figures taken at close when {@link HindsightBuilder#captureSystem()} is on, else null. */
  SystemFigures.Snapshot system;

  private volatile boolean shared;
  private volatile boolean closed;

  Prediction(Hindsight hindsight, String id, long startNanos, long tsMicros, String requestId) {
    this.hindsight = hindsight;
    this.id = id;
    this.ownerThread = Thread.currentThread();
    this.startNanos = startNanos;
    this.tsMicros = tsMicros;
    this.modelVersion = hindsight.modelVersion;
    this.requestId = requestId;
    int capacity = hindsight.initialKeyCapacity;
    this.keys = new Keys.Key[capacity];
    this.objects = new Object[capacity];
    this.prims = new long[capacity];
    this.types = new byte[capacity];
    Prediction outer = CURRENT.get();
    this.previous = outer == null || outer.closed ? null : outer;
    CURRENT.set(this);
  }

  /** The prediction id: the caller's custom id or a generated UUIDv7. */
  public String id() {
    return id;
  }

  /**
   * The scope open on the calling thread; throws {@link IllegalStateException} when there is none.
   */
  static Prediction current(String forKey) {
    Prediction p = CURRENT.get();
    if (p == null || p.closed) {
      throw new IllegalStateException(
          "Hindsight.log(\"" + forKey + "\", ...) was called outside a prediction scope on thread '"
              + Thread.currentThread().getName() + "'; open one with try (Prediction p ="
              + " hindsight.startPrediction()) { ... }, or carry the scope to this thread with"
              + " prediction.wrap(task) or Hindsight.contextExecutor(executor)");
    }
    return p;
  }

  // ---- logging -------------------------------------------------------------------------------

  /** Logs a value of any JSON-compatible type (see {@link Hindsight#log(String, Object)}). */
  public Prediction log(String key, Object value) {
    if (value instanceof Long || value instanceof Integer) {
      return log(key, ((Number) value).longValue());
    }
    if (value instanceof Double) {
      return log(key, ((Double) value).doubleValue());
    }
    if (value instanceof Boolean) {
      return log(key, ((Boolean) value).booleanValue());
    }
    Keys.Key k = Keys.of(key);
    Object snapshot = Values.snapshot(key, value);
    if (hindsight.pii != null) {
      PiiPolicy policy = hindsight.pii.get(k.column.lowerName);
      if (policy != null) {
        snapshot = policy.apply(snapshot, hindsight.piiSecret);
      }
    }
    if (!shared && Thread.currentThread() == ownerThread) {
      put(k, snapshot == null ? T_NULL : T_OBJECT, snapshot, 0L);
    } else {
      synchronized (this) {
        checkShared("log");
        put(k, snapshot == null ? T_NULL : T_OBJECT, snapshot, 0L);
      }
    }
    return this;
  }

  /** Logs an integral number without boxing. */
  public Prediction log(String key, long value) {
    if (hindsight.pii != null && hindsight.pii.containsKey(Keys.of(key).column.lowerName)) {
      return logBoxed(key, value);
    }
    Keys.Key k = Keys.of(key);
    if (!shared && Thread.currentThread() == ownerThread) {
      put(k, T_LONG, null, value);
    } else {
      synchronized (this) {
        checkShared("log");
        put(k, T_LONG, null, value);
      }
    }
    return this;
  }

  /** Logs a floating-point number without boxing; NaN and infinities are refused. */
  public Prediction log(String key, double value) {
    if (hindsight.pii != null && hindsight.pii.containsKey(Keys.of(key).column.lowerName)) {
      return logBoxed(key, value);
    }
    Keys.Key k = Keys.of(key);
    Values.checkDouble(key, value);
    if (!shared && Thread.currentThread() == ownerThread) {
      put(k, T_DOUBLE, null, Double.doubleToRawLongBits(value));
    } else {
      synchronized (this) {
        checkShared("log");
        put(k, T_DOUBLE, null, Double.doubleToRawLongBits(value));
      }
    }
    return this;
  }

  /** Logs a float as the decimal it prints as (0.1f is sent as 0.1). */
  public Prediction log(String key, float value) {
    return log(key, Values.checkDouble(key, Values.floatToDouble(value)));
  }

  /** Logs a boolean. */
  public Prediction log(String key, boolean value) {
    if (hindsight.pii != null && hindsight.pii.containsKey(Keys.of(key).column.lowerName)) {
      return logBoxed(key, value);
    }
    Keys.Key k = Keys.of(key);
    if (!shared && Thread.currentThread() == ownerThread) {
      put(k, T_BOOL, null, value ? 1L : 0L);
    } else {
      synchronized (this) {
        checkShared("log");
        put(k, T_BOOL, null, value ? 1L : 0L);
      }
    }
    return this;
  }

  private Prediction logBoxed(String key, Object boxed) {
    Keys.Key k = Keys.of(key);
    Object snapshot = hindsight.pii.get(k.column.lowerName).apply(Values.snapshot(key, boxed), hindsight.piiSecret);
    synchronized (this) {
      if (!shared && Thread.currentThread() != ownerThread) {
        checkShared("log");
      }
      put(k, snapshot == null ? T_NULL : T_OBJECT, snapshot, 0L);
    }
    return this;
  }

  private void put(Keys.Key k, byte type, Object object, long prim) {
    if (closed) {
      throw closedError("log(\"" + k.name + "\", ...)");
    }
    Keys.Column column = k.column;
    if ((keyMask & column.bit) != 0) {
      for (int i = 0; i < size; i++) {
        if (keys[i].column.sameAs(column)) {
          throw new IllegalArgumentException(
              "key '" + k.name + "' was already logged in prediction '" + id + "'"
                  + (keys[i].name.equals(k.name) ? "" : " as '" + keys[i].name + "' (keys are case-insensitive)")
                  + "; log each key once per prediction, e.g. collect the values in a list or use"
                  + " distinct names");
        }
      }
    }
    // A dropped PII key still takes its name (a second log is still a duplicate); it is
    // stored as PiiPolicy.DROPPED and skipped when the record is written.
    if (size == keys.length) {
      if (size >= MAX_KEYS) {
        throw new IllegalStateException(
            "prediction '" + id + "' already has " + MAX_KEYS + " keys, the most one record may"
                + " carry; group related values into a map or a list under one key");
      }
      grow();
    }
    keyMask |= column.bit;
    keys[size] = k;
    objects[size] = object;
    prims[size] = prim;
    types[size] = type;
    size++;
  }

  private void grow() {
    int n = Math.min(MAX_KEYS, keys.length * 2);
    keys = Arrays.copyOf(keys, n);
    objects = Arrays.copyOf(objects, n);
    prims = Arrays.copyOf(prims, n);
    types = Arrays.copyOf(types, n);
  }

  // ---- system fields ---------------------------------------------------------------------------

  /** Adds a low-cardinality label (env, segment, channel, region); a tag set twice keeps the last. */
  public Prediction tag(String key, String value) {
    Ids.checkLabel("tag key", key);
    Ids.checkLabel("value of tag '" + key + "'", value);
    if (key.isEmpty()) {
      throw new IllegalArgumentException("a tag key must not be empty");
    }
    synchronizedIfShared(
        () -> {
          for (int i = 0; i < tagCount; i++) {
            if (tagKeys[i].equals(key)) {
              tagValues[i] = value;
              return;
            }
          }
          if (tagKeys == null) {
            tagKeys = new String[4];
            tagValues = new String[4];
          } else if (tagCount == tagKeys.length) {
            tagKeys = Arrays.copyOf(tagKeys, tagCount * 2);
            tagValues = Arrays.copyOf(tagValues, tagCount * 2);
          }
          tagKeys[tagCount] = key;
          tagValues[tagCount] = value;
          tagCount++;
        },
        "tag");
    return this;
  }

  /** Sets the correlation id; otherwise it is taken from OpenTelemetry or the SLF4J MDC, if any. */
  public Prediction requestId(String requestId) {
    Ids.checkLabel("requestId", requestId);
    synchronizedIfShared(() -> this.requestId = requestId, "requestId");
    return this;
  }

  /** Sets the event time of the prediction; the default is the moment the scope started. */
  public Prediction timestamp(Instant timestamp) {
    if (timestamp == null) {
      throw new IllegalArgumentException("timestamp must not be null");
    }
    long micros = Timestamps.micros(timestamp);
    synchronizedIfShared(() -> this.tsMicros = micros, "timestamp");
    return this;
  }

  /** Overrides the builder's model version for this record (e.g. an A/B challenger). */
  public Prediction modelVersion(String modelVersion) {
    Ids.checkLabel("modelVersion", modelVersion);
    synchronizedIfShared(() -> this.modelVersion = modelVersion, "modelVersion");
    return this;
  }

  /**
   * Marks the prediction as failed ({@code status=error}) with the exception's message. {@link
   * Hindsight#predict} calls it for you when the model throws.
   */
  public Prediction fail(Throwable cause) {
    String message = cause == null ? "unknown error" : cause.getMessage();
    if (message == null || message.isEmpty()) {
      message = cause.getClass().getName();
    }
    return fail(message);
  }

  /** Marks the prediction as failed ({@code status=error}) with this message. */
  public Prediction fail(String message) {
    String m = message == null ? "unknown error" : message;
    String bounded = m.length() > MAX_ERROR_LENGTH ? m.substring(0, MAX_ERROR_LENGTH) : m;
    synchronizedIfShared(
        () -> {
          this.failed = true;
          this.error = bounded;
        },
        "fail");
    return this;
  }

  private void synchronizedIfShared(Runnable change, String what) {
    if (!shared && Thread.currentThread() == ownerThread) {
      if (closed) {
        throw closedError(what + "(...)");
      }
      change.run();
      return;
    }
    synchronized (this) {
      checkShared(what);
      if (closed) {
        throw closedError(what + "(...)");
      }
      change.run();
    }
  }

  private void checkShared(String what) {
    if (!shared && Thread.currentThread() != ownerThread) {
      throw new IllegalStateException(
          "prediction '" + id + "' was started on thread '" + ownerThread.getName()
              + "' and " + what + " was called on thread '" + Thread.currentThread().getName()
              + "'; carry the scope with prediction.wrap(task) or Hindsight.contextExecutor(...),"
              + " or call prediction.share() before handing it to another thread");
    }
  }

  private IllegalStateException closedError(String what) {
    return new IllegalStateException(
        what + " was called on prediction '" + id + "' after it was closed; log everything"
            + " before the scope ends (async work must finish before close)");
  }

  // ---- carrying the scope to other threads ------------------------------------------------------

  /**
   * Lets other threads use this scope; from now on every call synchronizes. {@link #wrap} calls it
   * for you.
   */
  public Prediction share() {
    shared = true;
    return this;
  }

  /** A task that runs with this scope as the current one, so {@link Hindsight#log} works inside. */
  public Runnable wrap(Runnable task) {
    share();
    return () -> {
      Prediction before = CURRENT.get();
      CURRENT.set(this);
      try {
        task.run();
      } finally {
        restore(before);
      }
    };
  }

  /** A task that runs with this scope as the current one, so {@link Hindsight#log} works inside. */
  public <T> Callable<T> wrap(Callable<T> task) {
    share();
    return () -> {
      Prediction before = CURRENT.get();
      CURRENT.set(this);
      try {
        return task.call();
      } finally {
        restore(before);
      }
    };
  }

  private static void restore(Prediction before) {
    // set(null), not remove(): remove() would drop the thread-local entry and the next scope
    // would allocate a new one (a weak reference) on the hot path.
    CURRENT.set(before);
  }

  // ---- end of the scope -----------------------------------------------------------------------

  /**
   * Ends the scope and hands the record to the shipper. Never blocks and never throws because of
   * shipping; closing twice does nothing.
   */
  @Override
  public void close() {
    if (closed) {
      return;
    }
    if (!shared && Thread.currentThread() == ownerThread) {
      closeNow();
    } else {
      synchronized (this) {
        if (closed) {
          return;
        }
        checkShared("close");
        closeNow();
      }
    }
  }

  private void closeNow() {
    long now = hindsight.time.nanoTime();
    latencyMs = (now - startNanos) / 1_000_000.0;
    closed = true;
    if (CURRENT.get() == this) {
      restore(previous);
    }
    hindsight.finish(this, now);
  }

  boolean isClosed() {
    return closed;
  }

  /** The logged data as a map in logging order, as user code sees it (for predicates and tests). */
  Map<String, Object> dataView() {
    Map<String, Object> m = new LinkedHashMap<>(Math.max(4, size * 2));
    for (int i = 0; i < size; i++) {
      if (objects[i] == PiiPolicy.DROPPED) {
        continue;
      }
      m.put(keys[i].name, valueAt(i));
    }
    return m;
  }

  Object valueAt(int i) {
    switch (types[i]) {
      case T_LONG:
        return prims[i];
      case T_DOUBLE:
        return Double.longBitsToDouble(prims[i]);
      case T_BOOL:
        return prims[i] != 0;
      case T_NULL:
        return null;
      default:
        return Values.view(objects[i]);
    }
  }

  Map<String, String> tagsView() {
    Map<String, String> m = new LinkedHashMap<>();
    for (int i = 0; i < tagCount; i++) {
      m.put(tagKeys[i], tagValues[i]);
    }
    return m;
  }

  /**
   * Writes the wire form of this record at the end of {@code out}, within {@code maxBytes}. A
   * record over the limit is written again without its largest data values, which the record then
   * lists under {@value OversizedValues#KEY} (key to bytes), and is counted as trimmed; a record
   * still over the limit without any data value is not written, and is counted as rejected. Both
   * are logged. Returns whether the record was written.
   */
  boolean writeWithin(BodyOut out, long maxBytes, SystemFigures.GcClock gc, Counters counters, ThrottledLog log) {
    int mark = out.size();
    write(out, null, gc);
    long bytes = out.size() - mark;
    if (bytes <= maxBytes) {
      return true;
    }
    out.truncate(mark);
    String[] names = new String[size];
    long[] sizes = new long[size];
    for (int i = 0; i < size; i++) {
      names[i] = keys[i].name;
      if (objects[i] != PiiPolicy.DROPPED) {
        writeValue(out, i); // measured in place: no second buffer as large as the value
        sizes[i] = out.size() - mark;
        out.truncate(mark);
      }
    }
    OversizedValues removed = OversizedValues.choose(names, sizes, bytes, maxBytes);
    if (removed != null) {
      write(out, removed, gc);
      if (out.size() - mark <= maxBytes) {
        counters.trimmed(Kind.PREDICTIONS);
        log.warn(
            "trimmed",
            "prediction '" + id + "' is " + bytes + " bytes, over maxRecordBytes (" + maxBytes
                + ", the server's ingest.max-record-bytes); it is sent without the values of "
                + removed.describe() + ", listed in its key " + OversizedValues.KEY);
        return true;
      }
      out.truncate(mark);
    }
    counters.reject(Kind.PREDICTIONS, RejectReason.RECORD_TOO_LARGE, 1);
    log.warn(
        "too-large",
        "prediction '" + id + "' is " + bytes + " bytes and stays over maxRecordBytes (" + maxBytes
            + ") even without its data values (its tags, ids or error are too long); it was"
            + " rejected, not sent");
    return false;
  }

  /** Writes the wire form of this record (see the package documentation), whole. */
  void write(BodyOut out) {
    write(out, null, new SystemFigures.GcClock());
  }

  private void write(BodyOut out, OversizedValues removed, SystemFigures.GcClock gc) {
    out.beginObject().field("prediction_id").string(id);
    StringBuilder ts = new StringBuilder(27);
    Timestamps.append(ts, tsMicros);
    out.next().field("ts").string(ts);
    if (modelVersion != null) {
      out.next().field("model_version").string(modelVersion);
    }
    if (requestId != null) {
      out.next().field("request_id").string(requestId);
    }
    if (tagCount > 0) {
      out.next().field("tags").beginObject();
      for (int i = 0; i < tagCount; i++) {
        if (i > 0) {
          out.next();
        }
        out.key(tagKeys[i]).string(tagValues[i]);
      }
      out.endObject();
    }
    out.next().field("latency_ms").number(Math.round(latencyMs * 1000.0) / 1000.0);
    out.next().field("status").string(failed ? "error" : "ok");
    if (failed && error != null) {
      out.next().field("error").string(error);
    }
    out.next().field("sample_rate").number(sampleRate);
    out.next().field("data").beginObject();
    boolean first = true;
    for (int i = 0; i < size; i++) {
      if (objects[i] == PiiPolicy.DROPPED || (removed != null && removed.contains(i))) {
        continue;
      }
      if (!first) {
        out.next();
      }
      first = false;
      out.field(keys[i].name);
      writeValue(out, i);
    }
    if (system != null && !logged(SYSTEM_KEY)) {
      if (!first) {
        out.next();
      }
      out.field(SYSTEM_KEY.name);
      SystemFigures.write(out, system, ownerThread.getName(), gc);
      first = false;
    }
    if (removed != null) {
      if (!first) {
        out.next();
      }
      removed.writeEntry(out);
    }
    out.endObject().endObject();
  }

  private static final Keys.Key SYSTEM_KEY = Keys.of("system");

  /** Whether a key of this column was logged (the user's own {@code system} wins over the figures). */
  private boolean logged(Keys.Key key) {
    if ((keyMask & key.column.bit) == 0) {
      return false;
    }
    for (int i = 0; i < size; i++) {
      if (keys[i].column.sameAs(key.column)) {
        return true;
      }
    }
    return false;
  }

  private void writeValue(BodyOut out, int i) {
    switch (types[i]) {
      case T_LONG:
        out.number(prims[i]);
        break;
      case T_DOUBLE:
        out.number(Double.longBitsToDouble(prims[i]));
        break;
      case T_BOOL:
        out.bool(prims[i] != 0);
        break;
      case T_NULL:
        out.nul();
        break;
      default:
        out.value(objects[i]);
    }
  }
}
