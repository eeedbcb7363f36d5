package io.hindsight.compat;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;

import io.hindsight.server.HindsightServer;
import io.hindsight.server.ServerConfig;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.apache.hadoop.conf.Configuration;
import org.apache.parquet.hadoop.ParquetFileReader;
import org.apache.parquet.hadoop.util.HadoopInputFile;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Disabled;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The lake is the product's open interface (DESIGN §5): Spark reads {@code lake/predictions},
 * {@code lake/feedback} and {@code lake/events} as they are, with Hive partition discovery and
 * schema merging, and no export step. A real server writes the lake; a local Spark reads it.
 */
class SparkReadsTheLakeTest {
  /** Rewrites of widened columns run this often, so tests can wait for them without sleeping long. */
  private static final Duration QUICK_COMPACTION = Duration.ofMillis(100);

  private static final Duration NO_COMPACTION = Duration.ofHours(1);

  private static SparkSession spark;

  @BeforeAll
  static void startSpark(@TempDir Path sparkDir) {
    // Loopback only: the driver, its block manager and the shuffle service never leave 127.0.0.1
    // (SPARK_LOCAL_IP is set for the test JVM in this module's pom).
    spark =
        SparkSession.builder()
            .appName("hindsight-lake-compat")
            .master("local[2]")
            .config("spark.ui.enabled", "false")
            .config("spark.ui.showConsoleProgress", "false")
            .config("spark.driver.host", "127.0.0.1")
            .config("spark.driver.bindAddress", "127.0.0.1")
            .config("spark.sql.shuffle.partitions", "1")
            .config("spark.sql.adaptive.enabled", "false")
            .config("spark.sql.session.timeZone", "UTC")
            .config("spark.sql.warehouse.dir", sparkDir.resolve("warehouse").toString())
            .getOrCreate();
  }

  @AfterAll
  static void stopSpark() {
    if (spark != null) {
      spark.stop();
    }
  }

  @Test
  void readsTheLakeOfAStoppedServer(@TempDir Path dataDir) throws Exception {
    try (HindsightServer server = start(dataDir, QUICK_COMPACTION)) {
      recordSample(new Api(server.port()), server);
      awaitWidenedColumnRewritten(dataDir);
    }

    assertPredictionsReadable(dataDir);
    assertFeedbackJoinsPredictions(dataDir);
    assertEventsReadable(dataDir);
  }

  @Test
  void readsTheLakeWhileTheServerIsRunning(@TempDir Path dataDir) throws Exception {
    try (HindsightServer server = start(dataDir, QUICK_COMPACTION)) {
      recordSample(new Api(server.port()), server);
      awaitWidenedColumnRewritten(dataDir);

      assertPredictionsReadable(dataDir);
      assertFeedbackJoinsPredictions(dataDir);
      assertEventsReadable(dataDir);
    }
  }

  @Test
  void readsOneEndpointWhenEndpointsGiveTheSameKeyDifferentTypes(@TempDir Path dataDir) throws Exception {
    try (HindsightServer server = start(dataDir, NO_COMPACTION)) {
      Api api = new Api(server.port());
      api.post("/v1/endpoints/fraud/predictions",
          "[" + prediction("f-1", "2026-11-20T08:00:00Z", "v1", "a", "{\"risk\": 3}") + "]", 1);
      api.post("/v1/endpoints/churn/predictions",
          "[" + prediction("c-1", "2026-11-20T08:00:00Z", "v1", "a", "{\"risk\": \"high\"}") + "]", 1);
      server.flushLake();
    }
    Path predictions = dataDir.resolve("lake/predictions");

    Dataset<Row> churn =
        spark.read()
            .option("basePath", predictions.toString())
            .option("mergeSchema", "true")
            .parquet(predictions.resolve("endpoint=churn").toString());

    assertThat(churn.schema().apply("risk").dataType()).isEqualTo(DataTypes.StringType);
    assertThat(churn.selectExpr("endpoint", "prediction_id", "risk").collectAsList())
        .extracting(r -> r.getString(0), r -> r.getString(1), r -> r.getString(2))
        .containsExactly(tuple("churn", "c-1", "high"));
  }

