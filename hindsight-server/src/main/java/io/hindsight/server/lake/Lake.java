package io.hindsight.server.lake;

import io.hindsight.server.files.FileSync;
import io.hindsight.server.schema.Table;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Lock;
import java.util.concurrent.locks.ReadWriteLock;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.stream.Stream;

/**
 * The lake folder and its layout (DESIGN §5): {@code lake/<table>/endpoint=<e>/date=<d>/part-*.parquet}.
 * Data files are named {@code part-<highest row seq>-<random>.parquet}; the seq tells recovery
 * which logged rows a partition already holds. Files being written carry a leading dot and a
 * {@code .tmp} suffix, which no reader's glob or Hive listing picks up.
 *
 * <p>Adding a file is atomic (a rename), so it needs no coordination with readers. Replacing
 * files (compaction) takes the write side of {@link #swapLock()}; queries hold the read side, so
 * a query never sees both a merged file and its inputs, nor loses a file mid-scan.
 */
public final class Lake {
  static final String DATA_PREFIX = "part-";
  static final String DATA_SUFFIX = ".parquet";

  /**
   * How lake files are compressed: zstd level 1, which in DuckDB's Parquet writer gives files about
   * 4 % smaller than zstd's default level 3, and is no slower (docs/BENCHMARKS.md).
   */
  public static final String ZSTD = "COMPRESSION zstd, COMPRESSION_LEVEL 1";

  /**
   * {@code COPY} options of lake files made from other lake files (merges, retention's rewrites):
   * row groups of 16,384 rows instead of DuckDB's 122,880, so that a point lookup, which min/max
   * statistics narrow to one row group of a merged file (two or three where its ids came in order
   * and were not sorted), reads little.
   */
  public static final String REWRITTEN_FILE_OPTIONS = "FORMAT parquet, " + ZSTD + ", ROW_GROUP_SIZE 16384";

  private final Path root;
  private final LakeStore store;
  private final ReadWriteLock swapLock = new ReentrantReadWriteLock();

  /** A lake kept in the local folder alone. */
  public Lake(Path root) throws IOException {
    this(root, LakeStore.LOCAL);
  }

  /**
   * A lake whose files are kept of record in {@code store}; the local folder is the working copy
   * and the query cache. Every file the lake gains is in the store before it is in the folder
   * ({@link #publish}); every file it loses leaves the store first ({@link #unpublish}).
   */
  public Lake(Path root, LakeStore store) throws IOException {
    this.root = root;
    this.store = store;
    for (Table t : Table.values()) {
      FileSync.createDirectoriesDurably(root.resolve(t.dirName()));
    }
  }

  public LakeStore store() {
    return store;
  }

  /** A lake file's name in the store: its path below the root, with {@code /} separators. */
  String storeName(Path file) {
    return root.toAbsolutePath().relativize(file.toAbsolutePath()).toString().replace(java.io.File.separatorChar, '/');
  }

  /**
   * Puts a finished file ({@code written}, a temporary name) in the store as {@code target}, then
   * renames it into place; if the store does not take it, the temporary file is removed and
   * nothing counts as written.
   */
  public void publish(Path written, Path target) throws IOException {
    try {
      store.put(storeName(target), written);
    } catch (IOException | RuntimeException e) {
      Files.deleteIfExists(written);
      throw e;
    }
    FileSync.moveDurably(written, target);
  }

  /** Puts {@code content} in the store as {@code target} without placing it locally yet (a merge's output). */
  void upload(Path content, Path target) throws IOException {
    store.put(storeName(target), content);
  }

  /** Removes lake files from the store, before they are deleted locally. */
  public void unpublish(List<Path> files) throws IOException {
    for (Path f : files) {
      store.delete(storeName(f));
    }
  }

  /** Whether a store name ({@code <table>/endpoint=<e>[/date=<d>]/part-….parquet}) is a data file of {@code table}. */
  static boolean isLakeFileName(String name, Table table) {
    String[] parts = name.split("/", -1);
    int depth = table.partitionedByDate() ? 4 : 3;
    return parts.length == depth
        && parts[0].equals(table.dirName())
        && parts[1].startsWith("endpoint=")
        && (!table.partitionedByDate() || parts[2].startsWith("date="))
        && isDataFile(Path.of(parts[depth - 1]));
  }

  public Path root() {
    return root;
  }

  public ReadWriteLock swapLock() {
    return swapLock;
  }

  /**
   * Takes the write side of {@link #swapLock()} within {@code pollFor} and then {@code
   * thenQueueFor}, or returns false. For {@code pollFor} it asks again every millisecond rather
   * than queueing: a queued writer makes each new reader wait behind it, so a merge waiting for one
   * long query would hold up every query and lookup until then. Only then does it wait in the
   * lock's queue, so that queries overlapping without a pause cannot keep it out.
   */
  public boolean tryLockSwap(Duration pollFor, Duration thenQueueFor) throws InterruptedException {
    return pollSwap(pollFor) || swapLock.writeLock().tryLock(thenQueueFor.toNanos(), TimeUnit.NANOSECONDS);
  }

