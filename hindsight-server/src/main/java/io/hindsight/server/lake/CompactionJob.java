package io.hindsight.server.lake;

import io.hindsight.server.schema.SqlText;
import io.hindsight.server.files.FileSync;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.hindsight.server.schema.EndpointSchema;
import io.hindsight.server.schema.SchemaRegistry;
import io.hindsight.server.schema.Table;
import java.io.Closeable;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Lock;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Predicate;
import java.util.stream.Stream;
import org.duckdb.DuckDBConnection;
import io.hindsight.server.ops.Scheduler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Merges a partition's small files into one, so a busy endpoint does not end with a million tiny
 * files and queries open few. The merged file is sorted by id (events by time), so that a lookup
 * reads one row group of it, unless its inputs' ids already come in order (see {@link
 * #idsInOrder}); it is written with the endpoint's current column types (so a bigint column that
 * widened to double becomes double in old rows too, which keeps strict readers such as Spark happy).
 *
 * <p>Crash-safe: a journal naming the output and its inputs is written before the output is
 * uploaded to the lake's store and renamed into place; on start-up, a journal whose output exists
 * finishes deleting the inputs (here and in the store), otherwise the merge is undone (its output
 * deleted from the store). The swap itself happens under the lake's swap lock, so no query
 * sees both the merged file and its inputs.
 */
public final class CompactionJob implements Closeable {
  private static final Logger log = LoggerFactory.getLogger(CompactionJob.class);

  /** The folder of the store of record where merges keep their journals while they run. */
  static final String MERGES = "_merges";

  private final Lake lake;
  private final SchemaRegistry schemas;
  private final DuckDBConnection conn;
  private final Path journalDir;
  private final CompactionPolicy policy;
  private final ObjectMapper json = new ObjectMapper();
  private final Scheduler scheduler;
  private Scheduler.Task task;
  /** Held by a pass (and by edits between merges); closing takes it once the pass gave up. */
  private final ReentrantLock pass = new ReentrantLock();
  private volatile boolean closed;
  /** The statement of the merge copying now, for a shutdown to cancel. */
  private volatile Statement copying;
  private Runnable afterSwap = () -> {};
  /** The partitions this node may merge: all, unless writers share the lake (see {@link #mergeOnly}). */
  private volatile Predicate<Partition> mine = p -> true;
  private volatile long merges;
  private volatile long rowsMerged;
  /** Told why a pass failed (a lake file it could not read is named in it). */
  private volatile java.util.function.Consumer<String> failed = message -> {};

  public CompactionJob(Scheduler scheduler, Lake lake, SchemaRegistry schemas, DuckDBConnection conn, Path journalDir, CompactionPolicy policy)
      throws IOException {
    this.lake = lake;
    this.schemas = schemas;
    this.conn = conn;
    this.journalDir = journalDir;
    this.policy = policy;
    Files.createDirectories(journalDir);
    this.scheduler = scheduler;
  }

  /**
   * Finishes or undoes merges a crash interrupted, in the local folder and the store of record: a
   * merge whose output reached the store (of record, or the folder itself) is finished, any other
   * undone. Runs before anything reads the lake, and before each pass for merges whose inputs the
   * store could not delete.
   */
  public void recover() throws IOException {
    try (Stream<Path> s = Files.list(journalDir)) {
      for (Path j : (Iterable<Path>) s.filter(p -> p.toString().endsWith(".json"))::iterator) {
        JsonNode node = json.readTree(j.toFile());
        Path output = Path.of(node.get("output").asText());
        // Once the output is in the store of record, the merge is done there, renamed here or not.
        boolean done = Files.exists(output) || inStore(output);
        if (done && !Files.exists(output) && Files.exists(Lake.tempFor(output))) {
          FileSync.moveDurably(Lake.tempFor(output), output);
        }
        if (done) {
          List<Path> inputs = new ArrayList<>();
          for (JsonNode in : node.get("inputs")) {
            inputs.add(Path.of(in.asText()));
            Files.deleteIfExists(inputs.get(inputs.size() - 1));
          }
          lake.unpublish(inputs);
          log.info("finished an interrupted merge into {}", output.getFileName());
        } else {
          Files.deleteIfExists(Lake.tempFor(output));
          log.info("undid an interrupted merge into {}", output.getFileName());
        }
        lake.store().delete(storedJournal(j));
        Files.delete(j);
      }
    }
  }

