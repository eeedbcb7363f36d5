package io.hindsight.server.transport;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * DESIGN §14: every record an ingest node acknowledged is in the lake exactly once, through kill -9
 * of ingest nodes and writers at any moment under load ({@link KillsUnderLoad}), with the two
 * writers sharing one lake folder. The same on a lake in an S3-compatible store, read back by
 * Spark, is in the lake compatibility tests.
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class KafkaCrashTest {
  @TempDir Path dir;

  @Test
  void everyAcknowledgedRecordIsInTheLakeOnceThroughKillsOfIngestNodesAndWriters() throws Exception {
    Path lake = Files.createDirectories(dir.resolve("shared-lake"));
    Path[] writerDirs = {dir.resolve("writer-1"), dir.resolve("writer-2")};
    for (Path w : writerDirs) {
      // The writers share the lake's tables through links; each keeps its own hidden folders (the
      // metric store's links) beside them.
      for (String table : List.of("predictions", "feedback", "events")) {
        Files.createDirectories(w.resolve("lake"));
        Files.createSymbolicLink(w.resolve("lake").resolve(table), Files.createDirectories(lake.resolve(table)));
      }
    }
    KillsUnderLoad run = new KillsUnderLoad(dir);
    Set<String> acked = run.run(writerDirs, () -> lake);
    run.assertOnceEach(acked, lake);
  }
}
