package io.hindsight.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class ServerConfigTest {
  @TempDir Path dir;

  @Test
  void theDefaultsAreValid() {
    new ServerConfig().validate();
  }

  /** One setting out of range, and what the message must name: its key and the bad value. */
  static Stream<Arguments> outOfRange() {
    return Stream.of(
        bad("port", "70000", c -> c.port = 70_000),
        bad("media.max-bytes", "0", c -> c.media.maxBytes = 0),
        bad("media.s3", "an access-key without a secret-key", c -> c.media.s3.accessKey = "k"),
        bad("media.s3.endpoint", "localhost:9000", c -> c.media.s3.endpoint = "localhost:9000"),
        bad("lake.uri", "/data/lake", c -> c.lake.uri = "/data/lake"),
        bad("lake.follow", "true", c -> c.lake.follow = true),
        bad("lake.s3", "an access-key without a secret-key", c -> c.lake.s3.accessKey = "k"),
        bad("lake.s3.endpoint", "localhost:9000", c -> c.lake.s3.endpoint = "localhost:9000"),
        bad("host", "null", c -> c.host = null),
        bad("ingest.max-body-bytes", "0", c -> c.ingest.maxBodyBytes = 0),
        bad("ingest.max-record-bytes", "10", c -> c.ingest.maxRecordBytes = 10),
        bad("ingest.max-depth", "0", c -> c.ingest.maxDepth = 0),
        bad("ingest.max-keys", "0", c -> c.ingest.maxKeys = 0),
        bad("ingest.idempotency-ttl", "PT0S", c -> c.ingest.idempotencyTtl = Duration.ZERO),
        bad("ingest.idempotency-max-keys", "0", c -> c.ingest.idempotencyMaxKeys = 0),
        bad("ingest.max-lake-backlog-bytes", "0", c -> c.ingest.maxLakeBacklogBytes = 0),
        bad("ingest.max-gzip-ratio", "0", c -> c.ingest.maxGzipRatio = 0),
        bad("ingest.max-concurrent-requests", "0", c -> c.ingest.maxConcurrentRequests = 0),
        bad("wal.segment-bytes", "100", c -> c.wal.segmentBytes = 100),
        bad("wal.queue-capacity", "0", c -> c.wal.queueCapacity = 0),
        bad("lake.flush-interval", "PT0S", c -> c.lake.flushInterval = Duration.ZERO),
        bad("lake.flush-interval", "null", c -> c.lake.flushInterval = null),
        bad("monitoring.refresh-interval", "PT0.5S", c -> c.monitoring.refreshInterval = Duration.ofMillis(500)),
        bad("monitoring.refresh-interval", "PT2H", c -> c.monitoring.refreshInterval = Duration.ofHours(2)),
        bad("lake.compaction-interval", "PT-1S", c -> c.lake.compactionInterval = Duration.ofSeconds(-1)),
        bad("lake.compaction-min-files", "1", c -> c.lake.compactionMinFiles = 1),
        bad("lake.compaction-small-file-bytes", "0", c -> c.lake.compactionSmallFileBytes = 0),
        bad("lake.compaction-target-bytes", "10", c -> c.lake.compactionTargetBytes = 10),
        bad("query.timeout", "PT0S", c -> c.query.timeout = Duration.ZERO),
        bad("query.max-rows", "0", c -> c.query.maxRows = 0),
        bad("query.default-rows", "20", c -> {
          c.query.maxRows = 10;
          c.query.defaultRows = 20;
        }),
        bad("query.connections", "0", c -> c.query.connections = 0),
        bad("query.server-threads", "-1", c -> c.query.serverThreads = -1),
        bad("query.background-threads", "-1", c -> c.query.backgroundThreads = -1),
        bad("query.max-body-bytes", "0", c -> c.query.maxBodyBytes = 0),
        bad("query.worker-heap", "lots", c -> c.query.workerHeap = "lots"),
        bad("query.worker-heap", "0", c -> c.query.workerHeap = "0"),
        bad("query.max-temp-size", "4", c -> c.query.maxTempSize = "4"),
        bad("ingest.read-ahead-bytes", "-1", c -> c.ingest.readAheadBytes = -1),
        bad("ingest.max-columns-per-endpoint", "0", c -> c.ingest.maxColumnsPerEndpoint = 0),
        bad("ingest.max-new-columns-per-request", "0", c -> c.ingest.maxNewColumnsPerRequest = 0),
        bad("ingest.max-in-flight-bytes", "1000", c -> c.ingest.maxInFlightBytes = 1000),
        bad("http.header-timeout", "PT0S", c -> c.http.headerTimeout = Duration.ZERO),
        bad("http.body-timeout", "null", c -> c.http.bodyTimeout = null),
        bad("http.min-body-bytes-per-second", "-1", c -> c.http.minBodyBytesPerSecond = -1),
        bad("auth.reload-interval", "PT-1S", c -> c.auth.reloadInterval = Duration.ofSeconds(-1)),
        bad("query.memory-limit", "lots", c -> c.query.memoryLimit = "lots"),
        bad("tls.key", "null", c -> c.tls.cert = Path.of("cert.pem")),
        bad("retention.interval", "PT1S", c -> c.retention.interval = Duration.ofSeconds(1)),
        bad("retention.endpoints.fraud.predictions", "P4OOD", c -> retain(c, "fraud", p -> p.predictions = "P4OOD")),
        bad("retention.endpoints.fraud.metrics", "P0D", c -> retain(c, "fraud", p -> p.metrics = "P0D")),
        bad("retention.endpoints.fraud.events", "PT12H", c -> retain(c, "fraud", p -> p.events = "PT12H")),
        bad("retention.endpoints", "'Fraud Model'", c -> retain(c, "Fraud Model", p -> p.feedback = "P30D")));
  }

  private static void retain(ServerConfig c, String endpoint, Consumer<ServerConfig.RetentionPeriods> periods) {
    ServerConfig.RetentionPeriods p = new ServerConfig.RetentionPeriods();
    periods.accept(p);
    c.retention.endpoints.put(endpoint, p);
  }

  private static Arguments bad(String key, String value, Consumer<ServerConfig> change) {
    return Arguments.of(key, value, change);
  }

  @ParameterizedTest(name = "{0} = {1}")
  @MethodSource("outOfRange")
  void aSettingOutOfRangeIsNamedWithItsValue(String key, String value, Consumer<ServerConfig> change) {
    ServerConfig c = new ServerConfig();
    change.accept(c);
    assertThatThrownBy(c::validate)
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining(key + " is " + value + "; it must be");
  }

  @Test
  void theReadmesConfigExampleLoadsAndIsValid() throws Exception {
    String readme = Files.readString(Path.of("..", "README.md"));
    int start = readme.indexOf("```yaml\n") + "```yaml\n".length();
    String block = readme.substring(start, readme.indexOf("```", start)).replaceAll("(?m)^  ", "");
    Path file = dir.resolve("readme.yaml");
    Files.writeString(file, block);
    ServerConfig c = ServerConfig.load(file);
    c.validate();
    assertThat(c.monitoring.endpoints).containsKey("fraud-model");
    assertThat(c.alerts.rules.get("input-drift")).containsEntry("metric", "drifted_share");
    assertThat(c.alerts.externalUrl).isEqualTo("https://hindsight.example.com");
    assertThat(c.retentionPolicy().period("fraud-model", io.hindsight.server.retention.DataKind.PREDICTIONS))
        .contains(java.time.Period.ofDays(400));
  }

  @Test
  void retentionPeriodsAreReadPerEndpointAndKind() throws Exception {
    Path file = dir.resolve("hindsight.yaml");
    Files.writeString(file, "retention:\n  endpoints:\n    fraud-model: {predictions: P400D, metrics: P5Y}\n");
    ServerConfig c = ServerConfig.load(file).validate();
    io.hindsight.server.retention.RetentionPolicy policy = c.retentionPolicy();
    assertThat(policy.period("fraud-model", io.hindsight.server.retention.DataKind.PREDICTIONS)).contains(java.time.Period.ofDays(400));
    assertThat(policy.period("fraud-model", io.hindsight.server.retention.DataKind.METRICS)).contains(java.time.Period.ofYears(5));
    assertThat(policy.period("fraud-model", io.hindsight.server.retention.DataKind.FEEDBACK)).as("kept forever").isEmpty();
    assertThat(policy.interval()).isEqualTo(Duration.ofDays(1));
  }

  @Test
  void everyProblemIsNamedAtOnce() throws Exception {
    Path file = dir.resolve("hindsight.yaml");
    Files.writeString(
        file, "wal: {queue-capacity: 0}\nlake: {flush-interval: PT0S}\ningest: {max-concurrent-requests: 0}\n");
    assertThatThrownBy(() -> ServerConfig.load(file).validate())
        .hasMessageContaining("wal.queue-capacity is 0")
        .hasMessageContaining("lake.flush-interval is PT0S")
        .hasMessageContaining("ingest.max-concurrent-requests is 0");
  }

  @Test
  void theKafkaTransportAndRolesAreCheckedNamingTheirKeys() throws Exception {
    Path file = dir.resolve("hindsight.yaml");
    Files.writeString(file, "role: writer\ntransport: {type: kafka, topic: \"bad topic\", ack-timeout: PT0S}\n");
    assertThatThrownBy(() -> ServerConfig.load(file).validate())
        .hasMessageContaining("transport.bootstrap-servers is null; it must be the Kafka brokers")
        .hasMessageContaining("transport.topic is bad topic")
        .hasMessageContaining("transport.ack-timeout is PT0S");
    Files.writeString(file, "role: ingester\n");
    assertThatThrownBy(() -> ServerConfig.load(file)).hasMessageContaining("role 'ingester' is unknown; use one of all, ingest, writer, monitor, query");
  }

  @Test
  void theLakeEncoderIsReadByItsNameAndAnUnknownOneIsNamed() throws Exception {
    assertThat(new ServerConfig().lake.encoder).isEqualTo(io.hindsight.server.lake.ParquetEncoder.ARROW);
    Path file = dir.resolve("hindsight.yaml");
    Files.writeString(file, "lake: {encoder: appender}\n");
    assertThat(ServerConfig.load(file).lake.encoder).isEqualTo(io.hindsight.server.lake.ParquetEncoder.APPENDER);
    Files.writeString(file, "lake: {encoder: parquet}\n");
    assertThatThrownBy(() -> ServerConfig.load(file)).hasMessageContaining("encoder 'parquet' is unknown; use one of arrow, appender");
  }

  @Test
  void aValueOfTheWrongKindIsNamedByItsKeyWithTheFix() throws Exception {
    Path file = dir.resolve("hindsight.yaml");
    Files.writeString(file, "lake:\n  flush-interval: 2s\n");
    assertThatThrownBy(() -> ServerConfig.load(file))
        .hasMessageContaining("lake.flush-interval: '2s' is not a duration")
        .hasMessageContaining("ISO-8601, e.g. PT2S")
        .hasMessageContaining("line 2");
    Files.writeString(file, "query: {max-rows: lots}\n");
    assertThatThrownBy(() -> ServerConfig.load(file)).hasMessageContaining("query.max-rows: 'lots' is not a whole number");
    Files.writeString(file, "lake: {flush-intreval: PT1S}\n");
    assertThatThrownBy(() -> ServerConfig.load(file))
        .hasMessageContaining("lake.flush-intreval is not a setting")
        .hasMessageContaining("flush-interval");
  }

  @Test
  void aServerDoesNotStartOnAnInvalidConfiguration() {
    ServerConfig c = new ServerConfig();
    c.dataDir = dir;
    c.port = 0;
    c.ingest.maxConcurrentRequests = 0;
    assertThatThrownBy(() -> HindsightServer.start(c)).hasMessageContaining("ingest.max-concurrent-requests is 0");
    assertThat(dir).isEmptyDirectory();
  }

  @Test
  void thePrintedConfigurationReadsBackAsTheSameSettings() throws Exception {
    ServerConfig c = new ServerConfig();
    c.dataDir = Path.of("/var/lib/hindsight");
    c.lake.flushInterval = Duration.ofMillis(500);
    c.query.memoryLimit = "1GB";
    c.tls.keystore = Path.of("/etc/hindsight/ks.p12");
    c.tls.keystorePassword = "secret";
    String yaml = c.toYaml();
    assertThat(yaml)
        .contains("data-dir: \"/var/lib/hindsight\"", "flush-interval: \"PT0.5S\"", "memory-limit: \"1GB\"")
        .doesNotContain("secret");
    Path file = dir.resolve("printed.yaml");
    Files.writeString(file, yaml);
    assertThat(ServerConfig.load(file).toYaml()).isEqualTo(yaml);
  }
}