  /**
   * Merges only the partitions {@code mine} accepts, asked for each partition of a pass: writers
   * sharing a lake each merge the partitions they write, so no two merge the same files. Whoever
   * hands a partition over waits in {@link #betweenMerges} until a merge in progress ended.
   */
  public void mergeOnly(Predicate<Partition> mine) {
    this.mine = mine;
  }

  /** Has {@code listener} told why each scheduled pass failed (see {@link DamagedFiles#suspect}). */
  public void onFailure(java.util.function.Consumer<String> listener) {
    failed = listener;
  }

  /** Runs merges every interval; {@code afterSwap} runs after files were replaced. */
  public void start(Duration interval, Runnable afterSwap) {
    this.afterSwap = afterSwap;
    task = scheduler.every("hindsight-compaction", interval, this::runSafely);
  }

  /** Runs one pass now, after a pass already running: tests and tools step it. */
  public int compactNow() throws IOException {
    try {
      return runOnce();
    } catch (SQLException e) {
      throw new IOException("compaction failed: " + e.getMessage(), e);
    }
  }

  private void runSafely() {
    try {
      runOnce();
    } catch (Exception e) {
      if (closed) {
        log.info("a merge in progress was abandoned at shutdown; the next start merges those files again");
        return;
      }
      log.warn("compaction run failed; will try again: {}", e.toString());
      failed.accept(e.toString());
    }
  }

  /** One pass over every partition. Returns the number of merges done. */
  public int runOnce() throws IOException, SQLException {
    pass.lock();
    try {
      return runLocked();
    } finally {
      pass.unlock();
    }
  }

  private int runLocked() throws IOException, SQLException {
    if (closed) {
      return 0;
    }
    recover();
    if (lake.store().remote()) {
      recoverFromStore();
    }
    int done = rewriteWidened();
    for (Table t : Table.values()) {
      for (Partition p : lake.partitions(t)) {
        if (closed) {
          return done;
        }
        if (!mine.test(p)) {
          continue;
        }
        Map<Path, Long> sizes = new java.util.LinkedHashMap<>();
        for (Path f : lake.dataFiles(p)) {
          sizes.put(f, Files.size(f));
        }
        List<Path> candidates = policy.pick(sizes);
        if (!candidates.isEmpty()) {
          candidates = stillStored(p, candidates);
        }
        if (candidates.size() >= policy.minFiles() && merge(p, candidates)) {
          done++;
        }
      }
    }
    return done;
  }

  /**
   * Rewrites every partition of endpoints whose column widened from bigint to double, so that
   * each column has one type in every file: strict readers such as Spark refuse to merge a long
   * and a double column. The lake writer calls it before it writes the first file after a
   * widening, so the wider type appears in every file at once; compaction calls it again should
   * that rewrite fail.
   */
  public int rewriteWidened() throws IOException, SQLException {
    pass.lock();
    try {
      return rewriteWidenedLocked();
    } finally {
      pass.unlock();
    }
  }

  private int rewriteWidenedLocked() throws IOException, SQLException {
    if (closed) {
      return 0;
    }
    int done = 0;
    for (Table t : Table.values()) {
      for (EndpointSchema schema : schemas.all(t)) {
        if (!schema.rewritePending()) {
          continue;
        }
        boolean complete = true;
        for (Partition p : lake.partitions(t)) {
          if (!p.endpoint().equals(schema.endpoint())) {
            continue;
          }
          if (!mine.test(p)) {
            complete = false;
            continue;
          }
          List<Path> files = stillStored(p, lake.dataFiles(p));
          if (!files.isEmpty()) {
            boolean merged = merge(p, files);
            complete &= merged;
            done += merged ? 1 : 0;
          }
        }
        if (complete) {
          schemas.rewriteDone(schema);
        }
      }
    }
    return done;
  }

