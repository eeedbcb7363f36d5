package io.hindsight.server.lake;

import io.hindsight.server.files.Folders;
import io.hindsight.server.schema.Table;
import java.io.IOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.locks.Lock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Hands a reader every prediction row the lake writer stores exactly once, as hard links to the
 * files it writes (DESIGN §10's metric store folds new rows into its open windows this way). A
 * link keeps a file's rows readable after compaction merged and deleted the file, and the
 * reader deletes the links once it has read them.
 *
 * <p>A reader that starts over (after a restart or a config change) takes a {@link #snapshot} of
 * an endpoint's partitions: links to every file there, taken with compaction held off, so that
 * no row is in two of its files; files written after it come through {@link #take} as before,
 * and a file both in the snapshot and announced by the writer afterwards is handed out once.
 */
public final class WrittenFiles {
  private static final Logger log = LoggerFactory.getLogger(WrittenFiles.class);
  private final Lake lake;
  private final Path dir;
  /** Links not yet taken, by endpoint. */
  private final Map<String, List<Path>> pending = new HashMap<>();
  /** Endpoints with a file that could not be linked: their reader must take a snapshot. */
  private final Set<String> incomplete = new HashSet<>();
  /** The file names of each endpoint's last snapshot, which the writer may still announce. */
  private final Map<String, Set<String>> snapshotNames = new HashMap<>();
  private long snapshots;

  /**
   * @param dir where the links live (on the lake's file system); emptied now, since a reader
   *     starts over after a restart anyway
   */
  public WrittenFiles(Lake lake, Path dir) throws IOException {
    this.lake = lake;
    this.dir = dir;
    if (Files.exists(dir)) {
      Folders.deleteRecursively(dir);
    }
    Files.createDirectories(dir);
  }

  /** Told by the lake writer of each file it renamed into place; never throws, the file is in the lake. */
  public synchronized void written(Partition p, Path file) {
    if (p.table() != Table.PREDICTIONS) {
      return;
    }
    Set<String> inSnapshot = snapshotNames.get(p.endpoint());
    if (inSnapshot != null && inSnapshot.remove(file.getFileName().toString())) {
      return;
    }
    try {
      pending.computeIfAbsent(p.endpoint(), e -> new ArrayList<>()).add(link(p, file, "new"));
    } catch (NoSuchFileException mergedAlready) {
      // Compaction cannot merge a file before the writer announced it; nothing to hand out.
    } catch (IOException | RuntimeException e) {
      log.warn("cannot link {} for the metric store, which reads the endpoint's day again: {}", file, e.toString());
      incomplete.add(p.endpoint());
    }
  }

  /**
   * What was written since the previous take.
   *
   * @param links by endpoint; the caller deletes them with {@link #release}
   * @param incomplete endpoints whose files could not all be linked: take a {@link #snapshot}
   */
  public record Taken(Map<String, List<Path>> links, Set<String> incomplete) {}

  public synchronized Taken take() {
    Taken out = new Taken(new HashMap<>(pending), new HashSet<>(incomplete));
    pending.clear();
    incomplete.clear();
    return out;
  }

  /**
   * Links to every file of the endpoint's prediction partitions of {@code from..to} (dates,
   * inclusive) now; links not yet taken for the endpoint are dropped, since the snapshot holds
   * their rows.
   */
  public List<Path> snapshot(String endpoint, LocalDate from, LocalDate to) throws IOException {
    Lock swap = lake.swapLock().readLock();
    synchronized (this) {
      swap.lock();
      try {
        release(pending.remove(endpoint));
        incomplete.remove(endpoint);
        Set<String> names = new HashSet<>();
        List<Path> links = new ArrayList<>();
        String tag = "snapshot-" + (++snapshots);
        for (LocalDate d = from; !d.isAfter(to); d = d.plusDays(1)) {
          Partition p = new Partition(Table.PREDICTIONS, endpoint, d);
          for (Path f : lake.dataFiles(p)) {
            links.add(link(p, f, tag));
            names.add(f.getFileName().toString());
          }
        }
        snapshotNames.put(endpoint, names);
        return links;
      } finally {
        swap.unlock();
      }
    }
  }

  /** Deletes links that were read. */
  public void release(List<Path> links) {
    if (links == null) {
      return;
    }
    for (Path l : links) {
      try {
        Files.deleteIfExists(l);
      } catch (IOException e) {
        // A link left behind is removed at the next start.
      }
    }
  }

  /** A link under {@code <dir>/<tag>/endpoint=<e>/date=<d>/}, so Hive partitioning still reads endpoint and date. */
  private Path link(Partition p, Path file, String tag) throws IOException {
    Path folder = dir.resolve(tag).resolve("endpoint=" + p.endpoint()).resolve("date=" + p.date());
    Files.createDirectories(folder);
    Path link = folder.resolve(file.getFileName());
    try {
      return Files.createLink(link, file);
    } catch (FileAlreadyExistsException e) {
      return link;
    } catch (UnsupportedOperationException | java.nio.file.FileSystemException noHardLinks) {
      if (noHardLinks instanceof NoSuchFileException gone) {
        throw gone;
      }
      // A file system without hard links between these folders: a copy reads the same.
      return Files.copy(file, link);
    }
  }

}
