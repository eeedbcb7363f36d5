package io.hindsight.server.lake;

import io.hindsight.server.files.Folders;
import io.hindsight.server.ops.Scheduler;
import io.hindsight.server.schema.SchemaRegistry;
import io.hindsight.server.schema.SqlText;
import io.hindsight.server.schema.Table;
import java.io.Closeable;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantLock;
import org.duckdb.DuckDBConnection;

/**
 * Rows acknowledged and not yet in the lake, as Parquet files a query reads beside it, so SQL sees
 * a record as soon as it is acknowledged, however far behind the lake writer is (DESIGN §4).
 *
 * <p>A query takes a {@link Snapshot}: every pending row is then in a fresh file (rows new since
 * the last snapshot are written now, each row once), and per partition with pending rows the
 * snapshot names its lowest pending seq. The query reads the lake files of such a partition whose
 * highest seq lies below it (all placed before the snapshot, see {@link LakeWriter#pendingRows})
 * and the fresh rows at or above it: each row exactly once, whether its lake file lands before,
 * during or after the query. A merge cannot swap files under a running query (it holds the lake's
 * read lock), and a fresh file outlives every snapshot that names it.
 *
 * <p>Fresh files live in a hidden folder of the lake ({@code .fresh}, the only folder query workers
 * may read besides the lake's tables), laid out like the lake so the same Hive columns come out;
 * they hold their rows' seq in {@link #SEQ_COLUMN}, uncompressed and not fsynced
 * (the log is the record). A partition's small files merge once there are several, so a query
 * reads a few files however many snapshots came before it.
 *
 * <p>While queries come, the lake writer makes its files from these ({@link #cover}): a row is then
 * encoded once, into a fresh file, and its lake file is a compressed copy. The lake writer never
 * waits long for them: when a snapshot is writing a large backlog, it encodes its file from the log.
 */
public final class FreshRows implements Closeable {
  /** The column of a fresh file that holds each row's log seq. */
  public static final String SEQ_COLUMN = "_hindsight_seq";

  private final LakeWriter writer;
  private final SchemaRegistry schemas;
  private final DuckDBConnection conn;
  private final ParquetFileWriter files;
  private final Path dir;
  /** Guards the lists of files; held while a snapshot or a cover writes rows. */
  final ReentrantLock lock = new ReentrantLock();
  /** Per partition with fresh files: its files, oldest rows first. */
  private final Map<Partition, List<FreshFile>> byPartition = new HashMap<>();
  /** Files no snapshot will name again, deleted once the last that does is closed. */
  private final List<FreshFile> retired = new ArrayList<>();
  private long nextFileNumber;
  private Clock clock = Clock.systemUTC();
  private volatile long lastQueryMillis = Long.MIN_VALUE / 2;
  private long nextPassMillis;
  private Scheduler.Task task;
  private final AtomicLong rowsWritten = new AtomicLong();

  private static final class FreshFile {
    final Table table;
    final Path path;
    final long minSeq;
    final long maxSeq;
    final long rows;
    /** Open snapshots and covers that name it; changed under the lock only when it grows. */
    final AtomicInteger readers = new AtomicInteger();
    /** Its rows are in the lake (or merged into another file): it goes once no one reads it. */
    volatile boolean retired;

    FreshFile(Table table, Path path, long minSeq, long maxSeq, long rows) {
      this.table = table;
      this.path = path;
      this.minSeq = minSeq;
      this.maxSeq = maxSeq;
      this.rows = rows;
    }
  }

  /**
   * What one query reads beside the lake. {@code firstPendingSeq}: per partition with pending rows,
   * the lowest seq not in the lake; {@code files}: the fresh files of each table. Close it once the
   * query is done.
   */
  public final class Snapshot implements AutoCloseable {
    private final Map<Partition, Long> firstPendingSeq;
    private final Pin named;

    private Snapshot(Map<Partition, Long> firstPendingSeq, List<FreshFile> named) {
      this.firstPendingSeq = Map.copyOf(firstPendingSeq);
      this.named = new Pin(named);
    }

    public Map<Partition, Long> firstPendingSeq() {
      return firstPendingSeq;
    }

    /** The fresh files of {@code table}'s pending rows (rows below their partition's first pending seq included). */
    public List<Path> files(Table table) {
      List<Path> out = new ArrayList<>();
      for (FreshFile f : named.pinned) {
        if (f.table == table) {
          out.add(f.path);
        }
      }
      return out;
    }

    @Override
    public void close() {
      named.close();
    }
  }

