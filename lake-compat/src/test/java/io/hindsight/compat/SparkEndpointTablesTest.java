package io.hindsight.compat;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.hindsight.server.HindsightServer;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * One Spark table per endpoint and kind ({@code <table>/endpoint=<e>/}) always reads, because an
 * endpoint's files agree on each key's type; {@link EndpointTables#readAll} reads every endpoint at
 * once when two endpoints typed a key differently, which a plain {@code mergeSchema} read of the
 * whole table cannot.
 */
class SparkEndpointTablesTest {
  private static SparkSession spark;
  /** A lake where fraud and churn disagree about {@code risk} and {@code level}. */
  private static Path predictions;

  @BeforeAll
  static void writeLakeAndStartSpark(@TempDir Path dir) throws Exception {
    Path dataDir = dir.resolve("data");
    try (HindsightServer server = LakeSample.start(dataDir, LakeSample.NO_COMPACTION)) {
      IngestClient api = new IngestClient(server.port());
      // churn, read first, gives the keys the narrower types.
      api.predict("churn", "c-1", "2026-11-20T08:00:00Z", "{\"risk\": 3, \"level\": 2, \"amount\": 9.5}");
      api.predict("fraud", "f-1", "2026-11-21T08:00:00Z", "{\"risk\": \"high\", \"level\": 0.5}");
      server.flushLake();
    }
    predictions = dataDir.resolve("lake/predictions");
    spark = LocalSpark.start(dir.resolve("spark"));
  }

  @AfterAll
  static void stopSpark() {
    if (spark != null) {
      spark.stop();
    }
  }

  @Test
  void readsEachEndpointAsATableWithItsOwnTypes() {
    Dataset<Row> fraud = EndpointTables.read(spark, predictions.toString(), "fraud");
    Dataset<Row> churn = EndpointTables.read(spark, predictions.toString(), "churn");

    assertThat(churn.schema().apply("risk").dataType()).isEqualTo(DataTypes.LongType);
    assertThat(fraud.schema().apply("risk").dataType()).isEqualTo(DataTypes.StringType);
    assertThat(LocalSpark.rows(churn.selectExpr("endpoint", "CAST(date AS STRING)", "prediction_id", "risk", "level")))
        .containsExactly(List.of("churn", "2026-11-20", "c-1", 3L, 2L));
    assertThat(LocalSpark.rows(fraud.selectExpr("endpoint", "CAST(date AS STRING)", "prediction_id", "risk", "level")))
        .containsExactly(List.of("fraud", "2026-11-21", "f-1", "high", 0.5));
  }

  /** The recipe for SQL-only users (spark-sql, notebooks): a view per endpoint. */
  @Test
  void readsAnEndpointTableDeclaredInSql() {
    spark.sql("CREATE OR REPLACE TEMPORARY VIEW fraud_predictions USING parquet OPTIONS ("
        + " path '" + predictions.resolve("endpoint=fraud") + "',"
        + " basePath '" + predictions + "',"
        + " mergeSchema 'true')");

    assertThat(LocalSpark.rows(spark.sql("SELECT endpoint, prediction_id, risk, level FROM fraud_predictions")))
        .containsExactly(List.of("fraud", "f-1", "high", 0.5));
  }

  @Test
  void readsEveryEndpointAtOnceWhenEndpointsGiveTheSameKeyDifferentTypes() throws Exception {
    assertThatThrownBy(() -> spark.read().option("mergeSchema", "true").parquet(predictions.toString()).count())
        .as("why one table per endpoint: a plain read of the whole table")
        .hasStackTraceContaining("CANNOT_MERGE_INCOMPATIBLE_DATA_TYPE");

    Dataset<Row> all = EndpointTables.readAll(spark, predictions.toString());

    assertThat(all.schema().apply("risk").dataType()).as("bigint and string").isEqualTo(DataTypes.StringType);
    assertThat(all.schema().apply("level").dataType()).as("bigint and double").isEqualTo(DataTypes.DoubleType);
    assertThat(LocalSpark.rows(all.selectExpr("endpoint", "prediction_id", "risk", "level", "amount").orderBy("endpoint")))
        .containsExactly(
            Arrays.asList("churn", "c-1", "3", 2.0, 9.5),
            Arrays.asList("fraud", "f-1", "high", 0.5, null));
  }

  /**
   * The lake writer rewrites an endpoint's older files before it writes one whose column widened
   * from bigint to double; should that rewrite fail, an older file holds the column as bigint and
   * a newer one as double until compaction retries it. Spark reads neither that mix (merging the
   * schemas fails) nor a bigint file as double, so that one endpoint's table fails meanwhile with
   * an error naming both types, and reads again once the rewrite is done; the other endpoints'
   * tables are not touched.
   */
  @Test
  void anEndpointReadsAgainOnceItsWidenedColumnIsRewrittenAndOthersReadThroughout(@TempDir Path dataDir)
      throws Exception {
    Path table = dataDir.resolve("lake/predictions");
    Path fraud = table.resolve("endpoint=fraud");
    Path bigintFiles = dataDir.resolve("before-widening");
    try (HindsightServer server = LakeSample.start(dataDir, LakeSample.NO_COMPACTION)) {
      IngestClient api = new IngestClient(server.port());
      api.predict("fraud", "f-1", "2026-11-20T08:00:00Z", "{\"score\": 10}");
      server.flushLake();
      LakeFiles.copyTree(fraud, bigintFiles);
      api.predict("fraud", "f-2", "2026-11-21T08:00:00Z", "{\"score\": 2.5}");
      api.predict("churn", "c-1", "2026-11-21T08:00:00Z", "{\"score\": 1}");
      server.flushLake();
    }
    assertThat(LocalSpark.rows(EndpointTables.read(spark, table.toString(), "fraud").selectExpr("prediction_id", "score")
            .orderBy("prediction_id")))
        .as("after the rewrite")
        .containsExactly(List.of("f-1", 10.0), List.of("f-2", 2.5));

    // Put back the bigint file the rewrite replaced: the endpoint as the widening flush left it.
    LakeFiles.deleteTree(fraud.resolve("date=2026-11-20"));
    LakeFiles.copyTree(bigintFiles, fraud);
    assertThat(LakeFiles.physicalTypes(fraud, "score")).containsExactly("DOUBLE", "INT64");

    assertThatThrownBy(() -> EndpointTables.read(spark, table.toString(), "fraud").collectAsList())
        .as("before the rewrite")
        .hasStackTraceContaining("CANNOT_MERGE_INCOMPATIBLE_DATA_TYPE")
        .hasStackTraceContaining("\"BIGINT\" and \"DOUBLE\"");
    assertThat(LocalSpark.rows(EndpointTables.read(spark, table.toString(), "churn").selectExpr("prediction_id", "score")))
        .containsExactly(List.of("c-1", 1L));
  }
}
