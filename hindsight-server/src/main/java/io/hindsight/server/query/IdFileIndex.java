package io.hindsight.server.query;

import io.hindsight.server.lake.Lake;
import io.hindsight.server.lake.Partition;
import io.hindsight.server.ops.Scheduler;
import io.hindsight.server.schema.SqlText;
import io.hindsight.server.schema.Table;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;
import org.apache.datasketches.filters.bloomfilter.BloomFilter;
import org.apache.datasketches.filters.bloomfilter.BloomFilterBuilder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Which files of the lake may hold a prediction id, so that a point lookup opens the one file
 * that holds it instead of every file of the endpoint: a Bloom filter of the ids of each
 * prediction and feedback file, kept in memory: 1.8 MB per million ids at a false-positive rate
 * of {@value #FALSE_POSITIVE_RATE} per file.
 *
 * <p>The filters are derived data and never the truth about which files exist: a lookup lists
 * the partition folders it may touch and checks each file found there against its filter, kept
 * only while the file's size and modification time are unchanged. A file without a filter (just
 * written, merged, rewritten by an erasure, or beyond the memory budget) is simply read, so a
 * missing, stale or partial index slows a lookup down but never loses a record; removed files are
 * not listed and so never read. A periodic {@link #catchUp} pass builds filters for new files
 * (all of them after a start) and forgets removed ones; the writer and compaction need no hooks.
 *
 * <p>A filter is built from the id column as DuckDB reads it (about 0.21 µs per id here, 21 s
 * for 100M ids after a start) and asked in the JVM, so a lookup needs no query of its own to
 * choose its files.
 */
public final class IdFileIndex {
  private static final Logger log = LoggerFactory.getLogger(IdFileIndex.class);
  /** Per file: a lookup reads a file that does not hold its id this often. */
  static final double FALSE_POSITIVE_RATE = 0.001;
  private static final List<Table> TABLES = List.of(Table.PREDICTIONS, Table.FEEDBACK);
  /** One seed for every filter, so which files a lookup reads does not vary from run to run. */
  private static final long SEED = 0x6869_6E64_7369_6768L;

  private final Lake lake;
  private final QueryEngine engine;
  private final long maxBytes;
  private final Map<Path, FileFilter> filters = new ConcurrentHashMap<>();
  private final AtomicLong bytes = new AtomicLong();
  private final AtomicLong unindexedReads = new AtomicLong();
  private final AtomicLong filesRead = new AtomicLong();
  private volatile long overBudget;
  private volatile boolean closed;
  /** Whether a first pass (all files after a start) has completed. */
  private boolean built;
  private Scheduler.Task task;

  /** A file's ids, valid while the file has this size and modification time. */
  private record FileFilter(long size, long modifiedMillis, BloomFilter ids, long bytes) {
    boolean describes(BasicFileAttributes a) {
      return a.size() == size && a.lastModifiedTime().toMillis() == modifiedMillis;
    }
  }

  /**
   * @param maxBytes memory the filters may take ({@code query.lookup-index-max-bytes}); files
   *     beyond it get no filter and are read by every lookup of their partitions
   */
  public IdFileIndex(Lake lake, QueryEngine engine, long maxBytes) {
    this.lake = lake;
    this.engine = engine;
    this.maxBytes = maxBytes;
  }

  /** Builds filters for new files every {@code period}, starting with every file there is. */
  public void start(Scheduler scheduler, Duration period) {
    task = scheduler.every("hindsight-lookup-index", period, this::catchUp);
  }

  /**
   * The data files of an endpoint's table that may hold the id: of one date's partition, or of
   * all when {@code date} is null. Files the index does not know are included.
   */
  List<Path> candidates(Table table, String endpoint, LocalDate date, String id) throws IOException {
    List<Path> out = new ArrayList<>();
    for (Partition p : partitions(table, endpoint, date)) {
      for (Path file : dataFiles(p)) {
        BasicFileAttributes attrs;
        try {
          attrs = Files.readAttributes(file, BasicFileAttributes.class);
        } catch (NoSuchFileException removedMeanwhile) {
          continue;
        }
        FileFilter f = filters.get(file);
        if (f == null || !f.describes(attrs)) {
          unindexedReads.incrementAndGet();
          out.add(file);
        } else if (f.ids().query(id)) {
          out.add(file);
        }
      }
    }
    filesRead.addAndGet(out.size());
    return out;
  }

  /**
   * Builds filters for every prediction and feedback file that has none (or whose file changed)
   * and forgets the filters of files that are gone. Run periodically; a failure on one file is
   * logged and that file is tried again next time.
   */
  public void catchUp() {
    long start = System.nanoTime();
    Set<Path> seen = new HashSet<>();
    long skipped = 0;
    try {
      for (Table table : TABLES) {
        for (Partition p : lake.partitions(table)) {
          for (Path file : lake.dataFiles(p)) {
            if (closed) {
              return;
            }
            seen.add(file);
            skipped += index(file) ? 0 : 1;
          }
        }
      }
    } catch (IOException | UncheckedIOException e) {
      log.warn("lookup index pass stopped, lookups read the files it did not reach: {}", e.toString());
      return;
    }
    for (Path known : List.copyOf(filters.keySet())) {
      if (!seen.contains(known)) {
        forget(known);
      }
    }
    if (skipped > 0 && overBudget == 0) {
      log.warn(
          "{} lake files have no lookup index: it is at its limit of {} bytes (query.lookup-index-max-bytes);"
              + " lookups read those files whole",
          skipped, maxBytes);
    }
    overBudget = skipped;
    if (!built) {
      built = true;
      log.info(
          "lookup index covers {} lake files ({} bytes, {} left out by its limit) after {} ms", filters.size(),
          bytes.get(), skipped, (System.nanoTime() - start) / 1_000_000);
    }
  }

  /** Builds the filter of one file unless it has a current one; false when the memory budget is spent. */
  private boolean index(Path file) {
    BasicFileAttributes attrs;
    try {
      attrs = Files.readAttributes(file, BasicFileAttributes.class);
    } catch (IOException gone) {
      forget(file);
      return true;
    }
    FileFilter known = filters.get(file);
    if (known != null && known.describes(attrs)) {
      return true;
    }
    forget(file);
    try {
      long rows = rowCount(file);
      long size = BloomFilterBuilder.getSerializedFilterSizeByAccuracy(Math.max(rows, 1), FALSE_POSITIVE_RATE);
      if (bytes.get() + size > maxBytes) {
        return false;
      }
      BloomFilter ids = BloomFilterBuilder.createByAccuracy(Math.max(rows, 1), FALSE_POSITIVE_RATE, SEED);
      engine.inBackgroundOverFiles(
          conn -> {
            try (Statement st = conn.createStatement();
                ResultSet rs =
                    st.executeQuery(
                        // As UTF-8 bytes, which the filter hashes as it would the string: a BLOB
                        // crosses JDBC without being decoded into a String and encoded again.
                        "SELECT encode(prediction_id) FROM read_parquet("
                            + SqlText.string(file.toAbsolutePath().toString()) + ")")) {
              while (rs.next()) {
                byte[] id = rs.getBytes(1);
                if (id != null) {
                  ids.update(id);
                }
              }
            }
            return null;
          });
      // Only a file unchanged while it was read gets the filter; otherwise the next pass reads it again.
      BasicFileAttributes after = Files.readAttributes(file, BasicFileAttributes.class);
      FileFilter f = new FileFilter(attrs.size(), attrs.lastModifiedTime().toMillis(), ids, size);
      if (f.describes(after) && filters.putIfAbsent(file, f) == null) {
        bytes.addAndGet(size);
      }
    } catch (IOException | RuntimeException e) {
      // Merged or removed meanwhile, or unreadable: lookups read it until a later pass succeeds.
      log.debug("no lookup index for {} yet: {}", file, e.toString());
    }
    return true;
  }

  private long rowCount(Path file) throws IOException {
    return engine.inBackgroundOverFiles(
        conn -> {
          try (Statement st = conn.createStatement();
              ResultSet rs =
                  st.executeQuery(
                      "SELECT sum(num_rows) FROM parquet_file_metadata("
                          + SqlText.string(file.toAbsolutePath().toString()) + ")")) {
            rs.next();
            return rs.getLong(1);
          }
        });
  }

  private void forget(Path file) {
    FileFilter f = filters.remove(file);
    if (f != null) {
      bytes.addAndGet(-f.bytes());
    }
  }

  /** The partitions a lookup may touch: one date's, or every date's of the endpoint. */
  private List<Partition> partitions(Table table, String endpoint, LocalDate date) throws IOException {
    if (date != null) {
      return List.of(new Partition(table, endpoint, date));
    }
    Path endpointDir = lake.dir(new Partition(table, endpoint, null));
    try (Stream<Path> s = Files.list(endpointDir)) {
      return s.map(d -> d.getFileName().toString())
          .filter(n -> n.startsWith("date="))
          .map(n -> new Partition(table, endpoint, LocalDate.parse(n.substring("date=".length()))))
          .toList();
    } catch (NoSuchFileException | java.nio.file.NotDirectoryException none) {
      return List.of();
    }
  }

  private List<Path> dataFiles(Partition p) throws IOException {
    try {
      return lake.dataFiles(p);
    } catch (NoSuchFileException removedMeanwhile) {
      return List.of();
    }
  }

  /** Files with a filter (shown in /metrics). */
  public int files() {
    return filters.size();
  }

  /** Memory the filters take, in bytes (shown in /metrics). */
  public long bytes() {
    return bytes.get();
  }

  /** Files the last pass left without a filter because the memory budget was spent (shown in /metrics). */
  public long overBudget() {
    return overBudget;
  }

  /** Files lookups read, since start (shown in /metrics): about one per lookup and table once indexed. */
  public long filesRead() {
    return filesRead.get();
  }

  /** Files lookups read because they had no current filter, since start (shown in /metrics). */
  public long unindexedReads() {
    return unindexedReads.get();
  }

  /** No further passes; a pass in progress stops at its next file. */
  public void close() {
    closed = true;
    if (task != null) {
      task.cancel();
    }
  }
}
