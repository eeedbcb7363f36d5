package io.hindsight.server.lake;

import io.hindsight.server.files.FileSync;
import io.hindsight.server.ops.Scheduler;
import io.hindsight.server.schema.Table;
import java.io.Closeable;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.locks.Lock;
import java.util.function.BiConsumer;
import java.util.function.Predicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps a node's local lake folder in step with the store of record: lists the store, downloads
 * the files it lacks or whose content changed (a retention rewrite), deletes the files the store
 * no longer has (merged, expired, erased), and tells the query engine to look again. DuckDB keeps
 * reading local files; a node that only reads the lake (query, monitor) runs it every interval,
 * and a writing node runs it once at start to take up what a crash left in the store.
 *
 * <p>New files appear whole (downloaded aside, renamed); deletions and replacements happen under
 * the write side of {@link Lake#swapLock()}, so a query never loses a file mid-scan. Between a
 * merge's upload and the deletion of its inputs in the store, which follow each other at once, a
 * pass may see both; the next pass removes the inputs.
 */
public final class LakeFollower implements Closeable {
  private static final Logger log = LoggerFactory.getLogger(LakeFollower.class);
  /** Names the store a writing node's folder was last in step with (see {@link #recoverWriter}). */
  static final String MARKER = ".lake-store";

  private final Lake lake;
  private final LakeStore store;
  private final Runnable filesChanged;
  /** The store's tag of each local file's content, as last seen. */
  private final Map<String, String> tags = new HashMap<>();
  private volatile BiConsumer<Partition, Path> fileAdded = (p, f) -> {};
  private volatile SharedCatalog catalog;
  private Scheduler.Task task;
  private java.time.Clock clock = java.time.Clock.systemUTC();
  private volatile String problem;
  private long filesDownloaded;
  private long filesRemoved;

  /**
   * @param store the store of record to follow (the lake's own is the local folder on a node that
   *     only reads)
   * @param filesChanged told after a pass added or removed files (the SQL views are rebuilt)
   */
  public LakeFollower(Lake lake, LakeStore store, Runnable filesChanged) {
    this.lake = lake;
    this.store = store;
    this.filesChanged = filesChanged;
  }

  /** Takes up the writer's catalog of schemas at the start of each pass, before the files it describes. */
  public void takingCatalog(SharedCatalog catalog) {
    this.catalog = catalog;
  }

  /** Sets who is told of each file a pass adds (the metric store's {@code WrittenFiles}). */
  public void onFileAdded(BiConsumer<Partition, Path> listener) {
    this.fileAdded = listener;
  }

  /** Follows the store every {@code interval}; a pass that fails is reported and tried again. */
  public void start(Scheduler scheduler, Duration interval) {
    clock = scheduler.clock();
    task = scheduler.every("hindsight-lake-follower", interval, this::catchUpSafely);
  }

  private void catchUpSafely() {
    try {
      catchUp();
      if (problem != null) {
        log.info("lake follower: {} answers again; the local lake is in step", store.describe());
        problem = null;
      }
    } catch (IOException | RuntimeException e) {
      if (problem == null) {
        log.error("lake follower: cannot follow {}: {}; queries answer from the files already here", store.describe(), e.toString());
      }
      problem = "lake follower: cannot follow " + store.describe() + " since " + Instant.now(clock) + " (" + e.getMessage()
          + "); queries answer from the files already here";
    }
  }

  /** What is wrong now (empty when in step), for {@code GET /health}. */
  public List<String> problems() {
    String p = problem;
    return p == null ? List.of() : List.of(p);
  }

  /** Files downloaded since start. */
  public synchronized long filesDownloaded() {
    return filesDownloaded;
  }

  /** Local files removed since start because the store no longer had them. */
  public synchronized long filesRemoved() {
    return filesRemoved;
  }

  /**
   * One pass: the local lake ends holding exactly the store's files, as listed at its start.
   * Returns how many files it added, replaced or removed.
   */
  public synchronized int catchUp() throws IOException {
    if (catalog != null) {
      catalog.take();
    }
    Map<String, LakeStore.Stored> stored = store.list();
    Map<String, Path> local = localFiles();
    List<String> fetch = new ArrayList<>();
    for (Map.Entry<String, LakeStore.Stored> e : stored.entrySet()) {
      String name = e.getKey();
      Path here = local.get(name);
      String known = tags.get(name);
      if (here == null || (known != null && !known.equals(e.getValue().tag())) || Files.size(here) != e.getValue().size()) {
        fetch.add(name);
      } else {
        tags.put(name, e.getValue().tag());
      }
    }
    List<Path> remove = new ArrayList<>();
    local.forEach((name, file) -> {
      if (!stored.containsKey(name)) {
        remove.add(file);
      }
    });
    if (fetch.isEmpty() && remove.isEmpty()) {
      return 0;
    }
    Set<Table> grown = new HashSet<>();
    List<Path> downloaded = new ArrayList<>();
    List<Path> replaced = new ArrayList<>();
    try {
      for (Iterator<String> it = fetch.iterator(); it.hasNext(); ) {
        String name = it.next();
        Path target = lake.root().resolve(name);
        Path aside = Lake.tempFor(target);
        try {
          store.get(name, aside);
        } catch (NoSuchFileException e) {
          // Merged or deleted since the listing: the next pass sees what replaced it.
          it.remove();
          continue;
        }
        downloaded.add(aside);
        if (local.containsKey(name)) {
          replaced.add(target);
        }
      }
      Lock swap = lake.lockSwap();
      try {
        for (int i = 0; i < fetch.size(); i++) {
          String name = fetch.get(i);
          Path target = lake.root().resolve(name);
          FileSync.moveDurably(downloaded.get(i), target);
          tags.put(name, stored.get(name).tag());
          grown.add(tableOf(name));
        }
        for (Path f : remove) {
          Files.deleteIfExists(f);
          tags.remove(lake.storeName(f));
          lake.recheckData(tableOf(lake.storeName(f)));
        }
      } finally {
        swap.unlock();
      }
    } finally {
      for (Path aside : downloaded) {
        Files.deleteIfExists(aside);
      }
    }
    grown.forEach(lake::markHasData);
    filesDownloaded += fetch.size();
    filesRemoved += remove.size();
    for (String name : fetch) {
      Path target = lake.root().resolve(name);
      if (!replaced.contains(target)) {
        fileAdded.accept(Lake.partitionOfName(name), target);
      }
    }
    filesChanged.run();
    log.debug("lake follower: {} files fetched, {} removed from {}", fetch.size(), remove.size(), store.describe());
    return fetch.size() + remove.size();
  }

  /**
   * Brings a writing node's folder in step with its store at start, before the log replays: files
   * a crash left in the store alone (uploaded, not yet renamed into place) are fetched, so their
   * rows are not written twice; files a crash left in the folder alone (deleted from the store,
   * not yet here) are removed. The first time a folder meets a store, its files are uploaded
   * instead: a lake that was kept locally moves to the store.
   */
  public static void recoverWriter(Lake lake) throws IOException {
    LakeStore store = lake.store();
    if (!store.remote()) {
      return;
    }
    Path marker = lake.root().resolve(MARKER);
    byte[] name = store.describe().getBytes(StandardCharsets.UTF_8);
    boolean firstMeeting = !Files.exists(marker) || !java.util.Arrays.equals(Files.readAllBytes(marker), name);
    LakeFollower follower = new LakeFollower(lake, store, () -> {});
    if (firstMeeting) {
      Map<String, LakeStore.Stored> stored = store.list();
      int uploaded = 0;
      for (Map.Entry<String, Path> e : follower.localFiles().entrySet()) {
        if (!stored.containsKey(e.getKey())) {
          store.put(e.getKey(), e.getValue());
          uploaded++;
        }
      }
      if (uploaded > 0) {
        log.info("uploaded the {} files of the local lake to {}, its store from now on", uploaded, store.describe());
      }
    }
    int changed = follower.catchUp();
    if (changed > 0) {
      log.info("took up {} files that an interrupted write or deletion left in {} alone or here alone", changed, store.describe());
    }
    FileSync.writeAtomically(marker, name);
  }

  /**
   * For a writer taking over partitions from another writer that shares its store (behind Kafka):
   * fetches the store's files of the partitions {@code taken} accepts that this folder lacks, so
   * its merges and retention see every file of what it now writes. Nothing is removed: a file held
   * here that the store no longer has (the other writer merged it away) is never merged again, as
   * compaction merges only what the store still has. Returns how many files it fetched.
   */
  public static int takeOver(Lake lake, Predicate<Partition> taken) throws IOException {
    LakeStore store = lake.store();
    if (!store.remote()) {
      return 0;
    }
    int fetched = 0;
    for (String name : store.list().keySet()) {
      Path target = lake.root().resolve(name);
      if (Files.exists(target) || !taken.test(Lake.partitionOfName(name))) {
        continue;
      }
      Path aside = Lake.tempFor(target);
      Files.createDirectories(target.getParent());
      try {
        store.get(name, aside);
      } catch (NoSuchFileException gone) {
        continue;
      }
      FileSync.moveDurably(aside, target);
      lake.markHasData(tableOf(name));
      fetched++;
    }
    if (fetched > 0) {
      log.info("took up {} files of the partitions this writer now writes from {}", fetched, store.describe());
    }
    return fetched;
  }

  /** Every data file of the local lake, by store name. */
  private Map<String, Path> localFiles() throws IOException {
    Map<String, Path> out = new HashMap<>();
    for (Table t : Table.values()) {
      for (Partition p : lake.partitions(t)) {
        for (Path f : lake.dataFiles(p)) {
          out.put(lake.storeName(f), f);
        }
      }
    }
    return out;
  }

  private static Table tableOf(String name) {
    return Table.ofDirName(name.substring(0, name.indexOf('/')));
  }

  @Override
  public void close() {
    if (task != null) {
      task.cancel();
    }
  }
}