  /**
   * A bigint column that widens to double is rewritten as double in the files written before, by
   * the same flush, so Spark never meets the two types side by side.
   */
  @Test
  void readsAWidenedColumnAsSoonAsItIsFlushed(@TempDir Path dataDir) throws Exception {
    try (HindsightServer server = start(dataDir, NO_COMPACTION)) {
      recordSample(new Api(server.port()), server);
    }
    assertThat(scorePhysicalTypes(dataDir)).containsExactly("DOUBLE");

    assertPredictionsReadable(dataDir);
  }

  /**
   * {@code ts} is an instant (DESIGN §3: "timestamp (µs, UTC)"): the files mark it
   * {@code isAdjustedToUTC=true}, so a Spark session in any time zone reads the same instant.
   */
  @Test
  void readsTsAsAnInstantInAnyTimeZone(@TempDir Path dataDir) throws Exception {
    try (HindsightServer server = start(dataDir, NO_COMPACTION)) {
      new Api(server.port()).post("/v1/endpoints/fraud/predictions",
          "[" + prediction("f-1", "2026-11-22T10:15:00Z", "v1", "a", "{\"amount\": 1.5}") + "]", 1);
      server.flushLake();
    }
    SparkSession newYork = spark.newSession();
    newYork.conf().set("spark.sql.session.timeZone", "America/New_York");

    Dataset<Row> predictions = newYork.read().parquet(dataDir.resolve("lake/predictions").toString());

    assertThat(predictions.schema().apply("ts").dataType()).isEqualTo(DataTypes.TimestampType);
    assertThat(predictions.selectExpr("unix_micros(CAST(ts AS TIMESTAMP))").first().getLong(0))
        .isEqualTo(micros("2026-11-22T10:15:00Z"));
  }

  /**
   * Layout gap: every endpoint's files share {@code lake/predictions}, but each endpoint types its
   * keys on its own, so reading the whole table fails as soon as two endpoints disagree about a key.
   * Reading one endpoint (with {@code basePath}) works; see the test above.
   */
  @Test
  @Disabled(
      "layout gap: endpoints type a shared key independently; spark.read().option(\"mergeSchema\","
          + " \"true\").parquet(\"lake/predictions\") fails with [CANNOT_MERGE_INCOMPATIBLE_DATA_TYPE]"
          + " Failed to merge incompatible data types \"STRING\" and \"BIGINT\"")
  void readsTheWholeTableWhenEndpointsGiveTheSameKeyDifferentTypes(@TempDir Path dataDir) throws Exception {
    try (HindsightServer server = start(dataDir, NO_COMPACTION)) {
      Api api = new Api(server.port());
      api.post("/v1/endpoints/fraud/predictions",
          "[" + prediction("f-1", "2026-11-20T08:00:00Z", "v1", "a", "{\"risk\": 3}") + "]", 1);
      api.post("/v1/endpoints/churn/predictions",
          "[" + prediction("c-1", "2026-11-20T08:00:00Z", "v1", "a", "{\"risk\": \"high\"}") + "]", 1);
      server.flushLake();
    }

    assertThat(readMerged(dataDir.resolve("lake/predictions")).count()).isEqualTo(2);
  }

  // ---------------------------------------------------------------------------------------------
  // The sample: two endpoints, three dates, every value type, a key that appears only in later
  // records, a bigint key that later gets a double, feedback and an event; two flushes, so the
  // later keys and the widened type land in files of their own.