  /** Merges {@code inputs} of a partition into one file. */
  boolean merge(Partition p, List<Path> inputs) throws IOException, SQLException {
    boolean keepOrder = p.table() != Table.EVENTS && idsInOrder(inputs);
    if (keepOrder) {
      // In the order they were written, as the log ordered their rows.
      inputs = inputs.stream().sorted(java.util.Comparator.comparingLong(Lake::maxSeqOf)).toList();
    }
    long maxSeq = inputs.stream().mapToLong(Lake::maxSeqOf).max().orElseThrow();
    Path output = lake.dir(p).resolve(Lake.dataFileName(maxSeq));
    Path tmp = Lake.tempFor(output);
    String source = "read_parquet(" + sqlList(inputs) + ", union_by_name = true, hive_partitioning = false)";
    EndpointSchema schema = schemas.schema(p.table(), p.endpoint());
    Set<String> present = new HashSet<>();
    try (Statement st = conn.createStatement();
        ResultSet rs = st.executeQuery("DESCRIBE SELECT * FROM " + source)) {
      while (rs.next()) {
        present.add(rs.getString(1));
      }
    }
    List<String> select = new ArrayList<>();
    for (ParquetFileWriter.FileColumn c : ParquetFileWriter.columnsOf(schema)) {
      String type = c.type().sqlType();
      String q = SqlText.identifier(c.name());
      select.add((present.contains(c.name()) ? "CAST(" + q + " AS " + type + ")" : "NULL::" + type) + " AS " + q);
    }
    long rows;
    try (Statement st = conn.createStatement()) {
      copying = st;
      if (closed) {
        throw new SQLException("compaction is closing");
      }
      rows = st.executeUpdate(
          "COPY (SELECT "
              + String.join(", ", select)
              + " FROM "
              + source
              + (keepOrder ? "" : " ORDER BY " + ParquetFileWriter.sortKey(p.table()))
              + ") TO "
              + SqlText.string(tmp.toString())
              + " ("
              + Lake.REWRITTEN_FILE_OPTIONS
              + ")");
    } catch (SQLException e) {
      // Cancelled by a shutdown, or failed: the inputs stay as they are.
      Files.deleteIfExists(tmp);
      throw e;
    } finally {
      copying = null;
    }
    ObjectNode journal = json.createObjectNode();
    journal.put("output", output.toAbsolutePath().toString());
    var arr = journal.putArray("inputs");
    inputs.forEach(i -> arr.add(i.toAbsolutePath().toString()));
    journal.put("output_name", lake.storeName(output));
    var names = journal.putArray("input_names");
    inputs.forEach(i -> names.add(lake.storeName(i)));
    Path journalFile = journalDir.resolve(output.getFileName() + ".json");
    try {
      FileSync.fsync(tmp);
      FileSync.writeAtomically(journalFile, json.writeValueAsBytes(journal));
    } catch (IOException e) {
      // A full disk, most likely: the merged copy goes now rather than at the next start.
      Files.deleteIfExists(tmp);
      throw e;
    }
    try {
      lake.store().put(storedJournal(journalFile), journalFile);
      lake.upload(tmp, output);
    } catch (IOException e) {
      Files.deleteIfExists(tmp);
      lake.store().delete(storedJournal(journalFile));
      Files.deleteIfExists(journalFile);
      throw e;
    }
    Lock swap = lake.swapLock().writeLock();
    boolean locked;
    try {
      locked = lockSwapUnlessClosed();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      locked = false;
    }
    if (!locked) {
      Files.deleteIfExists(tmp);
      lake.unpublish(List.of(output));
      lake.store().delete(storedJournal(journalFile));
      Files.deleteIfExists(journalFile);
      log.debug("queries kept {} busy; merge postponed", lake.dir(p));
      return false;
    }
    try {
      // Readers wait while the lock is held. The output is durable before any input goes; that the
      // inputs are gone is made durable after, as until then the journal is there to delete them again.
      FileSync.moveDurably(tmp, output);
      for (Path in : inputs) {
        Files.deleteIfExists(in);
      }
    } finally {
      swap.unlock();
    }
    FileSync.fsyncDirectory(output.getParent());
    merges++;
    rowsMerged += rows;
    afterSwap.run();
    // The inputs leave the store after the output is there; if the store fails now, the journal
    // stays and the next pass (or start) deletes them.
    lake.unpublish(inputs);
    lake.store().delete(storedJournal(journalFile));
    Files.deleteIfExists(journalFile);
    log.debug("merged {} files of {} into {}", inputs.size(), lake.dir(p), output.getFileName());
    return true;
  }

