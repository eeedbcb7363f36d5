package io.hindsight.server.backup;

import io.hindsight.server.files.DataFolderLock;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;

/**
 * The instant of a backup: every file of the data folder hard-linked into a staging folder with
 * its length at that instant. Taken while nothing writes (see {@link Backups}), it costs a link
 * per file; the copy then reads the links at leisure. A link keeps a file that compaction or log
 * truncation deletes meanwhile, files replaced by rename keep their old content under the link,
 * and files that only grow (log segments, audit hashes) are copied up to the recorded length.
 */
final class Snapshot {
  /** A file of the snapshot: its path relative to the data folder and its length at the instant. */
  record Entry(String path, long bytes) {}

  /** What of the data folder is derived, scratch or the running server's own, never backed up. */
  static final Set<String> SKIPPED = Set.of("tmp", "lake/.metric-store", "lake/.fresh", DataFolderLock.FILE);

  private Snapshot() {}

  /** Links every file of {@code dataDir} (but {@link #SKIPPED} and {@code skip}) into {@code staging}. */
  static List<Entry> link(Path dataDir, Path staging, Set<Path> skip) throws IOException {
    List<Entry> entries = new ArrayList<>();
    List<Path> files;
    try (Stream<Path> s = Files.walk(dataDir)) {
      files = s.filter(Files::isRegularFile).filter(f -> !skipped(dataDir.relativize(f)) && !skip.contains(f)).toList();
    }
    for (Path f : files) {
      Path rel = dataDir.relativize(f);
      Path link = staging.resolve(rel);
      Files.createDirectories(link.getParent());
      try {
        long bytes = Files.size(f);
        Files.createLink(link, f);
        entries.add(new Entry(rel.toString().replace('\\', '/'), bytes));
      } catch (java.nio.file.NoSuchFileException gone) {
        // Removed between listing and linking: a temporary file of a write that is not running now.
      }
    }
    return entries;
  }

  private static boolean skipped(Path rel) {
    String p = rel.toString().replace('\\', '/');
    return SKIPPED.stream().anyMatch(s -> p.equals(s) || p.startsWith(s + "/")) || rel.getFileName().toString().endsWith(".tmp");
  }
}
