package io.hindsight;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;
import java.util.function.Predicate;

/**
 * Configures a {@link Hindsight}. Only {@link #endpoint} is required; every other option has the
 * default shown. {@link #build()} checks everything at once and fails with a message that says
 * what to change.
 *
 * <table>
 *   <caption>Options and defaults</caption>
 *   <tr><td>{@link #serverUrl}</td><td>{@code http://localhost:7070}</td></tr>
 *   <tr><td>{@link #modelVersion}</td><td>none (the field is omitted)</td></tr>
 *   <tr><td>{@link #apiKey}</td><td>none (no Authorization header)</td></tr>
 *   <tr><td>{@link #queueCapacity}</td><td>{@value #DEFAULT_QUEUE_CAPACITY} records</td></tr>
 *   <tr><td>{@link #batchSize}</td><td>{@value #DEFAULT_BATCH_SIZE} records</td></tr>
 *   <tr><td>{@link #bodyFormat}</td><td>{@link BodyFormat#SMILE}</td></tr>
 *   <tr><td>{@link #maxBatchBytes}</td><td>4 MiB before gzip</td></tr>
 *   <tr><td>{@link #maxRecordBytes}</td><td>1 MiB (the server's default record limit)</td></tr>
 *   <tr><td>{@link #captureSystem}</td><td>off</td></tr>
 *   <tr><td>{@link #linger}</td><td>200 ms</td></tr>
 *   <tr><td>{@link #maxRequestsInFlight}</td><td>{@value #DEFAULT_MAX_REQUESTS_IN_FLIGHT}</td></tr>
 *   <tr><td>{@link #requestTimeout} / {@link #connectTimeout}</td><td>10 s / 5 s</td></tr>
 *   <tr><td>{@link #retryBackoff}</td><td>500 ms doubling up to 30 s, with jitter</td></tr>
 *   <tr><td>{@link #spoolDirectory}</td><td>none: undelivered batches wait in memory</td></tr>
 *   <tr><td>{@link #spoolMaxBytes}</td><td>256 MiB on disk, 16 MiB in memory</td></tr>
 *   <tr><td>{@link #dropPolicy}</td><td>{@link DropPolicy#DROP_NEWEST}</td></tr>
 *   <tr><td>{@link #sampleRate}</td><td>1.0 (keep everything)</td></tr>
 *   <tr><td>{@link #keepErrors}</td><td>true</td></tr>
 *   <tr><td>{@link #fullLoggingAfterDeploy}</td><td>10 minutes</td></tr>
 *   <tr><td>{@link #requestIdFromContext}</td><td>true</td></tr>
 *   <tr><td>{@link #closeTimeout} / {@link #closeOnShutdown}</td><td>5 s / true</td></tr>
 * </table>
 */
public final class HindsightBuilder {
  public static final int DEFAULT_QUEUE_CAPACITY = 32_768;
  public static final int DEFAULT_BATCH_SIZE = 500;
  public static final int DEFAULT_MAX_REQUESTS_IN_FLIGHT = 4;
  static final long DISK_SPOOL_DEFAULT = 256L << 20;
  static final long MEMORY_SPOOL_DEFAULT = 16L << 20;
  static final long MAX_BODY_BYTES = 64L << 20;
  /** The server's default record limit, {@code ingest.max-record-bytes} (DESIGN §4). */
  public static final long DEFAULT_MAX_RECORD_BYTES = 1L << 20;

  String endpoint;
  String modelVersion;
  String serverUrl = "http://localhost:7070";
  String apiKey;
  Path spoolDirectory;
  long spoolMaxBytes = -1;
  int queueCapacity = DEFAULT_QUEUE_CAPACITY;
  int batchSize = DEFAULT_BATCH_SIZE;
  BodyFormat bodyFormat = BodyFormat.SMILE;
  long maxBatchBytes = 4L << 20;
  long maxRecordBytes = DEFAULT_MAX_RECORD_BYTES;
  boolean captureSystem;
  Duration linger = Duration.ofMillis(200);
  int maxRequestsInFlight = DEFAULT_MAX_REQUESTS_IN_FLIGHT;
  Duration requestTimeout = Duration.ofSeconds(10);
  Duration connectTimeout = Duration.ofSeconds(5);
  Duration retryInitialBackoff = Duration.ofMillis(500);
  Duration retryMaxBackoff = Duration.ofSeconds(30);
  DropPolicy dropPolicy = DropPolicy.DROP_NEWEST;
  double sampleRate = 1.0;
  boolean keepErrors = true;
  final List<Predicate<PredictionRecord>> alwaysKeep = new ArrayList<>();
  Duration fullLoggingAfterDeploy = Duration.ofMinutes(10);
  Instant deployedAt;
  final Map<String, PiiPolicy> pii = new LinkedHashMap<>();
  byte[] piiSecret;
  final Map<String, String> tags = new LinkedHashMap<>();
  boolean requestIdFromContext = true;
  Duration closeTimeout = Duration.ofSeconds(5);
  boolean closeOnShutdown = true;