  /** @param conn a DuckDB connection of its own, closed with this */
  public FreshRows(LakeWriter writer, SchemaRegistry schemas, Lake lake, DuckDBConnection conn) throws IOException {
    this.writer = writer;
    this.schemas = schemas;
    this.conn = conn;
    this.files = new ParquetFileWriter(conn);
    files.encodeWith(writer.encoder());
    this.dir = lake.root().resolve(".fresh");
    // Whatever an earlier run left is stale: the log replays those rows and they are written again.
    Folders.deleteRecursively(dir);
    Files.createDirectories(dir);
    writer.copyingFrom(this);
  }

  /** The folder of the fresh files, below the lake's root. */
  public Path dir() {
    return dir;
  }

  /** Rows written to fresh files since start: what queries cost beside the lake writer. */
  public long rowsWritten() {
    return rowsWritten.get();
  }

  /** Fresh files kept now. */
  public int fileCount() {
    lock.lock();
    try {
      return byPartition.values().stream().mapToInt(List::size).sum() + retired.size();
    } finally {
      lock.unlock();
    }
  }

  /**
   * While queries come (one in the last {@link #KEEP_WRITING_AFTER_QUERY}), writes the pending rows
   * every {@code period} ahead of them (at most a quarter of the time), so a query writes only what
   * came since; with no query for a while the server writes nothing here.
   */
  public void start(Scheduler scheduler, Duration period) {
    this.clock = scheduler.clock();
    task = scheduler.every("hindsight-fresh-rows", period, () -> {
      long now = clock.millis();
      if (now - lastQueryMillis > KEEP_WRITING_AFTER_QUERY.toMillis() || now < nextPassMillis) {
        return;
      }
      try {
        take(false).close();
      } catch (IOException | RuntimeException e) {
        // The next query writes these rows itself, and reports what fails.
      }
      // At most a quarter of the time: on a machine that is short of CPU, writing ahead must
      // not take what ingest and the lake writer need.
      nextPassMillis = clock.millis() + 3 * (clock.millis() - now);
    });
  }

  /** How long after a query the pending rows keep being written ahead of the next one. */
  static final Duration KEEP_WRITING_AFTER_QUERY = Duration.ofSeconds(30);

  /** Writes the rows new since the last snapshot and names what a query must read beside the lake. */
  public Snapshot take() throws IOException {
    return take(true);
  }

  private Snapshot take(boolean forQuery) throws IOException {
    lock.lock();
    try {
      return takeLocked(forQuery);
    } finally {
      lock.unlock();
    }
  }

  private Snapshot takeLocked(boolean forQuery) throws IOException {
    if (forQuery) {
      lastQueryMillis = clock.millis();
    }
    LakeWriter.Pending pending = writer.pendingAbove(this::heldUpTo);
    Map<Partition, Long> first = pending.firstSeq();
    List<FreshFile> named = new ArrayList<>();
    try {
      for (Map.Entry<Partition, Long> e : first.entrySet()) {
        Partition p = e.getKey();
        List<FreshFile> kept = byPartition.computeIfAbsent(p, k -> new ArrayList<>());
        retireBelow(kept, e.getValue());
        writeNewRows(p, pending.newRows().getOrDefault(p, List.of()), kept, Long.MAX_VALUE);
        named.addAll(kept);
      }
    } catch (SQLException e) {
      throw new IOException("could not write the rows not yet in the lake for the query: " + e.getMessage(), e);
    }
    // Partitions without pending rows have every row in the lake.
    for (Iterator<Map.Entry<Partition, List<FreshFile>>> it = byPartition.entrySet().iterator(); it.hasNext(); ) {
      Map.Entry<Partition, List<FreshFile>> e = it.next();
      if (!first.containsKey(e.getKey())) {
        e.getValue().forEach(this::retire);
        it.remove();
      }
    }
    Snapshot snapshot = new Snapshot(first, named);
    deleteUnread();
    return snapshot;
  }

  /** The highest seq the fresh files of {@code p} hold; under the lock. */
  private long heldUpTo(Partition p) {
    List<FreshFile> kept = byPartition.get(p);
    return kept == null || kept.isEmpty() ? Long.MIN_VALUE : kept.get(kept.size() - 1).maxSeq;
  }

  /**
   * Writes the rows of {@code p} among {@code pending} that no fresh file holds yet, up to seq
   * {@code upToSeq}, to a new fresh file: only the rows new since the newest file are sorted and
   * written, a few however long the backlog.
   */
  private void writeNewRows(Partition p, List<LakeWriter.RowRef> pending, List<FreshFile> kept, long upToSeq)
      throws SQLException, IOException {
    long converted = kept.isEmpty() ? Long.MIN_VALUE : kept.get(kept.size() - 1).maxSeq;
    List<LakeWriter.RowRef> unwritten = new ArrayList<>();
    for (LakeWriter.RowRef r : pending) {
      if (r.seq() > converted && r.seq() <= upToSeq) {
        unwritten.add(r);
      }
    }
    if (unwritten.isEmpty()) {
      return;
    }
    unwritten.sort(Comparator.comparingLong(LakeWriter.RowRef::seq));
    LakeWriter.Buffer fresh = new LakeWriter.Buffer();
    unwritten.forEach(fresh::add);
    Path file = fileFor(p, fresh.minSeq, fresh.maxSeq);
    files.writeFresh(schemas.schema(p.table(), p.endpoint()), fresh, file);
    kept.add(new FreshFile(p.table(), file, fresh.minSeq, fresh.maxSeq, fresh.size()));
    rowsWritten.addAndGet(fresh.size());
    mergeSmall(p, kept);
  }

