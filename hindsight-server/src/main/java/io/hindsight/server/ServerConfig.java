package io.hindsight.server;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.hindsight.server.ingest.IngestLimits;
import io.hindsight.server.query.QueryLimits;
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

  /** API keys (DESIGN §4 Auth). Keys also live in {@code <data-dir>/auth/keys.json}. */
  public static final class Auth {
    /** Key entries as {@code hindsight keys create --print-config} shows them (no secrets). */
    public java.util.List<java.util.Map<String, Object>> keys = new java.util.ArrayList<>();
  }

  /** HTTPS: either {@code cert} and {@code key} (PEM, PKCS#8 key) or a {@code keystore}. */
  public static final class Tls {
    public Path cert;
    public Path key;
    public Path keystore;
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
    /** How long a retried Idempotency-Key gets the first answer. */
    public Duration idempotencyTtl = Duration.ofHours(24);
    /** Keys remembered at most; the oldest are evicted past it (counted). */
    public int idempotencyMaxKeys = 1_000_000;
    /**
     * Bytes of acknowledged rows held in memory for the lake writer above which ingest waits, then
     * answers 503 (default: a quarter of the JVM's maximum heap).
     */
    public long maxLakeBacklogBytes = Runtime.getRuntime().maxMemory() / 4;
    /** A gzip body may expand at most this many times; a zip bomb is refused, not inflated. */
    public int maxGzipRatio = 200;
    /** Ingest requests handled at once; more are answered 503 with Retry-After. */
    public int maxConcurrentRequests = 64;
  }

  /** The write-ahead log. */
  public static final class Wal {
    public long segmentBytes = 64L << 20;
    /** Requests waiting for the log thread; more block, pushing back on clients. */
    public int queueCapacity = 4096;
  }

  /** The Parquet lake. */
  public static final class Lake {
    /** How often logged rows are written to Parquet; bounds how soon a record is visible to SQL. */
    public Duration flushInterval = Duration.ofMillis(250);
    /** How often partitions with many small files are merged. */
    public Duration compactionInterval = Duration.ofSeconds(10);
    /** A partition is compacted once it has this many small files. */
    public int compactionMinFiles = 8;
    /** Files smaller than this are merged together, up to {@link #compactionTargetBytes}. */
    public long compactionSmallFileBytes = 32L << 20;
    public long compactionTargetBytes = 256L << 20;
  }

  /** SQL queries. */
  public static final class Query {
    public Duration timeout = QueryLimits.DEFAULTS.timeout();
    public int defaultRows = QueryLimits.DEFAULTS.defaultRows();
    public int maxRows = QueryLimits.DEFAULTS.maxRows();
    public String memoryLimit = QueryLimits.DEFAULTS.memoryLimit();
    public int connections = QueryLimits.DEFAULTS.connections();
    /** Java heap of each query worker process, as for {@code -Xmx} (default 256m). */
    public String workerHeap = QueryLimits.DEFAULTS.workerHeap();
    /**
     * Spill files each DuckDB instance (query workers, lake writer, compaction) may keep under
     * {@code <data-dir>/tmp}, as DuckDB writes sizes (default 4GB).
     */
    public String maxTempSize = QueryLimits.DEFAULTS.maxTempSize();
  }

  public IngestLimits ingestLimits() {
    return new IngestLimits(ingest.maxBodyBytes, ingest.maxRecordBytes, ingest.maxDepth, ingest.maxKeys);
  }

  public QueryLimits queryLimits() {
    return new QueryLimits(
        query.timeout,
        query.defaultRows,
        query.maxRows,
        query.memoryLimit,
        query.connections,
        query.workerHeap,
        query.maxTempSize);
  }

  /** Reads a YAML config file; every key is optional. */
  public static ServerConfig load(Path file) {
    ObjectMapper yaml =
        new ObjectMapper(new YAMLFactory())
            .setPropertyNamingStrategy(PropertyNamingStrategies.KEBAB_CASE)
            .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .findAndRegisterModules();
    yaml.setVisibility(
        yaml.getSerializationConfig()
            .getDefaultVisibilityChecker()
            .withFieldVisibility(com.fasterxml.jackson.annotation.JsonAutoDetect.Visibility.PUBLIC_ONLY));
    if (!Files.isRegularFile(file)) {
      throw new IllegalArgumentException("config file " + file + " does not exist");
    }
    try {
      ServerConfig c = yaml.readValue(file.toFile(), ServerConfig.class);
      return c == null ? new ServerConfig() : c;
    } catch (IOException e) {
      throw new IllegalArgumentException("config file " + file + " is invalid: " + e.getMessage(), e);
    }
  }
}