  // Seams for tests (package-private on purpose).
  SdkTime time = SdkTime.SYSTEM;
  boolean startWorker = true;
  Shipper.Sender sender;
  int maxOutboxBatches = 16;
  int initialKeyCapacity = 32;
  private final String instanceId = UUID.randomUUID().toString().replace("-", "").substring(0, 16);

  HindsightBuilder() {}

  /** Required: the endpoint name, {@code [a-z0-9][a-z0-9_-]{0,63}}, e.g. {@code fraud-model}. */
  public HindsightBuilder endpoint(String endpoint) {
    this.endpoint = endpoint;
    return this;
  }

  /** The model version written in every record (at most 256 characters). */
  public HindsightBuilder modelVersion(String modelVersion) {
    this.modelVersion = modelVersion;
    return this;
  }

  /** The server's base URL, {@code http://} or {@code https://}. */
  public HindsightBuilder serverUrl(String serverUrl) {
    this.serverUrl = serverUrl;
    return this;
  }

  /** An API key with the {@code write} scope, sent as {@code Authorization: Bearer <key>}. */
  public HindsightBuilder apiKey(String apiKey) {
    this.apiKey = apiKey;
    return this;
  }

  /**
   * A local directory for the disk spool, one per instance. Batches the server cannot take yet are
   * written there crash-safely and replayed in order, also by the next process that builds a
   * Hindsight on the same directory.
   */
  public HindsightBuilder spoolDirectory(Path spoolDirectory) {
    this.spoolDirectory = spoolDirectory;
    return this;
  }

  /** The most bytes the spool may hold; past it the {@link #dropPolicy} applies. */
  public HindsightBuilder spoolMaxBytes(long spoolMaxBytes) {
    this.spoolMaxBytes = spoolMaxBytes;
    return this;
  }

  /**
   * The most records waiting in memory for the worker; past it the {@link #dropPolicy} applies. The
   * default rides out about half a second of a stalled worker (a cold JIT, a GC pause, a busy host)
   * at 50,000 predictions/s, for a few tens of MB of heap at most.
   */
  public HindsightBuilder queueCapacity(int queueCapacity) {
    this.queueCapacity = queueCapacity;
    return this;
  }

  /** Records per request (1 to 10,000). */
  public HindsightBuilder batchSize(int batchSize) {
    this.batchSize = batchSize;
    return this;
  }

  /**
   * How records go on the wire: {@link BodyFormat#SMILE} (binary JSON, the default), which costs the
   * SDK's worker and the server less CPU a record and the spool fewer bytes, or {@link
   * BodyFormat#JSON}, readable on the wire and in a spool file. The server stores both alike. A
   * server from before Smile bodies answers the first Smile batch with HTTP 415: that batch and every
   * later one then go as JSON, converted just before they are sent. Batches already spooled keep the
   * format they were written in.
   */
  public HindsightBuilder bodyFormat(BodyFormat bodyFormat) {
    this.bodyFormat = bodyFormat;
    return this;
  }

  /** Uncompressed bytes per request before a batch is cut early (64 KiB to 64 MiB). */
  public HindsightBuilder maxBatchBytes(long maxBatchBytes) {
    this.maxBatchBytes = maxBatchBytes;
    return this;
  }

  /**
   * The largest record, in bytes of its {@link #bodyFormat}, the SDK sends: set it to the
   * server's {@code ingest.max-record-bytes} (1 KiB to 64 MiB), which the server measures the
   * same way. A record over it would be refused by the server, so the SDK deals with it first,
   * when it writes the record on its worker (the prediction thread pays nothing):
   *
   * <ul>
   *   <li>a prediction or feedback record is sent <b>without its largest data values</b>, as many
   *       as it takes to fit; the record lists them under the key {@code hindsight_removed} (each
   *       left-out key and the bytes its value took, e.g. {@code {"raw_text": 2097154}}), is
   *       counted in {@link KindStats#trimmed()}, and a warning names the keys;
   *   <li>a record still over the limit without any data value (huge tags, ids or error text), and
   *       an event over it, is <b>rejected</b>: counted as {@link RejectReason#RECORD_TOO_LARGE},
   *       logged, not sent.
   * </ul>
   *
   * <p>Should the server still refuse a request as a whole (413, or 400 for a body it cannot read,
   * e.g. a lower limit on the server), the SDK splits it and resends the halves until the record at
   * fault is alone; that one is rejected with the server's reason and every other record arrives.
   */
  public HindsightBuilder maxRecordBytes(long maxRecordBytes) {
    this.maxRecordBytes = maxRecordBytes;
    return this;
  }

