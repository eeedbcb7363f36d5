package io.hindsight.compat;

import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.functions;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;

/**
 * The lake as Spark tables, one per endpoint and kind: the recipe docs/DEPLOY.md ("Spark") tells
 * users to copy. Works on any path Spark reads ({@code file:}, {@code s3a://}).
 *
 * <p>Each endpoint types its keys on its own (DESIGN §6), so one endpoint's files always agree
 * once its widened columns are rewritten, while two endpoints may give one key different types
 * and a plain {@code mergeSchema} read of the whole table fails. {@link #readAll} reads each
 * endpoint on its own and brings a key's types to one: bigint and double to double (the lake's
 * own widening), any other disagreement to string.
 */
final class EndpointTables {
  private static final String ENDPOINT_DIR = "endpoint=";

  private EndpointTables() {}

  /**
   * One endpoint of a table, e.g. {@code read(spark, "s3a://bucket/prefix/predictions", "fraud")}:
   * its files merged (later files may add keys) with {@code endpoint} and {@code date} columns.
   */
  static Dataset<Row> read(SparkSession spark, String table, String endpoint) {
    return spark.read()
        .option("basePath", table)
        .option("mergeSchema", "true")
        .parquet(table + "/" + ENDPOINT_DIR + endpoint);
  }

  /** Every endpoint of a table in one frame, whatever types the endpoints gave a shared key. */
  static Dataset<Row> readAll(SparkSession spark, String table) throws IOException {
    List<Dataset<Row>> parts = new ArrayList<>();
    for (String endpoint : endpoints(spark, table)) {
      parts.add(read(spark, table, endpoint));
    }
    if (parts.isEmpty()) {
      throw new IOException("no endpoint=<name> folders under " + table);
    }
    Map<String, DataType> common = new LinkedHashMap<>();
    for (Dataset<Row> part : parts) {
      for (StructField f : part.schema().fields()) {
        common.merge(f.name(), f.dataType(), EndpointTables::commonType);
      }
    }
    Dataset<Row> all = null;
    for (Dataset<Row> part : parts) {
      Dataset<Row> cast = part.select(castTo(part, common));
      all = all == null ? cast : all.unionByName(cast, true);
    }
    return all;
  }

  /** The endpoints that have a folder in {@code table}. */
  static List<String> endpoints(SparkSession spark, String table) throws IOException {
    Path root = new Path(table);
    FileSystem fs = root.getFileSystem(spark.sparkContext().hadoopConfiguration());
    List<String> out = new ArrayList<>();
    for (FileStatus s : fs.listStatus(root)) {
      String name = s.getPath().getName();
      if (s.isDirectory() && name.startsWith(ENDPOINT_DIR)) {
        out.add(name.substring(ENDPOINT_DIR.length()));
      }
    }
    out.sort(null);
    return out;
  }

  private static Column[] castTo(Dataset<Row> part, Map<String, DataType> common) {
    List<Column> out = new ArrayList<>();
    for (StructField f : part.schema().fields()) {
      DataType target = common.get(f.name());
      out.add(f.dataType().equals(target) ? functions.col(f.name()) : functions.col(f.name()).cast(target).as(f.name()));
    }
    return out.toArray(Column[]::new);
  }

  private static DataType commonType(DataType a, DataType b) {
    if (a.equals(b)) {
      return a;
    }
    if (isNumber(a) && isNumber(b)) {
      return DataTypes.DoubleType;
    }
    return DataTypes.StringType;
  }

  private static boolean isNumber(DataType t) {
    return t.equals(DataTypes.LongType) || t.equals(DataTypes.DoubleType);
  }
}
