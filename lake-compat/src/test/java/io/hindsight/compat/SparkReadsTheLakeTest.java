package io.hindsight.compat;

import static org.assertj.core.api.Assertions.assertThat;

import io.hindsight.server.HindsightServer;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The lake is the product's open interface (DESIGN §5): Spark reads {@code lake/predictions},
 * {@code lake/feedback} and {@code lake/events} as they are, with Hive partition discovery and
 * schema merging, and no export step, while no two endpoints give a key different types (for
 * that, one table per endpoint: {@link SparkEndpointTablesTest}). A real server writes the lake; a
 * local Spark reads it.
 */
class SparkReadsTheLakeTest {
  private static SparkSession spark;

  @BeforeAll
  static void startSpark(@TempDir Path sparkDir) {
    spark = LocalSpark.start(sparkDir);
  }

  @AfterAll
  static void stopSpark() {
    if (spark != null) {
      spark.stop();
    }
  }

  @Test
  void readsTheLakeOfAStoppedServer(@TempDir Path dataDir) throws Exception {
    try (HindsightServer server = LakeSample.start(dataDir, LakeSample.QUICK_COMPACTION)) {
      LakeSample.record(new IngestClient(server.port()), server);
      awaitWidenedColumnRewritten(dataDir);
    }

    assertPredictionsReadable(dataDir);
    assertFeedbackJoinsPredictions(dataDir);
    assertEventsReadable(dataDir);
  }

  @Test
  void readsTheLakeWhileTheServerIsRunning(@TempDir Path dataDir) throws Exception {
    try (HindsightServer server = LakeSample.start(dataDir, LakeSample.QUICK_COMPACTION)) {
      LakeSample.record(new IngestClient(server.port()), server);
      awaitWidenedColumnRewritten(dataDir);

      assertPredictionsReadable(dataDir);
      assertFeedbackJoinsPredictions(dataDir);
      assertEventsReadable(dataDir);
    }
  }

  /**
   * A bigint column that widens to double is rewritten as double in the files written before, by
   * the same flush, so Spark never meets the two types side by side.
   */
  @Test
  void readsAWidenedColumnAsSoonAsItIsFlushed(@TempDir Path dataDir) throws Exception {
    try (HindsightServer server = LakeSample.start(dataDir, LakeSample.NO_COMPACTION)) {
      LakeSample.record(new IngestClient(server.port()), server);
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
    try (HindsightServer server = LakeSample.start(dataDir, LakeSample.NO_COMPACTION)) {
      new IngestClient(server.port()).post("/v1/endpoints/fraud/predictions",
          "[" + LakeSample.prediction("f-1", "2026-11-22T10:15:00Z", "v1", "a", "{\"amount\": 1.5}") + "]", 1);
      server.flushLake();
    }
    SparkSession newYork = spark.newSession();
    newYork.conf().set("spark.sql.session.timeZone", "America/New_York");

    Dataset<Row> predictions = newYork.read().parquet(dataDir.resolve("lake/predictions").toString());

    assertThat(predictions.schema().apply("ts").dataType()).isEqualTo(DataTypes.TimestampType);
    assertThat(predictions.selectExpr("unix_micros(CAST(ts AS TIMESTAMP))").first().getLong(0))
        .isEqualTo(micros("2026-11-22T10:15:00Z"));
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
    return LocalSpark.rows(spark.sql(sql));
  }

  private static long micros(String instant) {
    Instant i = Instant.parse(instant);
    return i.getEpochSecond() * 1_000_000L + i.getNano() / 1_000;
  }

  // ---------------------------------------------------------------------------------------------
  // The server and the files it wrote.

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

  private static Set<String> scorePhysicalTypes(Path dataDir) throws IOException {
    return LakeFiles.physicalTypes(dataDir.resolve("lake/predictions/endpoint=fraud"), "score");
  }
}