  /**
   * Adds a {@code system} value to each prediction record: {@code host}, {@code pid}, {@code
   * thread} (the prediction thread's name), {@code heap_used_bytes}, {@code cpu_load} (this
   * process's share of the machine's CPU, 0 to 1, null where the JVM cannot tell) and {@code
   * gc_ms_since_previous} (GC time between the previous record written and this one). The JVM
   * figures are cached and read again at most every 100 ms, so the prediction thread pays one
   * volatile read. A key {@code system} the model logs itself takes precedence.
   */
  public HindsightBuilder captureSystem() {
    this.captureSystem = true;
    return this;
  }

  /** How long the first record of a batch may wait for more before the batch is sent. */
  public HindsightBuilder linger(Duration linger) {
    this.linger = linger;
    return this;
  }

  /**
   * Requests sent at once while the server answers well (1 to 16), so a busy service is not held
   * to one batch per round trip. Batches are sent in order; while retrying after a failure they go
   * one at a time. 1 makes the server store batches strictly in the order they were cut.
   */
  public HindsightBuilder maxRequestsInFlight(int maxRequestsInFlight) {
    this.maxRequestsInFlight = maxRequestsInFlight;
    return this;
  }

  /** Time a request may take before it counts as failed and is retried. */
  public HindsightBuilder requestTimeout(Duration requestTimeout) {
    this.requestTimeout = requestTimeout;
    return this;
  }

  /** Time to open a connection. */
  public HindsightBuilder connectTimeout(Duration connectTimeout) {
    this.connectTimeout = connectTimeout;
    return this;
  }

  /** Backoff between failed attempts: starts at {@code initial}, doubles, capped at {@code max}, jittered. */
  public HindsightBuilder retryBackoff(Duration initial, Duration max) {
    this.retryInitialBackoff = initial;
    this.retryMaxBackoff = max;
    return this;
  }

  /** What to drop when queue or spool is full. */
  public HindsightBuilder dropPolicy(DropPolicy dropPolicy) {
    this.dropPolicy = dropPolicy;
    return this;
  }

  /** The base sampling rate in [0, 1], decided from the prediction id ({@link Sampling}). */
  public HindsightBuilder sampleRate(double sampleRate) {
    this.sampleRate = sampleRate;
    return this;
  }

  /**
   * Keeps every finished prediction this predicate accepts, whatever the base rate, with {@code
   * sample_rate=1.0}; e.g. {@code r -> Math.abs(r.getDouble("score") - 0.5) < 0.1}. It runs on the
   * prediction thread at close; keep it cheap. A predicate that throws counts as false.
   */
  public HindsightBuilder alwaysKeep(Predicate<PredictionRecord> predicate) {
    if (predicate == null) {
      throw new IllegalArgumentException("alwaysKeep needs a predicate");
    }
    this.alwaysKeep.add(predicate);
    return this;
  }

  /** Whether predictions with {@code status=error} are always kept. */
  public HindsightBuilder keepErrors(boolean keepErrors) {
    this.keepErrors = keepErrors;
    return this;
  }

  /** How long everything is logged after a deploy event. */
  public HindsightBuilder fullLoggingAfterDeploy(Duration period) {
    this.fullLoggingAfterDeploy = period;
    return this;
  }

  /** Marks a deploy at this time (e.g. the process start), opening the full-logging window. */
  public HindsightBuilder deployedAt(Instant deployedAt) {
    this.deployedAt = deployedAt;
    return this;
  }

  /** A PII policy for a key (matched case-insensitively), applied before the value leaves the process. */
  public HindsightBuilder pii(String key, PiiPolicy policy) {
    String problem = Keys.problem(key);
    if (problem != null) {
      throw new IllegalArgumentException("pii(" + key + "): " + problem);
    }
    if (policy == null) {
      throw new IllegalArgumentException("pii(" + key + ") needs a policy, e.g. PiiPolicy.pseudonymize()");
    }
    this.pii.put(key.toLowerCase(Locale.ROOT), policy);
    return this;
  }

