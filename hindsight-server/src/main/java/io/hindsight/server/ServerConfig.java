package io.hindsight.server;

import com.fasterxml.jackson.annotation.JsonAutoDetect;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.exc.InvalidFormatException;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import com.fasterxml.jackson.databind.module.SimpleModule;
import com.fasterxml.jackson.databind.ser.std.ToStringSerializer;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.hindsight.server.ingest.IngestLimits;
import io.hindsight.server.lake.CompactionPolicy;
import io.hindsight.server.lake.ParquetEncoder;
import io.hindsight.server.query.QueryLimits;
import io.hindsight.server.retention.DataKind;
import io.hindsight.server.retention.RetentionPolicy;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

/**
 * Everything that can be configured, with its default. Read from a YAML file whose keys are the
 * kebab-case field names (e.g. {@code ingest: {max-body-bytes: 1048576}}); an unknown key is an
 * error, so a typo never silently keeps a default.
 */
public final class ServerConfig {
  public Path dataDir = Path.of("hindsight-data");
  public String host = "127.0.0.1";
  /** 0 picks a free port. */
  public int port = 7070;
  public Ingest ingest = new Ingest();
  public Wal wal = new Wal();
  public Lake lake = new Lake();
  public Query query = new Query();
  public Auth auth = new Auth();
  public Tls tls = new Tls();
  public Http http = new Http();
  public Monitoring monitoring = new Monitoring();
  public Alerts alerts = new Alerts();
  public Retention retention = new Retention();
  public Audit audit = new Audit();
  /**
   * How long stopping (SIGTERM) takes at most: in-flight requests are answered for up to 40 % of
   * it, the lake writer writes what it can in the rest, and what it did not write stays in the
   * write-ahead log for the next start. Below Kubernetes' default grace period of 30 s.
   */
  public Duration shutdownTimeout = Duration.ofSeconds(5);
  public Media media = new Media();
  public Imports imports = new Imports();
  public Backup backup = new Backup();
  /** What this process does when the work is spread over several (DESIGN §14); {@code all}: everything. */
  public Role role = Role.ALL;
  public Transport transport = new Transport();

  /**
   * How accepted records travel from ingest to the lake writer (DESIGN §14): {@code wal} (the
   * default) is the write-ahead log of one process; {@code kafka} lets ingest nodes answer once
   * Kafka acknowledged the records and writers consume them as a group.
   */
  public static final class Transport {
    /** {@code wal} or {@code kafka}. */
    public String type = "wal";
    /** The brokers, {@code host:port,host:port}; required with {@code kafka}. */
    public String bootstrapServers;
    /** The entries topic; schema changes use {@code <topic>.schemas}. Created when missing. */
    public String topic = "hindsight-entries";
    /** Partitions the entries topic gets when the server creates it; do not change it afterwards. */
    public int partitions = 12;
    /** Replicas of the topics the server creates; -1 takes the brokers' default. */
    public int replicationFactor = -1;
    /** The lake writers' consumer group. */
    public String group = "hindsight-writers";
    /** How long a start waits for Kafka (its topics, the schema catalog) before it fails naming the brokers. */
    public Duration startTimeout = Duration.ofSeconds(30);
    /** How long ingest waits for Kafka to acknowledge records before answering 503 with Retry-After. */
    public Duration ackTimeout = Duration.ofSeconds(10);
    /** The largest request (its accepted records, encoded) one Kafka record carries; larger is 413. */
    public int maxEntryBytes = 1 << 20;
    /**
     * How long after a request with an Idempotency-Key the writers drop a retry of it that another
     * ingest node accepted again (each node remembers its own answers for ingest.idempotency-ttl).
     * A writer taking over a partition reads this much of it again for the keys alone.
     */
    public Duration idempotencyWindow = Duration.ofMinutes(15);
    /** Further Kafka client properties (e.g. {@code security.protocol}, SASL settings), passed as they are. */
    public java.util.Map<String, String> client = new java.util.LinkedHashMap<>();

    public boolean kafka() {
      return "kafka".equals(type);
    }
  }

