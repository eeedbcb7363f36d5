package io.hindsight.compat;

import static org.assertj.core.api.Assertions.assertThat;

import io.hindsight.server.objects.LocalS3;
import io.hindsight.server.objects.ObjectStore;
import io.hindsight.server.objects.S3Location;
import io.hindsight.server.objects.StoredObject;
import io.hindsight.server.transport.KillsUnderLoad;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * DESIGN §14 end to end on one machine: a Kafka broker (KRaft, its own JVM), an S3-compatible
 * store, two ingest nodes and two writers sharing only the store's prefix, under load; each round
 * kills one ingest node and one writer with {@code kill -9} and starts them again. Every record an
 * ingest node acknowledged is in the S3 lake exactly once, and Spark reads it there through
 * {@code s3a://}.
 */
@Timeout(value = 300, unit = TimeUnit.SECONDS)
class ScaleOutOnS3Test {
  private static final S3Location LAKE = S3Location.parse("s3://lake/hindsight");

  @Test
  void everyAcknowledgedRecordIsInTheS3LakeOnceAndSparkReadsIt(@TempDir Path dir) throws Exception {
    try (LocalS3 s3 = new LocalS3("lake")) {
      KillsUnderLoad run = new KillsUnderLoad(dir, s3.endpoint().toString(), LAKE.toString());
      try (ObjectStore store = ObjectStore.open(s3.settings())) {
        Path copy = dir.resolve("store-copy");
        Set<String> acked = run.run(new Path[] {dir.resolve("writer-1"), dir.resolve("writer-2")}, () -> download(store, copy));
        // The store as the stopped writers left it, read once more from scratch.
        run.assertOnceEach(acked, download(store, dir.resolve("store-at-the-end")));
        readWithSpark(s3, acked, dir);
      }
    }
  }

  /** Spark, through {@code s3a://}, finds each acknowledged id in the store's prediction tables once. */
  private static void readWithSpark(LocalS3 s3, Set<String> acked, Path dir) throws Exception {
    SparkSession spark = LocalSpark.start(dir.resolve("spark"));
    try {
      LocalSpark.useS3a(spark, s3);
      Map<String, Long> counts = new HashMap<>();
      for (Row r : EndpointTables.readAll(spark, "s3a://lake/hindsight/predictions").groupBy("prediction_id").count().collectAsList()) {
        counts.put(r.getString(0), r.getLong(1));
      }
      List<String> missing = acked.stream().filter(id -> !counts.containsKey(id)).limit(5).toList();
      assertThat(missing).as("acknowledged, but Spark does not find them in the S3 lake").isEmpty();
      List<String> twice = counts.entrySet().stream().filter(e -> e.getValue() > 1).map(Map.Entry::getKey).limit(5).toList();
      assertThat(twice).as("Spark finds them more than once").isEmpty();
    } finally {
      spark.stop();
    }
  }

  /** The lake's objects into {@code folder}: what is not there yet (data files are never changed in place). */
  private static Path download(ObjectStore store, Path folder) throws IOException {
    for (StoredObject o : store.list(LAKE)) {
      Path target = folder.resolve(LAKE.relativeKey(o.location().key()));
      if (!Files.exists(target)) {
        Files.createDirectories(target.getParent());
        try {
          store.download(o.location(), target);
        } catch (NoSuchFileException mergedSinceListed) {
          // The next listing has the file that replaced it.
        }
      }
    }
    Files.createDirectories(folder.resolve("predictions"));
    return folder;
  }
}