  /** The secret key of {@link PiiPolicy#pseudonymize()}; at least 16 bytes. Keep it out of the code. */
  public HindsightBuilder piiSecret(byte[] secret) {
    this.piiSecret = secret == null ? null : secret.clone();
    return this;
  }

  /** The secret as text (UTF-8), e.g. from an environment variable. */
  public HindsightBuilder piiSecret(String secret) {
    return piiSecret(secret == null ? null : secret.getBytes(StandardCharsets.UTF_8));
  }

  /** A tag added to every prediction, e.g. {@code tag("env", "prod")}. */
  public HindsightBuilder tag(String key, String value) {
    Ids.checkLabel("tag key", key);
    Ids.checkLabel("value of tag '" + key + "'", value);
    this.tags.put(key, value);
    return this;
  }

  /** Whether to take {@code request_id} from OpenTelemetry or the SLF4J MDC when not set. */
  public HindsightBuilder requestIdFromContext(boolean enabled) {
    this.requestIdFromContext = enabled;
    return this;
  }

  /** How long {@link Hindsight#close()} and the shutdown hook may take. */
  public HindsightBuilder closeTimeout(Duration closeTimeout) {
    this.closeTimeout = closeTimeout;
    return this;
  }

  /** Whether a JVM shutdown hook closes the instance (spooling what is undelivered). */
  public HindsightBuilder closeOnShutdown(boolean closeOnShutdown) {
    this.closeOnShutdown = closeOnShutdown;
    return this;
  }

  HindsightBuilder time(SdkTime time) {
    this.time = time;
    return this;
  }

  HindsightBuilder startWorker(boolean startWorker) {
    this.startWorker = startWorker;
    return this;
  }

  HindsightBuilder sender(Shipper.Sender sender) {
    this.sender = sender;
    return this;
  }

  HindsightBuilder maxOutboxBatches(int n) {
    this.maxOutboxBatches = n;
    return this;
  }

  long spoolMaxBytes() {
    if (spoolMaxBytes > 0) {
      return spoolMaxBytes;
    }
    return spoolDirectory != null ? DISK_SPOOL_DEFAULT : MEMORY_SPOOL_DEFAULT;
  }

  String batchKeyPrefix() {
    return "hs-" + instanceId;
  }

  /**
   * Checks the configuration and starts the instance (its worker, and the replay of a spool left by
   * an earlier run).
   *
   * @throws IllegalArgumentException naming the first wrong option and how to fix it
   */
  public Hindsight build() {
    validate(true);
    return new Hindsight(this, null);
  }

  /**
   * An in-memory instance with this configuration (sampling, PII, tags) for unit tests; nothing is
   * sent. See {@link Hindsight#localContext()}.
   */
  public LocalContext buildLocal() {
    validate(false);
    closeOnShutdown = false;
    return new LocalContext(this);
  }

