package io.hindsight.compat;

import io.hindsight.server.objects.LocalS3;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;

/** A Spark session in the test JVM, small and on loopback, as a data scientist's laptop runs it. */
final class LocalSpark {
  private LocalSpark() {}

  static SparkSession start(Path workDir) {
    // Loopback only: the driver, its block manager and the shuffle service never leave 127.0.0.1
    // (SPARK_LOCAL_IP is set for the test JVM in this module's pom).
    return SparkSession.builder()
        .appName("hindsight-lake-compat")
        .master("local[2]")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.driver.host", "127.0.0.1")
        .config("spark.driver.bindAddress", "127.0.0.1")
        .config("spark.sql.shuffle.partitions", "1")
        .config("spark.sql.adaptive.enabled", "false")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.sql.warehouse.dir", workDir.resolve("warehouse").toString())
        .getOrCreate();
  }

  /**
   * Points {@code s3a://} at {@code store}: its endpoint over plain HTTP, path-style bucket
   * addressing, fixed keys (the recipe docs/DEPLOY.md ("Spark") gives for any S3-compatible store).
   */
  static void useS3a(SparkSession spark, LocalS3 store) {
    Configuration hadoop = spark.sparkContext().hadoopConfiguration();
    hadoop.set("fs.s3a.endpoint", store.endpoint().toString());
    hadoop.set("fs.s3a.endpoint.region", LocalS3.REGION);
    hadoop.set("fs.s3a.path.style.access", "true");
    hadoop.set("fs.s3a.connection.ssl.enabled", "false");
    hadoop.set("fs.s3a.aws.credentials.provider", "org.apache.hadoop.fs.s3a.SimpleAWSCredentialsProvider");
    hadoop.set("fs.s3a.access.key", LocalS3.ACCESS_KEY);
    hadoop.set("fs.s3a.secret.key", LocalS3.SECRET_KEY);
    // Hadoop keeps one file system per bucket for the whole JVM: a store of an earlier test, on another
    // port, would answer for this one.
    hadoop.setBoolean("fs.s3a.impl.disable.cache", true);
  }

  /** Rows of a frame as lists of plain Java values, for assertions. */
  static List<List<Object>> rows(Dataset<Row> frame) {
    List<List<Object>> out = new ArrayList<>();
    for (Row r : frame.collectAsList()) {
      List<Object> values = new ArrayList<>();
      for (int i = 0; i < r.length(); i++) {
        values.add(r.get(i));
      }
      out.add(values);
    }
    return out;
  }
}
