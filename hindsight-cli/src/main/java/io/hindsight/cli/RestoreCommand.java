package io.hindsight.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.hindsight.server.backup.Backups;
import io.hindsight.server.objects.ObjectStore;
import io.hindsight.server.objects.S3Location;
import java.io.IOException;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code hindsight restore --from DIR --data-dir DIR}: a backup back into a new data folder. */
@Command(name = "restore", mixinStandardHelpOptions = true, description = "Restore a backup into a new or empty data folder (server stopped).")
final class RestoreCommand implements Callable<Integer> {
  @Option(names = "--from", required = true, description = "The folder or s3://bucket/prefix 'hindsight backup' wrote.")
  String from;

  @Mixin S3Options s3;

  @Option(names = "--data-dir", required = true, description = "The data folder to create; missing or empty.")
  Path dataDir;

  @Override
  public Integer call() {
    try {
      JsonNode manifest;
      if (S3Location.isS3(from)) {
        try (ObjectStore store = ObjectStore.open(s3.settings())) {
          manifest = Backups.restore(S3Location.parse(from), store, dataDir, new ObjectMapper());
        }
      } else {
        manifest = Backups.restore(Path.of(from), dataDir, new ObjectMapper());
      }
      System.out.printf("restored %,d files taken at %s into %s; 'hindsight serve --data-dir %s' replays what was not yet in the lake%n",
          manifest.path("files").asLong(), manifest.path("created_at").asText(), dataDir, dataDir);
      return 0;
    } catch (IOException | IllegalArgumentException e) {
      System.err.println("restore failed: " + e.getMessage());
      return 1;
    }
  }
}