  private void validate(boolean shipping) {
    if (endpoint == null) {
      throw new IllegalArgumentException(
          "endpoint is required: call .endpoint(\"fraud-model\") with the name of the model"
              + " deployment");
    }
    if (!validEndpoint(endpoint)) {
      throw new IllegalArgumentException(
          "endpoint '" + endpoint + "' is not a valid endpoint name; use 1 to 64 characters of"
              + " a-z, 0-9, '_' and '-', starting with a letter or digit ([a-z0-9][a-z0-9_-]{0,63}),"
              + " e.g. \"" + suggestEndpoint(endpoint) + "\"");
    }
    if (modelVersion != null) {
      Ids.checkLabel("modelVersion", modelVersion);
    }
    if (shipping) {
      URI uri;
      try {
        uri = serverUrl == null ? null : URI.create(serverUrl);
      } catch (IllegalArgumentException e) {
        uri = null;
      }
      if (uri == null
          || uri.getHost() == null
          || !("http".equalsIgnoreCase(uri.getScheme()) || "https".equalsIgnoreCase(uri.getScheme()))) {
        throw new IllegalArgumentException(
            "serverUrl '" + serverUrl + "' is not an http(s) URL with a host; use e.g."
                + " \"http://localhost:7070\"");
      }
      if (apiKey != null && (apiKey.isBlank() || !apiKey.chars().allMatch(c -> c > 0x20 && c < 0x7f))) {
        throw new IllegalArgumentException(
            "apiKey must be printable ASCII without spaces; check for a trailing newline from the"
                + " file or variable it was read from");
      }
    }
    if (bodyFormat == null) {
      throw new IllegalArgumentException("bodyFormat must be BodyFormat.JSON or BodyFormat.SMILE, not null");
    }
    positive("queueCapacity", queueCapacity);
    if (batchSize < 1 || batchSize > 10_000) {
      throw new IllegalArgumentException("batchSize must be between 1 and 10,000, got " + batchSize);
    }
    if (queueCapacity < batchSize) {
      throw new IllegalArgumentException(
          "queueCapacity (" + queueCapacity + ") must be at least batchSize (" + batchSize
              + "); raise queueCapacity or lower batchSize");
    }
    if (maxBatchBytes < (64 << 10) || maxBatchBytes > MAX_BODY_BYTES) {
      throw new IllegalArgumentException(
          "maxBatchBytes must be between 64 KiB and 64 MiB (the server's body limit), got " + maxBatchBytes);
    }
    if (maxRecordBytes < (1 << 10) || maxRecordBytes > MAX_BODY_BYTES) {
      throw new IllegalArgumentException(
          "maxRecordBytes must be between 1 KiB and 64 MiB; set it to the server's"
              + " ingest.max-record-bytes (default 1 MiB), got " + maxRecordBytes);
    }
    nonNegative("linger", linger);
    if (maxRequestsInFlight < 1 || maxRequestsInFlight > 16) {
      throw new IllegalArgumentException(
          "maxRequestsInFlight must be between 1 and 16, got " + maxRequestsInFlight);
    }
    positive("requestTimeout", requestTimeout);
    positive("connectTimeout", connectTimeout);
    positive("retryBackoff initial", retryInitialBackoff);
    positive("retryBackoff max", retryMaxBackoff);
    if (retryMaxBackoff.compareTo(retryInitialBackoff) < 0) {
      throw new IllegalArgumentException("retryBackoff: max must be at least initial");
    }
    if (spoolMaxBytes != -1 && spoolMaxBytes < (1 << 20)) {
      throw new IllegalArgumentException("spoolMaxBytes must be at least 1 MiB, got " + spoolMaxBytes);
    }
    if (dropPolicy == null) {
      throw new IllegalArgumentException("dropPolicy must not be null; use DropPolicy.DROP_NEWEST");
    }
    if (!(sampleRate >= 0.0 && sampleRate <= 1.0)) {
      throw new IllegalArgumentException(
          "sampleRate must be between 0.0 and 1.0 (e.g. 0.1 keeps one prediction in ten), got " + sampleRate);
    }
    nonNegative("fullLoggingAfterDeploy", fullLoggingAfterDeploy);
    positive("closeTimeout", closeTimeout);
    boolean needsSecret = pii.values().stream().anyMatch(p -> p.kind == PiiPolicy.Kind.PSEUDONYMIZE);
    if (needsSecret && (piiSecret == null || piiSecret.length < 16)) {
      throw new IllegalArgumentException(
          "PiiPolicy.pseudonymize() needs a secret of at least 16 bytes: call"
              + " .piiSecret(System.getenv(\"HINDSIGHT_PII_SECRET\")) with a random value kept out of"
              + " the code; the same secret must be used everywhere pseudonyms are joined");
    }
    if (maxOutboxBatches < 1 || initialKeyCapacity < 1 || time == null) {
      throw new IllegalArgumentException("internal settings are out of range");
    }
  }

  static boolean validEndpoint(String e) {
    int n = e.length();
    if (n < 1 || n > 64) {
      return false;
    }
    for (int i = 0; i < n; i++) {
      char c = e.charAt(i);
      boolean ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || (i > 0 && (c == '_' || c == '-'));
      if (!ok) {
        return false;
      }
    }
    return true;
  }

  private static String suggestEndpoint(String e) {
    StringBuilder sb = new StringBuilder();
    for (char c : e.toLowerCase(Locale.ROOT).toCharArray()) {
      if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) {
        sb.append(c);
      } else if (sb.length() > 0 && sb.charAt(sb.length() - 1) != '-') {
        sb.append('-');
      }
      if (sb.length() == 64) {
        break;
      }
    }
    String s = sb.toString().replaceAll("-+$", "");
    return s.isEmpty() ? "my-model" : s;
  }

  private static void positive(String name, int v) {
    if (v < 1) {
      throw new IllegalArgumentException(name + " must be positive, got " + v);
    }
  }

  private static void positive(String name, Duration d) {
    if (d == null || d.isNegative() || d.isZero()) {
      throw new IllegalArgumentException(name + " must be a positive duration, got " + d);
    }
  }

  private static void nonNegative(String name, Duration d) {
    if (d == null || d.isNegative()) {
      throw new IllegalArgumentException(name + " must be zero or positive, got " + d);
    }
  }
}