  private static void recordSample(Api api, HindsightServer server) throws Exception {
    List<String> first = new ArrayList<>();
    String[] days = {"2026-11-20T08:00:00Z", "2026-11-20T09:30:00Z", "2026-11-21T10:00:00Z",
        "2026-11-21T23:59:59Z", "2026-11-22T00:00:00Z", "2026-11-22T10:15:00Z"};
    for (int i = 1; i <= 6; i++) {
      first.add(prediction("fraud-" + i, days[i - 1], "v1", i % 2 == 1 ? "a" : "b",
          "{\"amount\": " + (i + 0.5) + ", \"count\": " + i + ", \"ok\": " + (i % 2 == 1)
              + ", \"label\": \"l" + i + "\", \"features\": {\"n\": " + i + ", \"country\": \"FR\"}"
              + ", \"probs\": [0.25, 0.75], \"score\": " + (i * 10) + "}"));
    }
    api.post("/v1/endpoints/fraud/predictions", "[" + String.join(",", first) + "]", 6);
    api.post("/v1/endpoints/churn/predictions", "["
        + prediction("churn-1", "2026-11-21T12:00:00Z", "c1", "a", "{\"churn_prob\": 0.3, \"label\": \"stay\"}")
        + "," + prediction("churn-2", "2026-11-22T12:00:00Z", "c1", "b", "{\"churn_prob\": 0.7, \"label\": \"leave\"}")
        + "]", 2);
    server.flushLake();

    List<String> later = new ArrayList<>();
    String[] laterDays = {"2026-11-20T15:00:00Z", "2026-11-21T15:00:00Z", "2026-11-22T15:00:00Z"};
    for (int i = 7; i <= 9; i++) {
      // score gets a double (the column widens), amount gets an integer (stored as double), reviewer is new.
      later.add(prediction("fraud-" + i, laterDays[i - 7], "v2", "a",
          "{\"amount\": " + i + ", \"count\": " + i + ", \"ok\": true, \"label\": \"l" + i + "\""
              + ", \"features\": {\"n\": " + i + ", \"country\": \"DE\"}, \"probs\": [0.5, 0.5]"
              + ", \"score\": " + (i + 0.5) + ", \"reviewer\": \"ana\"}"));
    }
    api.post("/v1/endpoints/fraud/predictions", "[" + String.join(",", later) + "]", 3);
    api.post("/v1/endpoints/fraud/feedback", "["
        + "{\"prediction_id\": \"fraud-1\", \"ts\": \"2026-11-22T12:00:00Z\", \"data\": {\"is_fraud\": true, \"loss\": 120.5}},"
        + "{\"prediction_id\": \"fraud-7\", \"ts\": \"2026-11-22T12:00:00Z\", \"data\": {\"is_fraud\": false, \"loss\": 0.0}}"
        + "]", 2);
    api.post("/v1/endpoints/fraud/events",
        "[{\"ts\": \"2026-11-21T09:00:00Z\", \"kind\": \"deploy\", \"text\": \"v2 rollout\","
            + " \"data\": {\"model_version\": \"v2\", \"canary\": 0.1}}]", 1);
    server.flushLake();
  }

  private static String prediction(String id, String ts, String modelVersion, String segment, String data) {
    return "{\"prediction_id\": \"" + id + "\", \"ts\": \"" + ts + "\", \"model_version\": \"" + modelVersion
        + "\", \"tags\": {\"segment\": \"" + segment + "\"}, \"data\": " + data + "}";
  }

  // ---------------------------------------------------------------------------------------------
  // What Spark sees.