  /** The Kafka settings, for the transport; call after {@link #validate}. */
  public io.hindsight.server.transport.TransportSettings transportSettings() {
    return new io.hindsight.server.transport.TransportSettings(
        transport.bootstrapServers, transport.topic, transport.partitions, transport.replicationFactor, transport.group,
        transport.startTimeout, transport.ackTimeout, transport.maxEntryBytes, transport.idempotencyWindow, transport.client);
  }

  public static final class Backup {
    /** The S3-compatible store that {@code s3://} backup destinations are written to. */
    public S3 s3 = new S3();
  }

  /**
   * Deadlines that keep slow clients from holding connections, threads and ingest slots (DESIGN
   * §8): a client that sends its request slower than these is cut off, whatever it sends.
   */
  /** Server-side imports ({@code POST /v1/jobs/imports}, DESIGN §14). */
  public static final class Imports {
    /** Local folders server-side imports may read; none by default (then only s3:// sources). */
    public java.util.List<Path> roots = new java.util.ArrayList<>();
    /** The S3-compatible store s3:// sources are read from. */
    public S3 s3 = new S3();
  }

  /** How to reach an S3-compatible store; credentials: both keys, or neither for the AWS default chain. */
  public static final class S3 {
    /** The store's URL; unset for AWS S3. */
    public String endpoint;
    public String region;
    public boolean pathStyle;
    public String accessKey;
    /** Read from the file, never printed. */
    @com.fasterxml.jackson.annotation.JsonProperty(access = com.fasterxml.jackson.annotation.JsonProperty.Access.WRITE_ONLY)
    public String secretKey;

    public io.hindsight.server.objects.S3Settings settings() {
      return new io.hindsight.server.objects.S3Settings(
          endpoint == null ? null : java.net.URI.create(endpoint), region, pathStyle, accessKey, secretKey);
    }
  }

  public static final class Http {
    /** Time to send a request's line and headers; a slower connection is closed. */
    public Duration headerTimeout = Duration.ofSeconds(10);
    /** Time to send a whole request body, from the start of its handling; then 408. */
    public Duration bodyTimeout = Duration.ofSeconds(60);
    /** Slowest rate a body may arrive at, measured from its first byte; slower is 408. */
    public long minBodyBytesPerSecond = 1024;
  }

  /** API keys (DESIGN §4 Auth). Keys also live in {@code <data-dir>/auth/keys.json}. */
  public static final class Auth {
    /** Key entries as {@code hindsight keys create --print-config} shows them (no secrets). */
    public java.util.List<java.util.Map<String, Object>> keys = new java.util.ArrayList<>();
    /** How often a running server looks for changes to {@code auth/keys.json}; zero: on every request. */
    public Duration reloadInterval = Duration.ofMillis(500);
  }

  /** Monitoring (DESIGN §10). */
  public static final class Monitoring {
    /**
     * Endpoint monitoring configs by endpoint, the same objects as {@code PUT
     * /v1/endpoints/{e}/monitoring} takes. An endpoint configured here cannot be changed through
     * the API: the file stays the one truth for it.
     */
    public java.util.Map<String, java.util.Map<String, Object>> endpoints = new java.util.LinkedHashMap<>();
    /** How often the metric store recomputes open and touched windows (DESIGN §10: at least once a minute). */
    public Duration refreshInterval = Duration.ofMinutes(1);
  }

  /** Audit trails (DESIGN §12). */
  public static final class Audit {
    /**
     * Audit settings by endpoint, the same objects as {@code PUT /v1/endpoints/{e}/audit} takes
     * ({@code {"enabled": true, "retain_min": "P25M"}}); an endpoint set here cannot be changed
     * through the API.
     */
    public java.util.Map<String, java.util.Map<String, Object>> endpoints = new java.util.LinkedHashMap<>();
    /** How often each audit log that grew gets a signed checkpoint (DESIGN §12: at least every 10 s). */
    public Duration checkpointInterval = Duration.ofSeconds(10);
  }

  /** Alerts (DESIGN §11). */
  public static final class Alerts {
    /** Alert rules by name, as {@code PUT /v1/alerts/rules/{name}} takes them; put at every start. */
    public java.util.Map<String, java.util.Map<String, Object>> rules = new java.util.LinkedHashMap<>();
    /** Notifiers by name, as {@code PUT /v1/alerts/notifiers/{name}} takes them; put at every start. */
    public java.util.Map<String, java.util.Map<String, Object>> notifiers = new java.util.LinkedHashMap<>();
    /** This server's address as people reach it, for the links in alerts; default http://host:port. */
    public String externalUrl;
  }

