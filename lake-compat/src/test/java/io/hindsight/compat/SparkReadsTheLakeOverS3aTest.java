package io.hindsight.compat;

import io.hindsight.server.objects.LocalS3;
import static org.assertj.core.api.Assertions.assertThat;

import io.hindsight.server.objects.ObjectStore;
import io.hindsight.server.objects.S3Location;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.functions;
import org.apache.spark.sql.types.DataTypes;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The lake in an S3-compatible store (DESIGN §5, §14) read by Spark through {@code s3a://}, with
 * hadoop-aws on the AWS SDK v2 modules: the files a real server with {@code lake.uri:
 * s3://lake/hindsight} put there, in the §5 layout.
 */
class SparkReadsTheLakeOverS3aTest {
  private static final S3Location LAKE = S3Location.parse("s3://lake/hindsight");
  private static final String PREDICTIONS = "s3a://lake/hindsight/predictions";

  private static LocalS3 store;
  private static SparkSession spark;

  @BeforeAll
  static void putTheLakeInTheStore(@TempDir Path dir) throws Exception {
    Path dataDir = dir.resolve("data");
    store = new LocalS3("lake");
    // The server's lake of record is the store (lake.uri): every file is there before it counts.
    LakeSample.writeWithStoppedServer(dataDir, c -> {
      c.lake.uri = LAKE.toString();
      c.lake.s3.endpoint = store.endpoint().toString();
      c.lake.s3.region = LocalS3.REGION;
      c.lake.s3.pathStyle = true;
      c.lake.s3.accessKey = LocalS3.ACCESS_KEY;
      c.lake.s3.secretKey = LocalS3.SECRET_KEY;
    });
    try (ObjectStore objects = ObjectStore.open(store.settings())) {
      // Every data file, and beside the tables the catalog of schemas (_catalog/), which readers skip.
      assertThat(objects.list(LAKE).stream().filter(o -> !LAKE.relativeKey(o.location().key()).startsWith("_")))
          .hasSize(LakeFiles.dataFiles(dataDir.resolve("lake")).size());
    }
    spark = LocalSpark.start(dir.resolve("spark"));
    LocalSpark.useS3a(spark, store);
  }

  @AfterAll
  static void stop() throws Exception {
    if (spark != null) {
      spark.stop();
    }
    if (store != null) {
      store.close();
    }
  }

  @Test
  void readsEachEndpointAsATable() throws Exception {
    assertThat(EndpointTables.endpoints(spark, PREDICTIONS)).containsExactly("churn", "fraud");

    Dataset<Row> fraud = EndpointTables.read(spark, PREDICTIONS, "fraud");

    assertThat(fraud.schema().apply("score").dataType()).isEqualTo(DataTypes.DoubleType);
    assertThat(LocalSpark.rows(fraud.groupBy("endpoint").agg(
            functions.count("*"),
            functions.countDistinct("date"),
            functions.count("reviewer"),
            functions.sum("score"))))
        .containsExactly(List.of("fraud", 9L, 3L, 3L, 235.5));
  }

  @Test
  void readsEveryEndpointAndJoinsFeedback() throws Exception {
    EndpointTables.readAll(spark, PREDICTIONS).createOrReplaceTempView("s3_predictions");
    EndpointTables.read(spark, "s3a://lake/hindsight/feedback", "fraud").createOrReplaceTempView("s3_feedback");

    assertThat(LocalSpark.rows(spark.sql("SELECT endpoint, count(*), count(DISTINCT prediction_id) FROM s3_predictions"
            + " GROUP BY endpoint ORDER BY endpoint")))
        .containsExactly(List.of("churn", 2L, 2L), List.of("fraud", 9L, 9L));
    assertThat(LocalSpark.rows(spark.sql("SELECT p.prediction_id, p.model_version, f.is_fraud, f.loss"
            + " FROM s3_predictions p JOIN s3_feedback f"
            + " ON p.endpoint = f.endpoint AND p.prediction_id = f.prediction_id ORDER BY 1")))
        .containsExactly(
            Arrays.asList("fraud-1", "v1", true, 120.5),
            Arrays.asList("fraud-7", "v2", false, 0.0));
  }
}