  /**
   * Whether the ids of {@code inputs}, by the min/max statistics of their row groups, already come
   * in order closely enough that their rows may stay in the order they were written: at least
   * {@value #MIN_GROUPS_KEPT_IN_ORDER} row groups, each overlapping at most {@value
   * #MAX_OVERLAPS_KEPT_IN_ORDER} others on average.
   * Ids that grow with time (UUIDv7, ULID, a counter) arrive in that order, each group overlapping
   * the ones written just before and after it. Sorting such rows took half of a merge's time; left
   * in order, a lookup reads three row groups of the merged file instead of one, about 8 ms more
   * (docs/BENCHMARKS.md). Random ids overlap every other group and are sorted.
   */
  private boolean idsInOrder(List<Path> inputs) throws SQLException {
    String groups = "SELECT file_name, row_group_id, stats_min_value AS lo, stats_max_value AS hi FROM parquet_metadata("
        + sqlList(inputs) + ") WHERE path_in_schema = 'prediction_id'";
    try (Statement st = conn.createStatement();
        ResultSet rs = st.executeQuery(
            "WITH g AS (" + groups + ") SELECT (SELECT count(*) FROM g), (SELECT count(*) FROM g WHERE lo IS NULL OR hi IS NULL),"
                + " (SELECT count(*) FROM g a JOIN g b ON a.lo <= b.hi AND b.lo <= a.hi) - (SELECT count(*) FROM g)")) {
      rs.next();
      long count = rs.getLong(1);
      // The self-join counts each overlapping pair twice, once from either group.
      return count >= MIN_GROUPS_KEPT_IN_ORDER && rs.getLong(2) == 0 && rs.getLong(3) <= MAX_OVERLAPS_KEPT_IN_ORDER * count;
    }
  }

  /** {@code files} as a SQL list of their absolute paths. */
  private static String sqlList(List<Path> files) {
    return files.stream()
        .map(f -> SqlText.string(f.toAbsolutePath().toString()))
        .collect(java.util.stream.Collectors.joining(", ", "[", "]"));
  }

  /** Fewer row groups are sorted whatever their ids: a small merge costs little either way. */
  static final int MIN_GROUPS_KEPT_IN_ORDER = 8;

  /** Two neighbours, and room for a late batch (a client's retry) that widens a group. */
  static final int MAX_OVERLAPS_KEPT_IN_ORDER = 3;

  /** Where a merge's journal is kept in a store of record, beside the tables, where no reader looks. */
  private static String storedJournal(Path journalFile) {
    return MERGES + "/" + journalFile.getFileName();
  }

  /** Whether the store of record holds {@code file}: once a merge's output is there, the merge counts as done. */
  private boolean inStore(Path file) throws IOException {
    if (!lake.store().remote()) {
      return false;
    }
    String name = lake.storeName(file);
    return lake.store().list(name.substring(0, name.lastIndexOf('/'))).containsKey(name);
  }