  /** Retention (DESIGN §12): how long each endpoint keeps each kind of data; unset kinds are kept forever. */
  public static final class Retention {
    /** Periods by endpoint, e.g. {@code fraud-model: {predictions: P400D, metrics: P5Y}}. */
    public java.util.Map<String, RetentionPeriods> endpoints = new java.util.LinkedHashMap<>();
    /** How often expired data is looked for and deleted. */
    public Duration interval = Duration.ofDays(1);
  }

  /** An endpoint's periods, ISO-8601 ({@code P400D}, {@code P25M}, {@code P7Y}); an unset kind is kept forever. */
  public static final class RetentionPeriods {
    public String predictions;
    public String feedback;
    public String events;
    /** The metric store's figures, which may outlive the raw data. */
    public String metrics;

    java.util.Map<DataKind, String> byKind() {
      java.util.Map<DataKind, String> out = new java.util.EnumMap<>(DataKind.class);
      out.put(DataKind.PREDICTIONS, predictions);
      out.put(DataKind.FEEDBACK, feedback);
      out.put(DataKind.EVENTS, events);
      out.put(DataKind.METRICS, metrics);
      out.values().removeIf(java.util.Objects::isNull);
      return out;
    }
  }

  /** The retention periods, parsed; call after {@link #validate}. */
  public RetentionPolicy retentionPolicy() {
    java.util.Map<String, java.util.Map<DataKind, java.time.Period>> periods = new java.util.LinkedHashMap<>();
    retention.endpoints.forEach(
        (endpoint, p) -> {
          java.util.Map<DataKind, java.time.Period> kinds = new java.util.EnumMap<>(DataKind.class);
          p.byKind().forEach((kind, text) -> kinds.put(kind, java.time.Period.parse(text)));
          periods.put(endpoint, kinds);
        });
    return new RetentionPolicy(periods, retention.interval);
  }

  /** Media references (DESIGN §14 "Media"): where {@code GET /v1/media} may fetch the files they point at. */
  public static final class Media {
    /**
     * Local folders (absolute paths or {@code file:///} URIs) and S3 prefixes ({@code
     * s3://bucket/prefix}) media is served from; nothing outside them is ever fetched. Empty (the
     * default): no media is served.
     */
    public java.util.List<String> roots = new java.util.ArrayList<>();
    /** The largest media file served; a larger one is answered 413. */
    public long maxBytes = io.hindsight.server.media.MediaSettings.DEFAULT_MAX_BYTES;
    /** The S3-compatible store {@code s3://} roots are read from. */
    public S3 s3 = new S3();
  }

  /** The media settings, for the media library; call after {@link #validate}. */
  public io.hindsight.server.media.MediaSettings mediaSettings() {
    return new io.hindsight.server.media.MediaSettings(media.roots, media.maxBytes, media.s3.settings());
  }

  /** HTTPS: either {@code cert} and {@code key} (PEM, PKCS#8 key) or a {@code keystore}. */
  public static final class Tls {
    public Path cert;
    public Path key;
    public Path keystore;
    /** Read from the file, never printed. */
    @com.fasterxml.jackson.annotation.JsonProperty(access = com.fasterxml.jackson.annotation.JsonProperty.Access.WRITE_ONLY)
    public String keystorePassword;

    public boolean enabled() {
      return keystore != null || cert != null;
    }
  }

