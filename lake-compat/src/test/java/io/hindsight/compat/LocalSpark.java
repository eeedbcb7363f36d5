package io.hindsight.compat;

import java.nio.file.Path;
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
}