  private static void assertPredictionsReadable(Path dataDir) {
    Dataset<Row> predictions = readMerged(dataDir.resolve("lake/predictions"));
    predictions.createOrReplaceTempView("predictions");
    StructType schema = predictions.schema();

    assertThat(predictions.count()).isEqualTo(11);
    assertThat(predictions.select("prediction_id").distinct().count()).isEqualTo(11);

    assertThat(typeOf(schema, "endpoint")).isEqualTo(DataTypes.StringType);
    assertThat(typeOf(schema, "date")).isEqualTo(DataTypes.DateType);
    assertThat(rows("SELECT DISTINCT endpoint, CAST(date AS STRING) FROM predictions ORDER BY 1, 2"))
        .containsExactly(
            List.of("churn", "2026-11-21"),
            List.of("churn", "2026-11-22"),
            List.of("fraud", "2026-11-20"),
            List.of("fraud", "2026-11-21"),
            List.of("fraud", "2026-11-22"));

    assertThat(typeOf(schema, "prediction_id")).isEqualTo(DataTypes.StringType);
    assertThat(typeOf(schema, "model_version")).isEqualTo(DataTypes.StringType);
    // Spark reads ts as timestamp_ntz today; readsTsAsAnInstantInAnyTimeZone holds the stricter spec.
    assertThat(typeOf(schema, "ts")).isIn(DataTypes.TimestampType, DataTypes.TimestampNTZType);
    assertThat(typeOf(schema, "tags"))
        .isEqualTo(DataTypes.createMapType(DataTypes.StringType, DataTypes.StringType, true));
    assertThat(typeOf(schema, "amount")).isEqualTo(DataTypes.DoubleType);
    assertThat(typeOf(schema, "count")).isEqualTo(DataTypes.LongType);
    assertThat(typeOf(schema, "ok")).isEqualTo(DataTypes.BooleanType);
    assertThat(typeOf(schema, "label")).isEqualTo(DataTypes.StringType);
    assertThat(typeOf(schema, "features")).isEqualTo(DataTypes.StringType);
    assertThat(typeOf(schema, "probs")).isEqualTo(DataTypes.StringType);
    assertThat(typeOf(schema, "score")).as("a bigint key that later got a double").isEqualTo(DataTypes.DoubleType);
    assertThat(typeOf(schema, "reviewer")).isEqualTo(DataTypes.StringType);
    assertThat(typeOf(schema, "churn_prob")).isEqualTo(DataTypes.DoubleType);

    // The instant each prediction was sent with, in this UTC session.
    assertThat(rows("SELECT prediction_id, unix_micros(CAST(ts AS TIMESTAMP)) FROM predictions"
            + " WHERE prediction_id IN ('fraud-4', 'fraud-6') ORDER BY 1"))
        .containsExactly(
            List.of("fraud-4", micros("2026-11-21T23:59:59Z")),
            List.of("fraud-6", micros("2026-11-22T10:15:00Z")));

    assertThat(rows("SELECT prediction_id, model_version, tags['segment'] FROM predictions"
            + " WHERE endpoint = 'fraud' AND date = DATE'2026-11-21' ORDER BY prediction_id"))
        .containsExactly(
            List.of("fraud-3", "v1", "a"),
            List.of("fraud-4", "v1", "b"),
            List.of("fraud-8", "v2", "a"));

    // Widening: old integers and new doubles in one double column; an integer sent to a double key.
    // Schema growth: a key first sent in later records is null in earlier ones.
    assertThat(rows("SELECT prediction_id, score, amount, count, ok, label, reviewer FROM predictions"
            + " WHERE prediction_id IN ('fraud-1', 'fraud-2', 'fraud-7', 'churn-1') ORDER BY 1"))
        .containsExactly(
            Arrays.asList("churn-1", null, null, null, null, "stay", null),
            Arrays.asList("fraud-1", 10.0, 1.5, 1L, true, "l1", null),
            Arrays.asList("fraud-2", 20.0, 2.5, 2L, false, "l2", null),
            List.of("fraud-7", 7.5, 7.0, 7L, true, "l7", "ana"));
    assertThat(rows("SELECT endpoint, count(*), count(reviewer), sum(score) FROM predictions GROUP BY 1 ORDER BY 1"))
        .containsExactly(Arrays.asList("churn", 2L, 0L, null), List.of("fraud", 9L, 3L, 235.5));

    // Nested values are JSON text that Spark's JSON functions parse.
    assertThat(rows("SELECT f.n, f.country, get_json_object(probs, '$[1]'), CAST(get_json_object(features, '$.n') AS INT)"
            + " FROM (SELECT from_json(features, 'n INT, country STRING') AS f, probs, features FROM predictions"
            + " WHERE prediction_id = 'fraud-8')"))
        .containsExactly(List.of(8, "DE", "0.5", 8));
    assertThat(rows("SELECT from_json(probs, 'ARRAY<DOUBLE>')[1] FROM predictions WHERE prediction_id = 'fraud-1'"))
        .containsExactly(List.of(0.75));
  }

  private static void assertFeedbackJoinsPredictions(Path dataDir) {
    Dataset<Row> feedback = readMerged(dataDir.resolve("lake/feedback"));
    feedback.createOrReplaceTempView("feedback");

    assertThat(typeOf(feedback.schema(), "is_fraud")).isEqualTo(DataTypes.BooleanType);
    assertThat(typeOf(feedback.schema(), "loss")).isEqualTo(DataTypes.DoubleType);
    assertThat(rows("SELECT p.prediction_id, p.model_version, f.is_fraud, f.loss, CAST(f.date AS STRING)"
            + " FROM predictions p JOIN feedback f"
            + " ON p.endpoint = f.endpoint AND p.prediction_id = f.prediction_id ORDER BY 1"))
        .containsExactly(
            List.of("fraud-1", "v1", true, 120.5, "2026-11-22"),
            List.of("fraud-7", "v2", false, 0.0, "2026-11-22"));
  }