  /** Limits of DESIGN §4 and idempotency. */
  public static final class Ingest {
    public long maxBodyBytes = IngestLimits.DEFAULTS.maxBodyBytes();
    public int maxRecordBytes = IngestLimits.DEFAULTS.maxRecordBytes();
    public int maxDepth = IngestLimits.DEFAULTS.maxDepth();
    public int maxKeys = IngestLimits.DEFAULTS.maxKeys();
    /** User columns one endpoint may have in one table; records adding more are rejected. */
    public int maxColumnsPerEndpoint = IngestLimits.DEFAULTS.maxColumnsPerEndpoint();
    /** Columns one request may add; records adding more are rejected. */
    public int maxNewColumnsPerRequest = IngestLimits.DEFAULTS.maxNewColumnsPerRequest();
    /** How long a retried Idempotency-Key gets the first answer. */
    public Duration idempotencyTtl = Duration.ofHours(24);
    /** Keys remembered at most; the oldest are evicted past it (counted). */
    public int idempotencyMaxKeys = 1_000_000;
    /**
     * Bytes of acknowledged rows held in memory for the lake writer above which ingest waits, then
     * answers 503 (default: a quarter of the JVM's maximum heap); each row counts its encoded bytes
     * and 64 bytes of bookkeeping.
     */
    public long maxLakeBacklogBytes = Runtime.getRuntime().maxMemory() / 4;
    /**
     * Heap all ingest requests being handled may hold together for what they read; past it a
     * request waits briefly, then is answered 503 with Retry-After, and one that alone needs more
     * is answered 413 (default: a quarter of the JVM's maximum heap).
     */
    public long maxInFlightBytes = Runtime.getRuntime().maxMemory() / 4;
    /** A gzip body may expand at most this many times; a zip bomb is refused, not inflated. */
    public int maxGzipRatio = 200;
    /** Ingest requests handled at once; more are answered 503 with Retry-After. */
    public int maxConcurrentRequests = 64;
    /**
     * Bytes of an ingest body received before the request takes one of those slots (default 256
     * KiB): a slow client waits for its own body without holding a slot others need.
     */
    public int readAheadBytes = 256 * 1024;
  }

  /** The write-ahead log. */
  public static final class Wal {
    public long segmentBytes = 64L << 20;
    /** Requests waiting for the log thread; more block, pushing back on clients. */
    public int queueCapacity = 4096;
    /**
     * Room on the data folder's disk that records never take: when a request would leave less,
     * it is answered 503 and the lake writer keeps the room to write the log into the lake (a
     * fraction of its size), after which the log's segments are deleted and records are taken
     * again. 0 lets records fill the disk.
     */
    public long minFreeBytes = 64L << 20;
  }

  /** The Parquet lake. */
  public static final class Lake {
    /**
     * How often logged rows are written to Parquet (freshness against file count). SQL on this node
     * sees a record at once either way; a follower of the lake sees it once its file is written.
     */
    public Duration flushInterval = Duration.ofMillis(250);
    /**
     * How rows reach DuckDB's Parquet writer: {@code arrow} (the default; a JVM without {@code
     * --add-opens java.base/java.nio=ALL-UNNAMED} falls back, with a warning) or {@code appender}.
     */
    public ParquetEncoder encoder = ParquetEncoder.ARROW;
    /** How often partitions with many small files are merged. */
    public Duration compactionInterval = Duration.ofSeconds(10);
    /** A partition is compacted once it has this many small files. */
    public int compactionMinFiles = 8;
    /** Files smaller than this are merged together, up to {@link #compactionTargetBytes}. */
    public long compactionSmallFileBytes = 32L << 20;
    public long compactionTargetBytes = 256L << 20;
    /**
     * The lake of record on S3-compatible storage ({@code s3://bucket/prefix}, DESIGN §14); unset:
     * the lake is the data folder's {@code lake/} alone. With it, that folder is the working copy
     * and query cache, and every file is in the store before it counts as written.
     */
    public String uri;
    /** The store {@code uri} names. */
    public S3 s3 = new S3();
    /**
     * This node never writes the lake: it keeps its local copy in step with {@code uri} every
     * {@link #followInterval} and answers queries from it (query and monitor nodes).
     */
    public boolean follow;
    /** How often a following node lists the store for new and deleted files. */
    public Duration followInterval = Duration.ofSeconds(5);
  }

