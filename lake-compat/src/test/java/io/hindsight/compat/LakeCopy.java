package io.hindsight.compat;

import io.hindsight.server.objects.ObjectStore;
import io.hindsight.server.objects.S3Location;
import io.hindsight.server.objects.S3Settings;
import java.io.IOException;
import java.nio.file.Path;

/**
 * Puts the lake a server wrote in its data folder into an object store, object for object, with
 * the server's own S3 client: {@code <data-dir>/lake/predictions/...} becomes {@code
 * <lake>/predictions/...}: for a lake arranged by hand first (a state a failed rewrite leaves),
 * which a server writing to its store ({@code lake.uri}) would not produce.
 */
final class LakeCopy {
  private LakeCopy() {}

  /** Uploads every data file of {@code dataDir}'s lake below {@code lake}; returns how many. */
  static int upload(Path dataDir, S3Settings store, S3Location lake) throws IOException {
    Path root = dataDir.resolve("lake");
    int n = 0;
    try (ObjectStore objects = ObjectStore.open(store)) {
      for (Path f : LakeFiles.dataFiles(root)) {
        objects.upload(f, lake.resolve(root.relativize(f).toString().replace('\\', '/')));
        n++;
      }
    }
    return n;
  }
}
