package io.hindsight.server.lake;

import io.hindsight.server.files.FileSync;
import io.hindsight.server.schema.EndpointSchema;
import io.hindsight.server.schema.Row;
import io.hindsight.server.schema.SchemaRegistry;
import io.hindsight.server.schema.Table;
import java.io.Closeable;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;
import java.util.function.LongConsumer;
import io.hindsight.server.wal.RowCodec;
import io.hindsight.server.wal.WalEntry;
import org.duckdb.DuckDBConnection;
import io.hindsight.server.ops.Scheduler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Moves logged rows into the lake. Entries arrive in log order as the compact bytes the log wrote
 * (so a request's object graph dies young instead of waiting for the flush); every flush interval
 * one flush sorts their rows into partitions, decodes them one at a time into each partition's
 * Parquet file, then reports the
 * highest seq below which every row is in the lake, so the log can drop what it no longer needs.
 * While queries come, a partition's rows are already encoded in {@link FreshRows}' files, and its
 * file is copied from them instead.
 *
 * <p>A partition whose write fails keeps its rows, ahead of newer ones, for the next flush; the
 * log keeps them too until they are written. A partition of many columns is written in bounded
 * steps, after the partitions that fit one write, so a wide endpoint never holds the others' rows
 * back for longer than one step. Failures, a flush that died and a writer that makes no progress
 * show in {@link #problems()}, which {@code GET /health} reports. Flushes run one at a time, under
 * {@link #flushing}, whether the schedule or {@link #flushNow()} starts them.
 */
public final class LakeWriter implements Closeable {
  private static final Logger log = LoggerFactory.getLogger(LakeWriter.class);

  private final Lake lake;
  private final SchemaRegistry schemas;
  private final ParquetFileWriter writer;
  private final LongConsumer flushedUpTo;
  private final Consumer<Table> tableChanged;
  private final Scheduler scheduler;
  private final java.time.Clock clock;
  private final WriterHealth health;
  /**
   * Held by the one flush running; guards {@link #rewriteTried} and the DuckDB writer. {@link
   * #retry} is changed only under it and {@link #lock} both, so {@link #pending} reads it under the latter.
   */
  private final ReentrantLock flushing = new ReentrantLock();
  private final List<Scheduler.Task> tasks = new ArrayList<>();
  private boolean closed;
  /** When the last flush round ended (clock millis), or started if one is running. */
  private volatile long lastProgressMillis;
  /** Rounds stop once this moment passes (System.nanoTime); set by {@link #close()}. */
  private volatile long stopByNanos = Long.MAX_VALUE;
  /** Rewrites the files of endpoints whose column widened; under {@link #flushing}. */
  private Callable<?> rewriteWidened = () -> null;
  private volatile java.util.function.BiConsumer<Partition, Path> fileWritten = (p, f) -> {};
  /** Whether this flush round already tried the rewrite of widened columns. */
  private boolean rewriteTried;
  private final Object lock = new Object();
  /**
   * After rounds whose writes failed (the store of record unreachable, the disk full), scheduled
   * flushes wait twice as long each time, up to this, so a writer does not hammer a store that is
   * down; the first round that writes everything ends the wait.
   */
  static final Duration MAX_BACKOFF = Duration.ofSeconds(10);

  /** How often scheduled flushes run ({@link #start}). */
  private Duration interval = Duration.ofMillis(250);
  /** Rounds in a row whose writes failed; under {@link #flushing}. */
  private int failedRounds;
  /** Scheduled flushes wait until this moment (clock millis) after failed rounds. */
  private volatile long retryAtMillis;

  /** Committed log entries not yet sorted into partitions, as the bytes the log wrote. */
  private List<Chunk> chunks = new ArrayList<>();
  private long lastSeqAccepted = -1;
  private long pendingRows;
  /** What the pending rows cost in heap: their encoded bytes and {@link #ROW_BOOKKEEPING} each. */
  private long pendingBytes;
  /**
   * Heap a pending row takes beside its encoded bytes: its place in its entry's layout (start,
   * partition, id hash: 12 bytes) and, once sorted for its file, its {@link RowRef} and list slot
   * (about 48). Counted in the backlog so its limit holds for small rows too: a 100-byte event
   * costs 160 bytes, not 100.
   */
  static final int ROW_BOOKKEEPING = 64;
  /** Rows taken for the next files, by partition, until their file is in place (failed writes stay). */
  private final Map<Partition, Buffer> retry = new LinkedHashMap<>();
  /** Chunks a flush took and is sorting into {@link #retry}; under {@link #lock}. */
  private List<Chunk> sorting = List.of();
  /** A step of a partition's rows being written apart from its buffer; under {@link #lock}. */
  private Buffer writing;
  private final java.util.concurrent.atomic.AtomicLong filesWritten = new java.util.concurrent.atomic.AtomicLong();
  private final java.util.concurrent.atomic.AtomicLong rowsWritten = new java.util.concurrent.atomic.AtomicLong();
  private final java.util.concurrent.atomic.AtomicLong rowsCopied = new java.util.concurrent.atomic.AtomicLong();
  /** Where a lake file's rows may already be encoded (while queries come); null if nowhere. */
  private volatile FreshRows fresh;

  /**
   * A log entry's rows as the log handed them over. Where its rows start and their partitions are
   * found once, by the first that needs them (the flush, a query's snapshot of the pending rows or
   * a lookup), and the hashes of their ids by the first lookup: a query or lookup reads every
   * pending row, a backlog of millions after a restart, and should not decode them again each time.
   */
  private static final class Chunk {
    private final long firstSeq;
    private final int rows;
    private final byte[] encoded;
    private volatile Layout layout;
    private volatile int[] idHashes;

    Chunk(long firstSeq, int rows, byte[] encoded) {
      this.firstSeq = firstSeq;
      this.rows = rows;
      this.encoded = encoded;
    }

    long firstSeq() {
      return firstSeq;
    }

    int rows() {
      return rows;
    }

    byte[] encoded() {
      return encoded;
    }

    Layout layout() {
      Layout found = layout;
      if (found == null) {
        found = Layout.of(this);
        layout = found;
      }
      return found;
    }

    /** The hash of each row's prediction id, as {@code anyId} (a match on that key) gives it. */
    int[] idHashes(RowCodec.StringMatch anyId) {
      int[] found = idHashes;
      if (found == null) {
        Layout l = layout();
        found = new int[rows];
        for (int i = 0; i < rows; i++) {
          found[i] = anyId.valueHashIn(ByteBuffer.wrap(encoded).position(l.starts[i]));
        }
        idHashes = found;
      }
      return found;
    }

    /** The row at {@code i} as the buffers hold it. */
    RowRef row(int i) {
      Layout l = layout();
      long leaf = l.firstLeaf == WalEntry.NO_LEAF ? WalEntry.NO_LEAF : l.firstLeaf + i;
      return new RowRef(encoded, l.starts[i], firstSeq + i, l.size(i), leaf);
    }
  }

  /**
   * Where each row of a chunk starts ({@code starts[rows]} is where the rows end), each row's
   * partition (rows of one partition share the instance), its partitions in the order they first
   * appear with the index of that first row, and the chunk's first audit log index.
   */
  private record Layout(int[] starts, Partition[] partitions, Partition[] distinct, int[] firstRow, long firstLeaf) {
    static Layout of(Chunk c) {
      ByteBuffer in = WalEntry.rowsOf(c.encoded());
      int n = in.getInt();
      int[] starts = new int[n + 1];
      Partition[] partitions = new Partition[n];
      Map<Partition, Integer> firstRows = new LinkedHashMap<>();
      for (int i = 0; i < n; i++) {
        Partition p = Partition.of(RowCodec.decodeHeader(in));
        partitions[i] = i > 0 && p.equals(partitions[i - 1]) ? partitions[i - 1] : p;
        firstRows.putIfAbsent(partitions[i], i);
        starts[i] = in.position();
        RowCodec.skip(in);
      }
      starts[n] = in.position();
      return new Layout(
          starts,
          partitions,
          firstRows.keySet().toArray(new Partition[0]),
          firstRows.values().stream().mapToInt(Integer::intValue).toArray(),
          WalEntry.firstLeafAfterRows(in));
    }

    /**
     * What a row costs in heap: its bytes and {@link #ROW_BOOKKEEPING}; the first row also carries
     * the entry's header, so a chunk's rows add up to what {@link #accept} counted for it.
     */
    int size(int i) {
      return starts[i + 1] - starts[i] + (i == 0 ? starts[0] : 0) + ROW_BOOKKEEPING;
    }
  }

  /**
   * Where one encoded row starts, its seq, what it costs in memory and its audit log index
   * ({@link WalEntry#NO_LEAF} if none).
   */
  record RowRef(byte[] encoded, int offset, long seq, int size, long leaf) {}

  /** One partition's rows for the next file, in log order. */
  static final class Buffer implements ParquetFileWriter.EncodedRows {
    final List<RowRef> rows = new ArrayList<>();
    long minSeq = Long.MAX_VALUE;
    long maxSeq = -1;
    long bytes;

    void add(RowRef r) {
      rows.add(r);
      bytes += r.size();
      minSeq = Math.min(minSeq, r.seq());
      maxSeq = Math.max(maxSeq, r.seq());
    }

    /** Puts rows taken by {@link #takeFirst} back in front. */
    void putBack(Buffer first) {
      rows.addAll(0, first.rows);
      bytes += first.bytes;
      minSeq = first.minSeq;
      maxSeq = Math.max(maxSeq, first.maxSeq);
    }

    /** Moves the first {@code n} rows into a buffer of their own. */
    Buffer takeFirst(int n) {
      Buffer first = new Buffer();
      List<RowRef> head = rows.subList(0, n);
      head.forEach(first::add);
      head.clear();
      bytes -= first.bytes;
      minSeq = rows.isEmpty() ? Long.MAX_VALUE : rows.get(0).seq();
      return first;
    }

    @Override
    public int size() {
      return rows.size();
    }

    @Override
    public long decodeTo(int row, RowCodec.KeyIndex index, RowCodec.ValueSink sink) {
      RowRef r = rows.get(row);
      long ts = RowCodec.decodeTo(ByteBuffer.wrap(r.encoded()).position(r.offset()), index, sink);
      if (r.leaf() != WalEntry.NO_LEAF) {
        sink.int64(index.column(Table.LEAF), r.leaf());
      }
      return ts;
    }

    @Override
    public long seq(int row) {
      return rows.get(row).seq();
    }
  }

  /**
   * @param flushedUpTo told the seq up to which every row is in the lake, after each flush
   * @param tableChanged told when a table gets files for the first time
   */
  public LakeWriter(
      Scheduler scheduler,
      Lake lake,
      SchemaRegistry schemas,
      DuckDBConnection conn,
      LongConsumer flushedUpTo,
      Consumer<Table> tableChanged) {
    this.scheduler = scheduler;
    this.clock = scheduler.clock();
    this.health = new WriterHealth(clock);
    this.lastProgressMillis = clock.millis();
    this.lake = lake;
    this.schemas = schemas;
    this.writer = new ParquetFileWriter(conn);
    this.flushedUpTo = flushedUpTo;
    this.tableChanged = tableChanged;
  }

  /**
   * Encodes files with {@code encoder} from now on, or with what it falls back to on this JVM
   * (returned). Before {@link #start}; fresh files made after follow it.
   */
  public ParquetEncoder encodeWith(ParquetEncoder encoder) {
    writer.encodeWith(encoder);
    return writer.encoder();
  }

  ParquetEncoder encoder() {
    return writer.encoder();
  }

  /**
   * What rewrites the files of endpoints whose column widened; it runs before the first file of
   * such an endpoint is written, so that a file of the wider type never sits beside older files
   * of the narrower one (strict readers such as Spark refuse a table whose files disagree).
   */
  public void rewritingWidened(Callable<?> rewrite) {
    this.rewriteWidened = rewrite;
  }

  /** Sets who is told of each data file once it is in place (the metric store's {@link WrittenFiles}). */
  public void onFileWritten(java.util.function.BiConsumer<Partition, Path> listener) {
    this.fileWritten = listener;
  }

  /** Sets the fresh files that files are copied from when they hold a file's rows. */
  void copyingFrom(FreshRows fresh) {
    this.fresh = fresh;
  }

  /** Flushes every {@code interval}, and checks every second that the writer makes progress. */
  public void start(Duration interval) {
    this.interval = interval;
    tasks.add(scheduler.every("hindsight-lake-writer", interval, this::scheduledFlush));
    tasks.add(scheduler.every("hindsight-lake-watchdog", Duration.ofSeconds(1), this::watch));
  }

  /**
   * A writer stalled for this long with rows waiting is reported: far beyond any bounded write
   * step, so only a writer that is stuck or keeps failing trips it.
   */
  static final Duration STALL = Duration.ofSeconds(30);

  private void watch() {
    long idle = clock.millis() - lastProgressMillis;
    health.stalled(
        pendingRows() > 0 && idle > STALL.toMillis()
            ? "lake writer: no progress for " + idle / 1000 + " s with " + pendingRows()
                + " acknowledged rows waiting"
            : null);
  }

  /** What is wrong with the writer now (empty when healthy), each naming the problem and since when. */
  public List<String> problems() {
    return health.problems();
  }

  /** Partition writes that failed since start (each is retried). */
  public long writeFailures() {
    return health.writeFailures();
  }

  /** Flushes that ended with an unexpected error since start (the next one runs as planned). */
  public long flushCrashes() {
    return health.flushCrashes();
  }

  /**
   * Takes an entry that is durable in the log, as the bytes it was written as (see {@link
   * WalEntry#encode()}); {@code firstSeq} is the seq of its first row.
   */
  public void accept(long firstSeq, int rows, byte[] encoded) {
    if (rows == 0) {
      return;
    }
    synchronized (lock) {
      chunks.add(new Chunk(firstSeq, rows, encoded));
      lastSeqAccepted = Math.max(lastSeqAccepted, firstSeq + rows - 1);
      pendingRows += rows;
      pendingBytes += encoded.length + (long) rows * ROW_BOOKKEEPING;
    }
  }

  /**
   * Takes a row replayed from the log on start-up, after its columns are in the schema; {@code
   * leaf} is its audit log index ({@link WalEntry#NO_LEAF} if none).
   */
  public void acceptReplayed(long seq, Row row, long leaf) throws IOException {
    schemas.learnReplayed(List.of(row));
    accept(seq, 1, new WalEntry(null, null, List.of(row), leaf).encode());
  }

  /**
   * Takes a whole entry replayed from the log, as the bytes it was read from; its rows are decoded
   * only when one names a column the schema does not have.
   */
  public void acceptReplayed(long firstSeq, WalEntry entry) throws IOException {
    if (entry.anyKey((row, key) -> !row.table().isSystemColumn(key) && schemas.schema(row.table(), row.endpoint()).column(key) == null)) {
      schemas.learnReplayed(entry.rows());
    }
    accept(firstSeq, entry.rowCount(), entry.encode());
  }

  /**
   * Runs an edit of the lake's files (deletion, erasure) between two flushes, so no partition file
   * is being written while it runs.
   */
  public <T> T betweenFlushes(Lake.Edit<T> edit) throws IOException {
    flushing.lock();
    try {
      return edit.run();
    } finally {
      flushing.unlock();
    }
  }

  /**
   * Drops every row taken and not yet written, after a flush running now. For the Kafka transport:
   * rows whose partitions moved to another writer are read again from Kafka, by their new owner.
   */
  public void discardPending() {
    flushing.lock();
    try {
      synchronized (lock) {
        retry.clear();
        chunks = new ArrayList<>();
        pendingRows = 0;
        pendingBytes = 0;
      }
      // Not under the lock: a snapshot takes the fresh rows' lock first, then this one.
      FreshRows source = fresh;
      if (source != null) {
        source.forgetAll();
      }
    } finally {
      flushing.unlock();
    }
  }

  /** Rows acknowledged but not yet in the lake. */
  public long pendingRows() {
    synchronized (lock) {
      return pendingRows;
    }
  }

  /** Bytes of log entries held in memory for the lake; ingest pushes back above a limit. */
  public long pendingBytes() {
    synchronized (lock) {
      return pendingBytes;
    }
  }

  public long filesWritten() {
    return filesWritten.get();
  }

  private void scheduledFlush() {
    if (clock.millis() >= retryAtMillis) {
      flushSafely();
    }
  }

  private void backOff(boolean failed) {
    failedRounds = failed ? failedRounds + 1 : 0;
    long wait = failed ? Math.min(MAX_BACKOFF.toMillis(), interval.toMillis() << Math.min(failedRounds - 1, 20)) : 0;
    retryAtMillis = clock.millis() + wait;
  }

  /** Writes everything buffered now, after a flush already running, and returns when it is done. */
  public void flushNow() {
    flushSafely();
  }

  private void flushSafely() {
    flushing.lock();
    try {
      flushSteps();
    } finally {
      flushing.unlock();
    }
  }

  /** Writes step by step until nothing waits or the close deadline passed; under {@link #flushing}. */
  private void flushSteps() {
    if (closed) {
      return;
    }
    try {
      while (System.nanoTime() < stopByNanos && flush()) {
        lastProgressMillis = clock.millis();
      }
      lastProgressMillis = clock.millis();
      health.flushEnded();
    } catch (Throwable t) {
      // Recorded for /health; the rows stay buffered and the next flush tries them again.
      health.flushCrashed(t);
    }
  }

  /**
   * One flush writes at most this many rows, so a writer that fell behind catches up in steady
   * steps of bounded memory and time instead of one huge file.
   */
  static final int MAX_ROWS_PER_FLUSH = 200_000;

  /**
   * Values (rows times columns) one file write takes at most; see {@link #rowsPerWrite}. A file
   * of 2,000 columns costs about half a second before its first row (DuckDB 1.5, 2 cores), and
   * about a second at this bound, which is how long other endpoints may wait for a wide one.
   */
  static final long MAX_VALUES_PER_WRITE = 1_000_000;

  /** Writes one bounded step; returns whether more rows were waiting behind it. */
  private boolean flush() {
    List<Chunk> taken;
    long upTo;
    boolean more;
    synchronized (lock) {
      int rows = 0;
      int n = 0;
      while (n < chunks.size() && rows < MAX_ROWS_PER_FLUSH) {
        rows += chunks.get(n++).rows();
      }
      taken = new ArrayList<>(chunks.subList(0, n));
      chunks = new ArrayList<>(chunks.subList(n, chunks.size()));
      sorting = taken;
      more = !chunks.isEmpty();
      upTo = taken.isEmpty() ? lastSeqAccepted : taken.get(taken.size() - 1).firstSeq() + taken.get(taken.size() - 1).rows() - 1;
      if (taken.isEmpty() && retry.isEmpty()) {
        return false;
      }
    }
    Map<Partition, Buffer> sorted = new LinkedHashMap<>();
    for (Chunk c : taken) {
      rowsOf(c, (partition, row) -> sorted.computeIfAbsent(partition, k -> new Buffer()).add(row));
    }
    // Request threads wait on this lock to hand over entries: a partition without rows waiting
    // (the usual case) takes its new buffer whole.
    synchronized (lock) {
      sorted.forEach((partition, rows) -> {
        Buffer waiting = retry.putIfAbsent(partition, rows);
        if (waiting != null) {
          rows.rows.forEach(waiting::add);
        }
      });
      sorting = List.of();
    }
    if (retry.isEmpty()) {
      return more;
    }
    long firstUnwritten = Long.MAX_VALUE;
    boolean failed = false;
    // Partitions that fit one write go first; wide ones then take one bounded step each, so rows
    // of other endpoints wait for at most one step of a wide one.
    List<Map.Entry<Partition, Buffer>> order = new ArrayList<>(retry.entrySet());
    rewriteTried = false;
    order.sort(java.util.Comparator.comparing(e -> e.getValue().size() > rowsPerWrite(e.getKey())));
    for (Map.Entry<Partition, Buffer> e : order) {
      Partition p = e.getKey();
      Buffer b = e.getValue();
      if (System.nanoTime() >= stopByNanos) {
        // Closing and out of time: the log keeps these rows for the next start.
        firstUnwritten = Math.min(firstUnwritten, b.minSeq);
        more = true;
        continue;
      }
      int rowsThisRound = rowsPerWrite(p);
      Buffer step;
      synchronized (lock) {
        step = b.size() > rowsThisRound ? b.takeFirst(rowsThisRound) : b;
        writing = step == b ? null : step;
      }
      try {
        write(p, step);
        if (step != b) {
          more = true;
          firstUnwritten = Math.min(firstUnwritten, b.minSeq);
        }
        synchronized (lock) {
          if (step == b) {
            retry.remove(p);
          }
          writing = null;
          pendingRows -= step.rows.size();
          pendingBytes -= step.bytes;
        }
        // Only now that the rows left the pending view: until then a snapshot reads them from
        // their fresh files, not from the file just placed.
        FreshRows source = fresh;
        if (source != null) {
          source.inLake(p, step.maxSeq);
        }
      } catch (IOException | SQLException | RuntimeException ex) {
        synchronized (lock) {
          if (step != b) {
            b.putBack(step);
          }
          writing = null;
        }
        failed = true;
        firstUnwritten = Math.min(firstUnwritten, b.minSeq);
        health.writeFailed(b.rows.size(), lake.dir(p), ex);
      }
    }
    if (!failed) {
      health.wroteAll();
    }
    backOff(failed);
    long flushed = firstUnwritten == Long.MAX_VALUE ? upTo : firstUnwritten - 1;
    if (flushed >= 0) {
      flushedUpTo.accept(flushed);
    }
    return more && !failed;
  }

  /** Hands each row of a chunk to {@code row} with its partition, seq and audit log index. */
  private static void rowsOf(Chunk c, java.util.function.BiConsumer<Partition, RowRef> row) {
    Partition[] partitions = c.layout().partitions();
    for (int i = 0; i < c.rows(); i++) {
      row.accept(partitions[i], c.row(i));
    }
  }

  /** A row acknowledged and not yet in a lake file, with its audit log index (null if none). */
  public record PendingRow(Row row, Long leaf) {}

  /**
   * The rows of {@code table} and {@code endpoint} with prediction id {@code id} that are
   * acknowledged but not yet in a lake file, in log order, so that a lookup sees a record at once.
   * Taken at one instant; a row leaves this view only once its file is in place, so whoever reads
   * the lake after this call finds every row this call did not.
   */
  public List<PendingRow> pending(Table table, String endpoint, String id) {
    // Compared as bytes, and in a chunk only where the id's hash matches: a backlog of millions of
    // rows after a restart is read by every lookup, which should build nothing for other rows.
    RowCodec.StringMatch match = new RowCodec.StringMatch(table, endpoint, "prediction_id", id);
    int hash = match.valueHash();
    List<Chunk> unsorted = new ArrayList<>();
    List<RowRef> rows = new ArrayList<>();
    synchronized (lock) {
      unsorted.addAll(sorting);
      unsorted.addAll(chunks);
      retry.values().forEach(b -> addMatching(b.rows, match, rows));
      if (writing != null) {
        addMatching(writing.rows, match, rows);
      }
    }
    for (Chunk c : unsorted) {
      int[] hashes = c.idHashes(match);
      int[] starts = c.layout().starts();
      for (int i = 0; i < c.rows(); i++) {
        if (hashes[i] == hash && match.test(ByteBuffer.wrap(c.encoded()).position(starts[i]))) {
          rows.add(c.row(i));
        }
      }
    }
    rows.sort(java.util.Comparator.comparingLong(RowRef::seq));
    List<PendingRow> out = new ArrayList<>();
    for (RowRef r : rows) {
      ByteBuffer at = ByteBuffer.wrap(r.encoded()).position(r.offset());
      out.add(new PendingRow(RowCodec.decode(at), r.leaf() == WalEntry.NO_LEAF ? null : r.leaf()));
    }
    return out;
  }

  private static void addMatching(List<RowRef> from, RowCodec.StringMatch match, List<RowRef> to) {
    for (RowRef r : from) {
      if (match.test(ByteBuffer.wrap(r.encoded()).position(r.offset()))) {
        to.add(r);
      }
    }
  }

  /**
   * The rows acknowledged and not yet in a lake file, taken at one instant, for a snapshot of them:
   * per partition with such rows, its lowest seq ({@code firstSeq}), and its rows with a seq above
   * {@code held} ({@code newRows}, in no particular order): the rows fresh files hold already are
   * skipped a log entry at a time, so a snapshot costs about what is new, not the whole backlog.
   * A row leaves this view only once its file is in place; per partition, rows reach the lake in
   * log order, so every file of a partition whose highest seq is below its lowest pending seq was
   * in place before this call, and every other file is placed after it.
   */
  record Pending(Map<Partition, Long> firstSeq, Map<Partition, List<RowRef>> newRows) {}

  /** See {@link Pending}; {@code held} gives, per partition, the highest seq already held elsewhere. */
  Pending pendingAbove(java.util.function.ToLongFunction<Partition> held) {
    List<Chunk> unsorted = new ArrayList<>();
    // Copied under the lock (request threads wait on it to hand over entries), looked at after.
    List<Map.Entry<Partition, List<RowRef>>> taken = new ArrayList<>();
    synchronized (lock) {
      unsorted.addAll(sorting);
      unsorted.addAll(chunks);
      retry.forEach((p, b) -> taken.add(Map.entry(p, new ArrayList<>(b.rows))));
      if (writing != null && !writing.rows.isEmpty()) {
        RowRef r = writing.rows.get(0);
        Partition p = Partition.of(RowCodec.decodeHeader(ByteBuffer.wrap(r.encoded()).position(r.offset())));
        taken.add(Map.entry(p, new ArrayList<>(writing.rows)));
      }
    }
    Map<Partition, Long> first = new java.util.HashMap<>();
    Map<Partition, List<RowRef>> fresh = new java.util.HashMap<>();
    for (Map.Entry<Partition, List<RowRef>> e : taken) {
      addAbove(e.getKey(), e.getValue(), held, first, fresh);
    }
    for (Chunk c : unsorted) {
      Layout l = c.layout();
      long last = c.firstSeq() + c.rows() - 1;
      boolean allHeld = true;
      for (int k = 0; k < l.distinct().length; k++) {
        Partition p = l.distinct()[k];
        first.merge(p, c.firstSeq() + l.firstRow()[k], Math::min);
        allHeld &= held.applyAsLong(p) >= last;
      }
      if (allHeld) {
        continue;
      }
      Partition p = null;
      long above = 0;
      List<RowRef> out = null;
      for (int i = 0; i < c.rows(); i++) {
        if (l.partitions()[i] != p) {
          p = l.partitions()[i];
          above = held.applyAsLong(p);
          out = null;
        }
        if (c.firstSeq() + i > above) {
          if (out == null) {
            out = fresh.computeIfAbsent(p, k -> new ArrayList<>());
          }
          out.add(c.row(i));
        }
      }
    }
    return new Pending(first, fresh);
  }

  private static void addAbove(Partition p, List<RowRef> rows, java.util.function.ToLongFunction<Partition> held,
      Map<Partition, Long> first, Map<Partition, List<RowRef>> fresh) {
    long above = held.applyAsLong(p);
    long min = Long.MAX_VALUE;
    List<RowRef> out = null;
    for (RowRef r : rows) {
      min = Math.min(min, r.seq());
      if (r.seq() > above) {
        if (out == null) {
          out = fresh.computeIfAbsent(p, k -> new ArrayList<>());
        }
        out.add(r);
      }
    }
    if (min != Long.MAX_VALUE) {
      first.merge(p, min, Math::min);
    }
  }

  /**
   * Rows one write of a partition takes: a file costs about rows times columns, so a partition
   * with thousands of columns is written in steps no longer than a narrow one's whole batch.
   */
  private int rowsPerWrite(Partition p) {
    int columns = p.table().systemColumns().size() + schemas.schema(p.table(), p.endpoint()).columns().size();
    return (int) Math.max(1, Math.min(MAX_ROWS_PER_FLUSH, MAX_VALUES_PER_WRITE / columns));
  }

  private void write(Partition p, Buffer b) throws IOException, SQLException {
    EndpointSchema schema = schemas.schema(p.table(), p.endpoint());
    if (schema.rewritePending() && !rewriteTried) {
      rewriteTried = true;
      try {
        rewriteWidened.call();
      } catch (Exception e) {
        log.warn("rewriting the files of a widened column failed; compaction retries it: {}", e.toString());
      }
    }
    Path dir = lake.dir(p);
    boolean firstForTable = !lake.hasDataFast(p.table());
    FileSync.createDirectoriesDurably(dir);
    Path file = dir.resolve(Lake.dataFileName(b.maxSeq));
    // In the store of record before it counts as written: the log drops rows only after this.
    if (!copiedFromFresh(p, schema, b, file)) {
      writer.write(schema, b, file, lake::publish);
    }
    fileWritten.accept(p, file);
    filesWritten.incrementAndGet();
    rowsWritten.addAndGet(b.rows.size());
    if (firstForTable) {
      lake.markHasData(p.table());
      tableChanged.accept(p.table());
    }
  }

  /**
   * Writes {@code b}'s file from the fresh files that hold its rows, when they do (queries came):
   * the rows were encoded once already, into those files. Returns false to have them encoded here.
   */
  private boolean copiedFromFresh(Partition p, EndpointSchema schema, Buffer b, Path file) throws IOException {
    FreshRows source = fresh;
    if (source == null) {
      return false;
    }
    FreshRows.Pin cover;
    try {
      cover = source.cover(p, b.minSeq, b.maxSeq);
    } catch (IOException e) {
      log.warn("could not write rows {} to {} of {} to a fresh file; they are written from the log: {}", b.minSeq, b.maxSeq, lake.dir(p), e.toString());
      return false;
    }
    if (cover == null) {
      return false;
    }
    try (cover) {
      if (writer.copyFresh(schema, cover.files(), b.minSeq, b.maxSeq, b.size(), file, lake::publish)) {
        rowsCopied.addAndGet(b.size());
        return true;
      }
      log.warn("the fresh files of {} did not hold rows {} to {} as expected; they are written from the log", lake.dir(p), b.minSeq, b.maxSeq);
    } catch (SQLException e) {
      log.warn("could not copy rows {} to {} of {} from fresh files; they are written from the log: {}", b.minSeq, b.maxSeq, lake.dir(p), e.toString());
    }
    return false;
  }

  /** Rows whose lake file was copied from fresh files since start (the rest were encoded from the log). */
  public long rowsCopied() {
    return rowsCopied.get();
  }

  /** Rows written to Parquet since start (shown in /metrics). */
  public long rowsWritten() {
    return rowsWritten.get();
  }

  /**
   * Writes what is buffered until {@code deadlineNanos} (System.nanoTime) and stops. Anything left
   * stays in the log and is replayed at the next start, so shutdown never waits on a backlog; a
   * file being written when the deadline comes is abandoned (written under a temporary name, it
   * is removed at the next start).
   */
  public void close(long deadlineNanos) {
    tasks.forEach(Scheduler.Task::cancel);
    // A flush running now stops after its current step; the final one gets what time is left.
    stopByNanos = deadlineNanos;
    try {
      if (flushing.tryLock(Math.max(0, deadlineNanos - System.nanoTime()), TimeUnit.NANOSECONDS)) {
        try {
          flushSteps();
          closed = true;
          writer.close();
        } finally {
          flushing.unlock();
        }
      } else {
        log.info("the lake writer is still writing a file; the log replays what it did not write at the next start");
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (SQLException e) {
      log.warn("closing the lake writer: {}", e.toString());
    }
  }

  /** Closes with {@link #CLOSE_FLUSH} to write what is buffered. */
  @Override
  public void close() {
    close(System.nanoTime() + CLOSE_FLUSH.toNanos());
  }

  /** How long {@link #close()} spends writing what is buffered. */
  static final Duration CLOSE_FLUSH = Duration.ofSeconds(10);
}