  /** SQL queries. */
  public static final class Query {
    public Duration timeout = QueryLimits.DEFAULTS.timeout();
    public int defaultRows = QueryLimits.DEFAULTS.defaultRows();
    public int maxRows = QueryLimits.DEFAULTS.maxRows();
    public String memoryLimit = QueryLimits.DEFAULTS.memoryLimit();
    public int connections = QueryLimits.DEFAULTS.connections();
    /** Largest {@code POST /v1/query} body; a larger one is refused with 413. */
    public long maxBodyBytes = 1 << 20;
    /** Java heap of each query worker process, as for {@code -Xmx} (default 256m). */
    public String workerHeap = QueryLimits.DEFAULTS.workerHeap();
    /**
     * Spill files each DuckDB instance (query workers, lake writer, compaction) may keep under
     * {@code <data-dir>/tmp}, as DuckDB writes sizes (default 4GB).
     */
    public String maxTempSize = QueryLimits.DEFAULTS.maxTempSize();
    /** Threads of the server's own DuckDB; 0: one per core (see {@link QueryLimits#serverThreads}). */
    public int serverThreads = QueryLimits.DEFAULTS.serverThreads();
    /**
     * Threads of each DuckDB that runs background work (metric store refreshes, the lookup index's
     * build, file merges); 0: half the cores, at least one (see {@link QueryLimits#backgroundThreads}).
     */
    public int backgroundThreads = QueryLimits.DEFAULTS.backgroundThreads();
    /**
     * Memory the lookup index may take (default 512 MiB, ~290M ids at 1.8 MB per million); files
     * beyond it are read whole by every lookup of their partitions.
     */
    public long lookupIndexMaxBytes = 512L << 20;
  }

  public IngestLimits ingestLimits() {
    return new IngestLimits(
        ingest.maxBodyBytes,
        ingest.maxRecordBytes,
        ingest.maxDepth,
        ingest.maxKeys,
        ingest.maxColumnsPerEndpoint,
        ingest.maxNewColumnsPerRequest);
  }

  /**
   * Whether this node keeps a copy of a lake that others write: {@code lake.follow}, or a query or
   * monitor node over an object store (those roles never write the lake).
   */
  public boolean followsLake() {
    return lake.uri != null && (lake.follow || role == Role.QUERY || role == Role.MONITOR);
  }

  public CompactionPolicy compactionPolicy() {
    return new CompactionPolicy(
        lake.compactionMinFiles, lake.compactionSmallFileBytes, lake.compactionTargetBytes);
  }

  public QueryLimits queryLimits() {
    return new QueryLimits(
        query.timeout,
        query.defaultRows,
        query.maxRows,
        query.memoryLimit,
        query.connections,
        query.workerHeap,
        query.maxTempSize,
        query.serverThreads,
        query.backgroundThreads);
  }