  /**
   * Finishes or undoes, by the journals kept in the store, merges of this node's partitions that
   * another node began and did not end (killed, or its disk lost): whoever merges a partition
   * next owns its unfinished merge. As in {@link #recover}, an output in the store means done.
   */
  private void recoverFromStore() throws IOException {
    LakeStore store = lake.store();
    for (String name : store.notes(MERGES).keySet()) {
      Path own = journalDir.resolve(name.substring(name.lastIndexOf('/') + 1));
      Path copy = journalDir.resolve(".from-store.tmp");
      try {
        store.get(name, copy);
      } catch (NoSuchFileException e) {
        continue; // its merge ended meanwhile
      }
      JsonNode node = json.readTree(copy.toFile());
      Files.delete(copy);
      if (Files.exists(own) || !node.has("output_name")) {
        continue;
      }
      String output = node.get("output_name").asText();
      if (!mine.test(Lake.partitionOfName(output))) {
        continue;
      }
      if (inStore(lake.root().resolve(output))) {
        Lock swap = lake.lockSwap();
        try {
          for (JsonNode in : node.get("input_names")) {
            Files.deleteIfExists(lake.root().resolve(in.asText()));
          }
        } finally {
          swap.unlock();
        }
        for (JsonNode in : node.get("input_names")) {
          store.delete(in.asText());
        }
        log.info("finished a merge into {} that another node began", output);
      } else {
        log.info("undid a merge into {} that another node began", output);
      }
      store.delete(name);
    }
  }

  /**
   * The files of {@code files} that are still in the store of record: writers sharing a store hold
   * copies of files another writer may have merged away since, which must not be merged again.
   */
  private List<Path> stillStored(Partition p, List<Path> files) throws IOException {
    if (!lake.store().remote() || files.isEmpty()) {
      return files;
    }
    Map<String, LakeStore.Stored> stored = lake.store().list(lake.storeName(lake.dir(p)));
    return files.stream().filter(f -> stored.containsKey(lake.storeName(f))).toList();
  }

  /**
   * The lake's swap lock for a merged file: a long query holds the read side, so rather than stall
   * new queries behind it the merge asks for 5 s and then queues for 1 s, or tries at its next pass;
   * a shutdown meanwhile ends the wait.
   */
  private boolean lockSwapUnlessClosed() throws InterruptedException {
    long pollUntil = System.nanoTime() + SWAP_POLL.toNanos();
    while (!closed && System.nanoTime() < pollUntil) {
      if (lake.tryLockSwap(Duration.ofMillis(100), Duration.ZERO)) {
        return true;
      }
    }
    return !closed && lake.tryLockSwap(Duration.ZERO, SWAP_QUEUE);
  }

  private static final Duration SWAP_POLL = Duration.ofSeconds(5);
  private static final Duration SWAP_QUEUE = Duration.ofSeconds(1);

  /** Runs an edit of the lake's files (deletion, erasure) between two merges, so no merge reads or replaces them meanwhile. */
  public <T> T betweenMerges(Lake.Edit<T> edit) throws IOException {
    pass.lock();
    try {
      return edit.run();
    } finally {
      pass.unlock();
    }
  }

  /** Merges done since start (shown in /metrics). */
  public long merges() {
    return merges;
  }

  /**
   * Rows that merges wrote since start (shown in /metrics): with the rows the lake writer wrote,
   * how many times a row is written on its way to a merged file.
   */
  public long rowsMerged() {
    return rowsMerged;
  }

  /**
   * Stops the schedule and abandons a merge in progress instead of waiting for it (a merge of large
   * files takes seconds, which a shutdown does not have): its copy is cancelled and its temporary
   * file removed, its inputs stay, and the next start merges them again.
   */
  @Override
  public void close() {
    closed = true;
    if (task != null) {
      task.cancel();
    }
    try {
      // A merge sees `closed` before it copies, or is copying and is cancelled here.
      while (!pass.tryLock(50, TimeUnit.MILLISECONDS)) {
        cancelRunningCopy();
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return;
    }
    try {
      conn.close();
    } catch (SQLException e) {
      log.warn("closing compaction: {}", e.toString());
    } finally {
      pass.unlock();
    }
  }

  /** Whether a merge is copying its inputs now. */
  boolean copyingNow() {
    return copying != null;
  }

  private void cancelRunningCopy() {
    Statement st = copying;
    if (st != null) {
      try {
        st.cancel();
      } catch (SQLException e) {
        // Done or closed meanwhile: nothing to cancel.
      }
    }
  }
}