  /**
   * Takes the write side of {@link #swapLock()} for an edit that must happen: as {@link
   * #tryLockSwap}, then for as long as it takes; the lock to release.
   */
  public Lock lockSwap() {
    Lock write = swapLock.writeLock();
    try {
      if (pollSwap(POLL_BEFORE_QUEUEING)) {
        return write;
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    write.lock();
    return write;
  }

  private static final Duration POLL_BEFORE_QUEUEING = Duration.ofSeconds(1);

  private boolean pollSwap(Duration wait) throws InterruptedException {
    long deadline = System.nanoTime() + wait.toNanos();
    Lock write = swapLock.writeLock();
    while (!write.tryLock()) {
      if (System.nanoTime() >= deadline) {
        return false;
      }
      Thread.sleep(1);
    }
    return true;
  }

  public Path tableDir(Table table) {
    return root.resolve(table.dirName());
  }

  public Path dir(Partition p) {
    return root.resolve(p.folder());
  }

  /** A fresh data file name for rows up to {@code maxSeq}. */
  static String dataFileName(long maxSeq) {
    return String.format(
        "%s%020d-%s%s", DATA_PREFIX, maxSeq, UUID.randomUUID().toString().substring(0, 8), DATA_SUFFIX);
  }

  /** A temporary name for a file being written next to its final name. */
  public static Path tempFor(Path finalPath) {
    return finalPath.resolveSibling("." + finalPath.getFileName() + ".tmp");
  }

  static boolean isDataFile(Path p) {
    String n = p.getFileName().toString();
    return n.startsWith(DATA_PREFIX) && n.endsWith(DATA_SUFFIX);
  }

  /** The highest row seq a data file holds, read from its name. */
  public static long maxSeqOf(Path dataFile) {
    String n = dataFile.getFileName().toString();
    return Long.parseLong(n.substring(DATA_PREFIX.length(), DATA_PREFIX.length() + 20));
  }

  /** Every partition folder of a table. */
  public List<Partition> partitions(Table table) throws IOException {
    List<Partition> out = new ArrayList<>();
    Path tdir = tableDir(table);
    try (Stream<Path> endpoints = Files.list(tdir)) {
      for (Path e : (Iterable<Path>) endpoints::iterator) {
        String en = e.getFileName().toString();
        if (!Files.isDirectory(e) || !en.startsWith("endpoint=")) {
          continue;
        }
        String endpoint = en.substring("endpoint=".length());
        if (!table.partitionedByDate()) {
          out.add(new Partition(table, endpoint, null));
          continue;
        }
        try (Stream<Path> dates = Files.list(e)) {
          for (Path d : (Iterable<Path>) dates::iterator) {
            String dn = d.getFileName().toString();
            if (Files.isDirectory(d) && dn.startsWith("date=")) {
              out.add(new Partition(table, endpoint, LocalDate.parse(dn.substring("date=".length()))));
            }
          }
        }
      }
    }
    return out;
  }

  /** The data files of a partition, oldest rows first. */
  public List<Path> dataFiles(Partition p) throws IOException {
    Path d = dir(p);
    if (!Files.isDirectory(d)) {
      return List.of();
    }
    try (Stream<Path> s = Files.list(d)) {
      return s.filter(Lake::isDataFile).sorted().toList();
    }
  }

  private final java.util.Set<Table> tablesWithData = java.util.concurrent.ConcurrentHashMap.newKeySet();

  /** Whether a table is known to have data files, without touching the disk. */
  boolean hasDataFast(Table table) {
    return tablesWithData.contains(table);
  }

  void markHasData(Table table) {
    tablesWithData.add(table);
  }

  /** After files were deleted: whether the table still has files is looked up again. */
  public void recheckData(Table table) {
    tablesWithData.remove(table);
  }

  /** An edit of the lake's files (see {@code LakeWriter.betweenFlushes}, {@code CompactionJob.betweenMerges}). */
  @FunctionalInterface
  public interface Edit<T> {
    T run() throws IOException;
  }

  /** Whether a table has at least one data file. */
  public boolean hasData(Table table) {
    if (tablesWithData.contains(table)) {
      return true;
    }
    try {
      for (Partition p : partitions(table)) {
        if (!dataFiles(p).isEmpty()) {
          tablesWithData.add(table);
          return true;
        }
      }
      return false;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * For each partition, the highest row seq its files hold; rows above it must be replayed. With
   * a store of record, its files count too: on a prefix several writers share, a partition may
   * have been fed by another writer whose files this folder never held.
   */
  public Map<Partition, Long> flushedSeqByPartition() throws IOException {
    Map<Partition, Long> out = new HashMap<>();
    for (Table t : Table.values()) {
      for (Partition p : partitions(t)) {
        for (Path f : dataFiles(p)) {
          out.merge(p, maxSeqOf(f), Math::max);
        }
      }
    }
    if (store.remote()) {
      for (String name : store.list().keySet()) {
        out.merge(partitionOfName(name), maxSeqOf(Path.of(name)), Math::max);
      }
    }
    return out;
  }

  /** The partition of a data file's name in the store ({@code <table>/endpoint=<e>[/date=<d>]/part-...}). */
  static Partition partitionOfName(String name) {
    String[] parts = name.split("/");
    Table table = Table.ofDirName(parts[0]);
    String endpoint = parts[1].substring("endpoint=".length());
    return new Partition(table, endpoint, table.partitionedByDate() ? LocalDate.parse(parts[2].substring("date=".length())) : null);
  }

  /** Removes temporary files a crash left behind; they were never visible to anyone. */
  public void removeLeftovers() throws IOException {
    try (Stream<Path> s = Files.walk(root)) {
      for (Path p : (Iterable<Path>) s::iterator) {
        String n = p.getFileName().toString();
        if (n.startsWith(".") && n.endsWith(".tmp")) {
          Files.deleteIfExists(p);
        }
      }
    }
  }
}