  private static void assertEventsReadable(Path dataDir) {
    Dataset<Row> events = readMerged(dataDir.resolve("lake/events"));
    events.createOrReplaceTempView("events");

    assertThat(events.schema().fieldNames()).doesNotContain("date");
    assertThat(rows("SELECT endpoint, kind, text, unix_micros(CAST(ts AS TIMESTAMP)),"
            + " get_json_object(data, '$.model_version'), CAST(get_json_object(data, '$.canary') AS DOUBLE)"
            + " FROM events"))
        .containsExactly(List.of("fraud", "deploy", "v2 rollout", micros("2026-11-21T09:00:00Z"), "v2", 0.1));
  }

  private static Dataset<Row> readMerged(Path table) {
    return spark.read().option("mergeSchema", "true").parquet(table.toString());
  }

  private static DataType typeOf(StructType schema, String column) {
    assertThat(schema.fieldNames()).contains(column);
    return schema.apply(column).dataType();
  }

  /** Rows of a query as lists of plain Java values. */
  private static List<List<Object>> rows(String sql) {
    List<List<Object>> out = new ArrayList<>();
    for (Row r : spark.sql(sql).collectAsList()) {
      List<Object> values = new ArrayList<>();
      for (int i = 0; i < r.length(); i++) {
        values.add(r.get(i));
      }
      out.add(values);
    }
    return out;
  }

  private static long micros(String instant) {
    Instant i = Instant.parse(instant);
    return i.getEpochSecond() * 1_000_000L + i.getNano() / 1_000;
  }

  // ---------------------------------------------------------------------------------------------
  // The server and the files it wrote.

  private static HindsightServer start(Path dataDir, Duration compactionInterval) throws IOException {
    ServerConfig config = new ServerConfig();
    config.dataDir = dataDir;
    config.port = 0;
    // Only flushLake() writes files, so each batch of the sample lands in files of its own.
    config.lake.flushInterval = Duration.ofHours(1);
    config.lake.compactionInterval = compactionInterval;
    return HindsightServer.start(config);
  }

  /** Waits (bounded) until compaction rewrote the files that held {@code score} as a bigint. */
  private static void awaitWidenedColumnRewritten(Path dataDir) throws Exception {
    long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
    Set<String> types = scorePhysicalTypes(dataDir);
    while (!types.equals(Set.of("DOUBLE")) && System.nanoTime() < deadline) {
      Thread.sleep(50);
      types = scorePhysicalTypes(dataDir);
    }
    assertThat(types).as("physical types of 'score' in the fraud files").containsExactly("DOUBLE");
  }

  /** The Parquet physical types the {@code score} column has across the fraud endpoint's files. */
  private static Set<String> scorePhysicalTypes(Path dataDir) throws IOException {
    Set<String> types = new TreeSet<>();
    List<Path> files;
    try (Stream<Path> s = Files.walk(dataDir.resolve("lake/predictions/endpoint=fraud"))) {
      files = s.filter(p -> p.getFileName().toString().endsWith(".parquet")
          && !p.getFileName().toString().startsWith(".")).collect(Collectors.toList());
    }
    for (Path f : files) {
      try (ParquetFileReader reader = ParquetFileReader.open(
          HadoopInputFile.fromPath(new org.apache.hadoop.fs.Path(f.toUri()), new Configuration()))) {
        types.add(reader.getFileMetaData().getSchema().getType("score").asPrimitiveType()
            .getPrimitiveTypeName().name());
      } catch (IOException e) {
        if (Files.exists(f)) {
          throw e;
        }
        // Compaction replaced the file while we looked; the next look sees its successor.
      }
    }
    return types;
  }

  /** A small client for the ingest API; checks every record was accepted. */
  private static final class Api {
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private final String base;

    Api(int port) {
      this.base = "http://127.0.0.1:" + port;
    }

    void post(String path, String json, int expectedAccepted) throws IOException, InterruptedException {
      HttpResponse<String> response =
          http.send(
              HttpRequest.newBuilder(URI.create(base + path))
                  .timeout(Duration.ofSeconds(10))
                  .header("Content-Type", "application/json")
                  .POST(HttpRequest.BodyPublishers.ofString(json))
                  .build(),
              HttpResponse.BodyHandlers.ofString());
      assertThat(response.statusCode()).as("POST %s: %s", path, response.body()).isEqualTo(200);
      assertThat(response.body()).as("POST %s", path).contains("\"accepted\":" + expectedAccepted);
      assertThat(response.body()).as("POST %s", path).contains("\"rejected\":[]");
    }
  }
}
