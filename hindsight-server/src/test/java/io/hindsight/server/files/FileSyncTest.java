package io.hindsight.server.files;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.hindsight.server.SmallDisk;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A write that fails for room on a real full disk leaves neither its target changed nor a half-written file. */
class FileSyncTest {
  @TempDir Path dir;

  @Test
  void anAtomicWriteThatDoesNotFitLeavesTheOldFileAndNothingElse() throws Exception {
    try (SmallDisk disk = new SmallDisk(dir.resolve("disk"), "1m")) {
      Path target = disk.root.resolve("settings.json");
      FileSync.writeAtomically(target, "{\"v\": 1}".getBytes());
      for (int attempt = 0; attempt < 3; attempt++) {
        assertThatThrownBy(() -> FileSync.writeAtomically(target, new byte[2 << 20])).isInstanceOf(IOException.class);
      }
      assertThat(Files.readString(target)).isEqualTo("{\"v\": 1}");
      try (Stream<Path> files = Files.list(disk.root)) {
        assertThat(files.map(p -> p.getFileName().toString()).toList()).containsExactly("settings.json");
      }
    }
  }
}