  /**
   * Fresh files that hold every row of {@code p} with a seq from {@code minSeq}, its lowest row not
   * in the lake, to {@code maxSeq}, kept from deletion until the cover is closed; null when they
   * do not. While queries come, the rows above the newest fresh file are written to one first, so
   * the lake writer copies its file from the fresh files and each row is encoded once.
   *
   * <p>Null as well when a snapshot keeps the lock past {@link #COVER_WAIT}: one that writes a large
   * backlog (the first query after a restart or after a burst) takes seconds, and the lake writer
   * stalled behind it would let the backlog grow until ingest is refused.
   */
  Pin cover(Partition p, long minSeq, long maxSeq) throws IOException {
    try {
      if (!lock.tryLock(COVER_WAIT.toMillis(), TimeUnit.MILLISECONDS)) {
        coversSkipped.incrementAndGet();
        return null;
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return null;
    }
    try {
      return coverLocked(p, minSeq, maxSeq);
    } finally {
      lock.unlock();
    }
  }

  /** How long the lake writer waits for a snapshot before it encodes its file from the log. */
  static final Duration COVER_WAIT = Duration.ofSeconds(1);

  private final AtomicLong coversSkipped = new AtomicLong();

  /** Lake files encoded from the log because a snapshot held the fresh files longer than {@link #COVER_WAIT}. */
  public long coversSkipped() {
    return coversSkipped.get();
  }

  private Pin coverLocked(Partition p, long minSeq, long maxSeq) throws IOException {
    List<FreshFile> kept = byPartition.get(p);
    if (kept == null || kept.isEmpty() || kept.get(0).minSeq > minSeq) {
      return null;
    }
    boolean queried = clock.millis() - lastQueryMillis <= KEEP_WRITING_AFTER_QUERY.toMillis();
    if (kept.get(kept.size() - 1).maxSeq < maxSeq && queried) {
      try {
        // Only this partition's new rows: log entries of other partitions are skipped whole.
        LakeWriter.Pending pending = writer.pendingAbove(q -> q.equals(p) ? heldUpTo(p) : Long.MAX_VALUE);
        writeNewRows(p, pending.newRows().getOrDefault(p, List.of()), kept, maxSeq);
      } catch (SQLException e) {
        throw new IOException("could not write the rows not yet in the lake to a fresh file: " + e.getMessage(), e);
      }
    }
    if (kept.get(kept.size() - 1).maxSeq < maxSeq) {
      return null;
    }
    return new Pin(List.copyOf(kept));
  }

  /**
   * Retires the fresh files of {@code p} whose rows are all in the lake now, up to seq {@code
   * maxSeq}: called once those rows have left the writer's pending view, as until then a snapshot
   * still reads them here. Skipped while a snapshot holds the lock: the next call or snapshot
   * retires them.
   */
  void inLake(Partition p, long maxSeq) {
    if (!lock.tryLock()) {
      return;
    }
    try {
      List<FreshFile> kept = byPartition.get(p);
      if (kept != null) {
        retireBelow(kept, maxSeq + 1);
        deleteUnread();
      }
    } finally {
      lock.unlock();
    }
  }

  /** Retires every fresh file: the rows they hold are no longer this writer's to write. */
  void forgetAll() {
    lock.lock();
    try {
      byPartition.values().forEach(files -> files.forEach(this::retire));
      byPartition.clear();
      deleteUnread();
    } finally {
      lock.unlock();
    }
  }

  /** Fresh files kept from deletion until this is closed. */
  final class Pin implements AutoCloseable {
    private final List<FreshFile> pinned;
    private final AtomicBoolean closed = new AtomicBoolean();

    private Pin(List<FreshFile> pinned) {
      this.pinned = pinned;
      pinned.forEach(f -> f.readers.incrementAndGet());
    }

    List<Path> files() {
      return pinned.stream().map(f -> f.path).toList();
    }

    /**
     * Without the lock: a query that is done must not wait for another one writing its fresh rows
     * (at high rates a fifth of the queries' time went there). A retired file this was the last to
     * read goes at once; its entry leaves the list at the next pass under the lock.
     */
    @Override
    public void close() {
      if (closed.compareAndSet(false, true)) {
        for (FreshFile f : pinned) {
          if (f.readers.decrementAndGet() == 0 && f.retired) {
            delete(f);
          }
        }
      }
    }
  }

  /** Retires the files whose rows are all in the lake (below the partition's first pending seq). */
  private void retireBelow(List<FreshFile> kept, long firstPendingSeq) {
    while (!kept.isEmpty() && kept.get(0).maxSeq < firstPendingSeq) {
      retire(kept.remove(0));
    }
  }

  /** A fresh file with fewer rows than this is small: small files merge, larger ones wait for the lake. */
  static final long SMALL_FILE_ROWS = 20_000;

  /** Small files of one size class at the end of a partition's list that are merged into one. */
  static final int SMALL_FILES_TO_MERGE = 8;

  /**
   * Merges the newest small files of a partition once {@link #SMALL_FILES_TO_MERGE} of them are of
   * one size class (their row counts within a factor of 8), then the merged file with its class if
   * that completes one: a client that queries back to back leaves one small file a query, and a
   * query then reads a few dozen files at most, each row rewritten about once per class it climbs.
   * (Merging the growing newest file again and again instead rewrote each row up to ten times.)
   */
  private void mergeSmall(Partition p, List<FreshFile> kept) throws SQLException, IOException {
    while (true) {
      int end = kept.size();
      int sizeClass = sizeClass(kept.get(end - 1).rows);
      int from = end;
      while (from > 0 && kept.get(from - 1).rows < SMALL_FILE_ROWS && sizeClass(kept.get(from - 1).rows) == sizeClass) {
        from--;
      }
      if (end - from < SMALL_FILES_TO_MERGE) {
        return;
      }
      merge(p, kept, from);
    }
  }

  /** Row counts in one class are within a factor of 8 of each other. */
  private static int sizeClass(long rows) {
    return (63 - Long.numberOfLeadingZeros(Math.max(1, rows))) / 3;
  }

  /** Merges the files of {@code p} from index {@code from} to the end of {@code kept} into one. */
  private void merge(Partition p, List<FreshFile> kept, int from) throws SQLException, IOException {
    List<FreshFile> small = new ArrayList<>(kept.subList(from, kept.size()));
    FreshFile oldest = small.get(0);
    FreshFile newest = small.get(small.size() - 1);
    Path merged = fileFor(p, oldest.minSeq, newest.maxSeq);
    Path tmp = Lake.tempFor(merged);
    List<String> names = small.stream().map(f -> SqlText.string(f.path.toString())).toList();
    long rows = small.stream().mapToLong(f -> f.rows).sum();
    files.threadsFor(rows); // the connection is the file writer's
    try (Statement st = conn.createStatement()) {
      st.execute(
          "COPY (SELECT * FROM read_parquet([" + String.join(", ", names)
              + "], hive_partitioning = false, union_by_name = true)) TO " + SqlText.string(tmp.toString())
              + " (FORMAT parquet, COMPRESSION uncompressed)");
    }
    Files.move(tmp, merged, StandardCopyOption.ATOMIC_MOVE);
    kept.subList(from, kept.size()).clear();
    kept.add(new FreshFile(p.table(), merged, oldest.minSeq, newest.maxSeq, rows));
    rowsRewritten.addAndGet(rows);
    small.forEach(this::retire);
  }

  private final AtomicLong rowsRewritten = new AtomicLong();

  /** Rows copied again by merges of small fresh files since start. */
  long rowsRewritten() {
    return rowsRewritten.get();
  }

  /** A new file of a partition, in the folder the lake's layout gives it, below {@link #dir}. */
  private Path fileFor(Partition p, long minSeq, long maxSeq) throws IOException {
    Path folder = dir.resolve(p.folder());
    Files.createDirectories(folder);
    return folder.resolve(String.format("fresh-%020d-%020d-%d.parquet", minSeq, maxSeq, nextFileNumber++));
  }

  private void retire(FreshFile f) {
    f.retired = true;
    retired.add(f);
  }

  /** Deletes the retired files no one reads; no one starts reading a retired file. */
  private void deleteUnread() {
    for (Iterator<FreshFile> it = retired.iterator(); it.hasNext(); ) {
      FreshFile f = it.next();
      if (f.readers.get() == 0) {
        delete(f);
        it.remove();
      }
    }
  }

  private static void delete(FreshFile f) {
    try {
      Files.deleteIfExists(f.path);
    } catch (IOException e) {
      // Left for the next start, which empties the folder.
    }
  }

  @Override
  public void close() {
    if (task != null) {
      task.cancel();
    }
    lock.lock();
    try {
      files.close();
    } catch (SQLException e) {
      // closing
    } finally {
      lock.unlock();
    }
  }
}