  /**
   * Checks every setting against its allowed range and names each one that is out of it, with its
   * key and value, so a mistake stops the start with a message instead of a server that misbehaves.
   *
   * @throws IllegalArgumentException listing every setting that is out of range
   */
  public ServerConfig validate() {
    Problems p = new Problems();
    p.require(dataDir != null, "data-dir", dataDir, "a folder path");
    p.require(host != null && !host.isBlank(), "host", host, "an address such as 127.0.0.1 or 0.0.0.0");
    p.range("port", port, 0, 65_535);
    p.range("shutdown-timeout", shutdownTimeout, Duration.ofMillis(100), Duration.ofHours(1));
    p.range("ingest.max-body-bytes", ingest.maxBodyBytes, 1024, Integer.MAX_VALUE);
    p.range("ingest.max-record-bytes", ingest.maxRecordBytes, 64, Integer.MAX_VALUE);
    p.range("ingest.max-depth", ingest.maxDepth, 2, 1_000);
    p.range("ingest.max-keys", ingest.maxKeys, 1, 100_000);
    p.range("ingest.idempotency-ttl", ingest.idempotencyTtl, Duration.ofSeconds(1), Duration.ofDays(365));
    p.range("ingest.idempotency-max-keys", ingest.idempotencyMaxKeys, 1, 100_000_000);
    p.range("ingest.max-lake-backlog-bytes", ingest.maxLakeBacklogBytes, 1, Long.MAX_VALUE);
    p.range("ingest.max-gzip-ratio", ingest.maxGzipRatio, 1, 100_000);
    p.range("ingest.max-concurrent-requests", ingest.maxConcurrentRequests, 1, 100_000);
    p.range("ingest.read-ahead-bytes", ingest.readAheadBytes, 0, 64L << 20);
    p.range("ingest.max-columns-per-endpoint", ingest.maxColumnsPerEndpoint, 1, 100_000);
    p.range("ingest.max-new-columns-per-request", ingest.maxNewColumnsPerRequest, 1, 100_000);
    p.range("ingest.max-in-flight-bytes", ingest.maxInFlightBytes, 1 << 20, Long.MAX_VALUE);
    p.range("http.header-timeout", http.headerTimeout, Duration.ofMillis(100), Duration.ofHours(1));
    p.range("http.body-timeout", http.bodyTimeout, Duration.ofMillis(100), Duration.ofDays(1));
    p.range("http.min-body-bytes-per-second", http.minBodyBytesPerSecond, 0, 1L << 40);
    p.range("auth.reload-interval", auth.reloadInterval, Duration.ZERO, Duration.ofHours(1));
    p.range("wal.segment-bytes", wal.segmentBytes, 64 * 1024, 1L << 40);
    p.range("wal.queue-capacity", wal.queueCapacity, 1, 1_000_000);
    p.range("wal.min-free-bytes", wal.minFreeBytes, 0, Long.MAX_VALUE);
    p.range("lake.flush-interval", lake.flushInterval, Duration.ofMillis(10), Duration.ofDays(1));
    p.range("monitoring.refresh-interval", monitoring.refreshInterval, Duration.ofSeconds(1), Duration.ofHours(1));
    p.range("audit.checkpoint-interval", audit.checkpointInterval, Duration.ofMillis(10), Duration.ofSeconds(10));
    p.require(lake.encoder != null, "lake.encoder", lake.encoder, "arrow or appender");
    p.range("lake.compaction-interval", lake.compactionInterval, Duration.ofMillis(10), Duration.ofDays(1));
    p.range("lake.compaction-min-files", lake.compactionMinFiles, 2, 100_000);
    p.range("lake.compaction-small-file-bytes", lake.compactionSmallFileBytes, 1, Long.MAX_VALUE);
    p.range("lake.compaction-target-bytes", lake.compactionTargetBytes, lake.compactionSmallFileBytes, Long.MAX_VALUE);
    p.range("query.timeout", query.timeout, Duration.ofMillis(100), Duration.ofDays(1));
    p.range("query.max-rows", query.maxRows, 1, Integer.MAX_VALUE);
    p.range("query.default-rows", query.defaultRows, 0, query.maxRows);
    p.range("query.connections", query.connections, 1, 256);
    p.range("query.server-threads", query.serverThreads, 0, 1024);
    p.range("query.background-threads", query.backgroundThreads, 0, 1024);
    p.range("query.max-body-bytes", query.maxBodyBytes, 64, Integer.MAX_VALUE);
    p.range("query.lookup-index-max-bytes", query.lookupIndexMaxBytes, 0, Long.MAX_VALUE);
    p.require(
        query.workerHeap != null && query.workerHeap.matches("[1-9][0-9]*[kKmMgG]?"),
        "query.worker-heap",
        query.workerHeap,
        "a Java heap size such as 256m or 1g");
    p.require(
        query.maxTempSize != null && query.maxTempSize.matches(SIZE),
        "query.max-temp-size",
        query.maxTempSize,
        "a size such as 512MB or 4GB");
    p.require(
        query.memoryLimit != null && query.memoryLimit.matches(SIZE),
        "query.memory-limit",
        query.memoryLimit,
        "a size such as 512MB or 4GB");
    p.require(
        tls.keystore == null || tls.cert == null,
        "tls",
        "both keystore and cert",
        "either cert and key (PEM) or a keystore, not both");
    p.require(tls.cert == null || tls.key != null, "tls.key", null, "the PEM key of tls.cert");
    p.range("retention.interval", retention.interval, Duration.ofMinutes(1), Duration.ofDays(31));
    retention.endpoints.forEach(
        (endpoint, periods) -> {
          p.require(
              endpoint.matches("[a-z0-9][a-z0-9_-]{0,63}"),
              "retention.endpoints",
              "'" + endpoint + "'",
              "keyed by endpoint names (1 to 64 lower-case letters, digits, '_' or '-')");
          periods.byKind().forEach((kind, text) -> p.period("retention.endpoints." + endpoint + "." + kind.publicName(), text));
        });
    p.range("media.max-bytes", media.maxBytes, 1, 1L << 40);
    p.require(media.roots != null && media.roots.stream().allMatch(java.util.Objects::nonNull), "media.roots", media.roots, "a list of folders and s3:// prefixes");
    p.require(
        (media.s3.accessKey == null) == (media.s3.secretKey == null),
        "media.s3",
        media.s3.accessKey == null ? "a secret-key without an access-key" : "an access-key without a secret-key",
        "both access-key and secret-key, or neither (then the AWS default credential chain is used)");
    p.require(media.s3.endpoint == null || media.s3.endpoint.matches("https?://[^\\s/]+(/\\S*)?"), "media.s3.endpoint", media.s3.endpoint, "the store's http(s) URL");
    p.require(lake.uri == null || io.hindsight.server.objects.S3Location.isS3(lake.uri), "lake.uri", lake.uri, "an S3 prefix such as s3://bucket/prefix");
    p.require(!lake.follow || lake.uri != null, "lake.follow", lake.follow, "false unless lake.uri names the store to follow");
    p.range("lake.follow-interval", lake.followInterval, Duration.ofMillis(10), Duration.ofHours(1));
    p.require(
        (lake.s3.accessKey == null) == (lake.s3.secretKey == null),
        "lake.s3",
        lake.s3.accessKey == null ? "a secret-key without an access-key" : "an access-key without a secret-key",
        "both access-key and secret-key, or neither (then the AWS default credential chain is used)");
    p.require(lake.s3.endpoint == null || lake.s3.endpoint.matches("https?://[^\\s/]+(/\\S*)?"), "lake.s3.endpoint", lake.s3.endpoint, "the store's http(s) URL");
    p.require(role != null, "role", role, "one of all, ingest, writer, monitor, query");
    p.require("wal".equals(transport.type) || "kafka".equals(transport.type), "transport.type", transport.type, "wal or kafka");
    p.require(
        role == null || !role.needsKafka() || transport.kafka(),
        "transport.type",
        transport.type + " with role " + (role == null ? null : role.publicName()),
        "kafka for the roles ingest and writer, which share their records only through Kafka (set transport.type:"
            + " kafka and transport.bootstrap-servers)");
    if (transport.kafka()) {
      p.require(
          transport.bootstrapServers != null && !transport.bootstrapServers.isBlank(), "transport.bootstrap-servers",
          transport.bootstrapServers, "the Kafka brokers as host:port[,host:port]");
      p.require(
          transport.topic != null && transport.topic.matches("[a-zA-Z0-9._-]{1,200}"), "transport.topic", transport.topic,
          "a Kafka topic name (letters, digits, '.', '_', '-')");
      p.require(transport.group != null && !transport.group.isBlank(), "transport.group", transport.group, "a consumer group name");
      p.range("transport.partitions", transport.partitions, 1, 10_000);
      p.range("transport.replication-factor", transport.replicationFactor, -1, 100);
      p.range("transport.start-timeout", transport.startTimeout, Duration.ofMillis(500), Duration.ofMinutes(30));
      p.range("transport.ack-timeout", transport.ackTimeout, Duration.ofMillis(500), Duration.ofMinutes(5));
      p.range("transport.max-entry-bytes", transport.maxEntryBytes, 1024, 512 << 20);
      p.range("transport.idempotency-window", transport.idempotencyWindow, Duration.ZERO, Duration.ofDays(7));
    }
    p.throwIfAny();
    return this;
  }

  /** The effective configuration as YAML, defaults included, in the form {@link #load} reads. */
  public String toYaml() {
    try {
      return yaml().writeValueAsString(this);
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  /** A size as DuckDB takes it: a number and a unit. */
  private static final String SIZE = "(?i)\\s*\\d+(\\.\\d+)?\\s*(B|KB|MB|GB|TB|KiB|MiB|GiB|TiB)\\s*";

  /** Collects every out-of-range setting before one error names them all. */
  private static final class Problems {
    private final java.util.List<String> found = new java.util.ArrayList<>();

    void require(boolean ok, String key, Object value, String allowed) {
      if (!ok) {
        found.add(key + " is " + value + "; it must be " + allowed);
      }
    }

    void range(String key, long value, long min, long max) {
      require(value >= min && value <= max, key, value, "between " + min + " and " + max);
    }

    void range(String key, Duration value, Duration min, Duration max) {
      require(
          value != null && value.compareTo(min) >= 0 && value.compareTo(max) <= 0,
          key,
          value,
          "a duration between " + min + " and " + max + " (ISO-8601, e.g. PT0.25S)");
    }

    /** A period of whole days, months or years, at least a day (date partitions are days). */
    void period(String key, String value) {
      boolean ok;
      try {
        java.time.Period period = java.time.Period.parse(value);
        ok = !period.isNegative() && java.time.LocalDate.EPOCH.plus(period).isAfter(java.time.LocalDate.EPOCH);
      } catch (java.time.format.DateTimeParseException e) {
        ok = false;
      }
      require(ok, key, value, "a period of at least a day, ISO-8601 such as P400D, P25M or P7Y");
    }

    void throwIfAny() {
      if (!found.isEmpty()) {
        throw new IllegalArgumentException(
            "invalid configuration: " + String.join("; ", found) + " (hindsight serve --print-config shows every setting)");
      }
    }
  }

  /**
   * Reads a YAML config file; every key is optional. Ranges are checked by {@link #validate}, once
   * command-line flags have had their say.
   */
  public static ServerConfig load(Path file) {
    ObjectMapper yaml = yaml();
    if (!Files.isRegularFile(file)) {
      throw new IllegalArgumentException("config file " + file + " does not exist");
    }
    try {
      ServerConfig c = yaml.readValue(file.toFile(), ServerConfig.class);
      return c == null ? new ServerConfig() : c;
    } catch (UnrecognizedPropertyException e) {
      throw new IllegalArgumentException(
          "config file " + file + ": " + key(e) + " is not a setting" + at(e) + "; the settings there are "
              + String.join(", ", e.getKnownPropertyIds().stream().map(Object::toString).sorted().toList()),
          e);
    } catch (InvalidFormatException e) {
      throw new IllegalArgumentException(
          "config file " + file + ": " + key(e) + ": '" + e.getValue() + "' is not " + expected(e.getTargetType()) + at(e), e);
    } catch (IOException e) {
      throw new IllegalArgumentException("config file " + file + " is invalid: " + e.getMessage(), e);
    }
  }

  /** The setting a mapping error is about, as the file spells it: {@code lake.flush-interval}. */
  private static String key(JsonMappingException e) {
    StringBuilder key = new StringBuilder();
    for (JsonMappingException.Reference r : e.getPath()) {
      if (r.getFieldName() != null) {
        key.append(key.isEmpty() ? "" : ".").append(r.getFieldName());
      } else {
        key.append('[').append(r.getIndex()).append(']');
      }
    }
    return key.toString();
  }

  private static String at(JsonMappingException e) {
    return e.getLocation() == null ? "" : " (line " + e.getLocation().getLineNr() + ")";
  }

  /** What a setting of {@code type} looks like, for an error message. */
  private static String expected(Class<?> type) {
    if (type == Duration.class) {
      return "a duration: write it in ISO-8601, e.g. PT2S, PT0.25S (250 ms), PT5M, PT1H, P1D";
    }
    if (type == int.class || type == long.class || type == Integer.class || type == Long.class) {
      return "a whole number";
    }
    if (type == double.class || type == Double.class) {
      return "a number";
    }
    if (type == boolean.class || type == Boolean.class) {
      return "true or false";
    }
    return "a valid " + type.getSimpleName();
  }

  private static ObjectMapper yaml() {
    ObjectMapper yaml =
        new ObjectMapper(new YAMLFactory())
            .setPropertyNamingStrategy(PropertyNamingStrategies.KEBAB_CASE)
            .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS)
            .disable(SerializationFeature.WRITE_DURATIONS_AS_TIMESTAMPS)
            .findAndRegisterModules()
            // Paths read back as they are written: plain paths, not file: URIs.
            .registerModule(new SimpleModule().addSerializer(Path.class, ToStringSerializer.instance));
    yaml.setVisibility(
        yaml.getSerializationConfig()
            .getDefaultVisibilityChecker()
            .withFieldVisibility(JsonAutoDetect.Visibility.PUBLIC_ONLY)
            .withGetterVisibility(JsonAutoDetect.Visibility.NONE)
            .withIsGetterVisibility(JsonAutoDetect.Visibility.NONE));
    return yaml;
  }
}
