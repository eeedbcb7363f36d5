package io.hindsight.server.lake;

import io.hindsight.server.files.FileSync;
import io.hindsight.server.schema.ColumnType;
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
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.LongConsumer;
import io.hindsight.server.wal.RowCodec;
import io.hindsight.server.wal.WalEntry;
import org.duckdb.DuckDBConnection;
import io.hindsight.server.ops.DaemonThreads;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Moves logged rows into the lake. Entries arrive in log order as the compact bytes the log wrote
 * (so a request's object graph dies young instead of waiting for the flush); every flush interval
 * one thread sorts their rows into partitions, decodes them one at a time into each partition's
 * Parquet file, then reports the
 * highest seq below which every row is in the lake, so the log can drop what it no longer needs.
 * The interval bounds how long an acknowledged record takes to become visible to SQL.
 *
 * <p>A partition whose write fails keeps its rows, ahead of newer ones, for the next flush; the
 * log keeps them too until they are written.
 */
public final class LakeWriter implements Closeable {
  private static final Logger log = LoggerFactory.getLogger(LakeWriter.class);

  private final Lake lake;
  private final SchemaRegistry schemas;
  private final ParquetFileWriter writer;
  private final LongConsumer flushedUpTo;
  private final Consumer<Table> tableChanged;
  private final ScheduledExecutorService thread;
  /** Runs after a flush that wrote to an endpoint with a widened column; flush thread only. */
  private Callable<?> afterWidening = () -> null;
  private boolean widened;
  private final Object lock = new Object();
  /** Committed log entries not yet sorted into partitions, as the bytes the log wrote. */
  private List<Chunk> chunks = new ArrayList<>();
  private long lastSeqAccepted = -1;
  private long pendingRows;
  /** Encoded bytes of the pending rows: what the backlog costs in heap. */
  private long pendingBytes;
  /** Rows from failed writes, retried first; touched only by the flush thread. */
  private final Map<Partition, Buffer> retry = new LinkedHashMap<>();
  private final java.util.concurrent.atomic.AtomicLong filesWritten = new java.util.concurrent.atomic.AtomicLong();
  private final java.util.concurrent.atomic.AtomicLong rowsWritten = new java.util.concurrent.atomic.AtomicLong();

  private record Chunk(long firstSeq, int rows, byte[] encoded) {}

  /** Where one encoded row starts. */
  private record RowRef(byte[] encoded, int offset) {}

  /** One partition's rows for the next file, in log order. */
  private static final class Buffer implements ParquetFileWriter.EncodedRows {
    final List<RowRef> rows = new ArrayList<>();
    long minSeq = Long.MAX_VALUE;
    long maxSeq = -1;
    long bytes;

    void add(RowRef r, long seq, int size) {
      rows.add(r);
      bytes += size;
      minSeq = Math.min(minSeq, seq);
      maxSeq = Math.max(maxSeq, seq);
    }

    void addAll(Buffer other) {
      rows.addAll(other.rows);
      bytes += other.bytes;
      minSeq = Math.min(minSeq, other.minSeq);
      maxSeq = Math.max(maxSeq, other.maxSeq);
    }

    @Override
    public int size() {
      return rows.size();
    }

    @Override
    public long decodeInto(int row, RowCodec.KeyIndex index, Object[] slots) {
      RowRef r = rows.get(row);
      return RowCodec.decodeInto(ByteBuffer.wrap(r.encoded()).position(r.offset()), index, slots);
    }
  }

  /**
   * @param flushedUpTo told the seq up to which every row is in the lake, after each flush
   * @param tableChanged told when a table gets files for the first time
   */
  public LakeWriter(
      Lake lake,
      SchemaRegistry schemas,
      DuckDBConnection conn,
      LongConsumer flushedUpTo,
      Consumer<Table> tableChanged) {
    this.lake = lake;
    this.schemas = schemas;
    this.writer = new ParquetFileWriter(conn);
    this.flushedUpTo = flushedUpTo;
    this.tableChanged = tableChanged;
    this.thread =
        DaemonThreads.single("hindsight-lake-writer");
  }

  /** What to run after a flush touched an endpoint whose column widened (the rewrite of its files). */
  public void afterWidening(Callable<?> rewrite) {
    this.afterWidening = rewrite;
  }

  public void start(Duration interval) {
    thread.scheduleWithFixedDelay(this::flushSafely, interval.toMillis(), interval.toMillis(), TimeUnit.MILLISECONDS);
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
      pendingBytes += encoded.length;
    }
  }

  /**
   * Takes a row replayed from the log on start-up. It may name a column whose schema change was
   * not yet on disk at the crash; the value's own type is what it was typed as, so the column is
   * added with that type before the row is written.
   */
  public void acceptReplayed(long seq, Row row) throws IOException {
    EndpointSchema schema = schemas.schema(row.table(), row.endpoint());
    boolean added = false;
    for (Map.Entry<String, Object> e : row.values().entrySet()) {
      if (e.getValue() != null && !row.table().isSystemColumn(e.getKey()) && schema.column(e.getKey()) == null) {
        schema.addIfAbsent(e.getKey(), ColumnType.of(e.getValue()), row.tsMicros());
        added = true;
      }
    }
    if (added) {
      schemas.persistDirty();
    }
    accept(seq, 1, new WalEntry(null, null, List.of(row)).encode());
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

  /** Writes everything buffered now, on the flush thread, and waits for it. */
  public void flushNow() {
    try {
      thread.submit(this::flushSafely).get();
    } catch (Exception e) {
      throw new IllegalStateException("flush failed", e);
    }
  }

  private void flushSafely() {
    try {
      while (flush()) {
        // catching up: the next step right away
      }
    } catch (RuntimeException | Error e) {
      // A scheduled task that throws is never run again: log and keep the writer alive.
      log.error("lake flush failed; rows stay in the log and are retried", e);
    }
  }

  /**
   * One flush writes at most this many rows, so a writer that fell behind catches up in steady
   * steps of bounded memory and time instead of one huge file.
   */
  static final int MAX_ROWS_PER_FLUSH = 200_000;

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
      more = !chunks.isEmpty();
      upTo = taken.isEmpty() ? lastSeqAccepted : taken.get(taken.size() - 1).firstSeq() + taken.get(taken.size() - 1).rows() - 1;
      if (taken.isEmpty() && retry.isEmpty()) {
        return false;
      }
    }
    for (Chunk c : taken) {
      ByteBuffer in = WalEntry.rowsOf(c.encoded());
      int n = in.getInt();
      long seq = c.firstSeq();
      for (int i = 0; i < n; i++) {
        Partition p = Partition.of(RowCodec.decodeHeader(in));
        int start = in.position();
        RowCodec.skip(in);
        // The first row also carries the entry's header, so a chunk's rows add up to its length.
        int size = in.position() - start + (i == 0 ? start : 0);
        retry.computeIfAbsent(p, k -> new Buffer()).add(new RowRef(c.encoded(), start), seq++, size);
      }
    }
    if (retry.isEmpty()) {
      return more;
    }
    long firstUnwritten = Long.MAX_VALUE;
    var it = retry.entrySet().iterator();
    while (it.hasNext()) {
      Map.Entry<Partition, Buffer> e = it.next();
      Partition p = e.getKey();
      Buffer b = e.getValue();
      try {
        write(p, b);
        it.remove();
        synchronized (lock) {
          pendingRows -= b.rows.size();
          pendingBytes -= b.bytes;
        }
      } catch (IOException | SQLException | RuntimeException ex) {
        firstUnwritten = Math.min(firstUnwritten, b.minSeq);
        log.warn("could not write {} rows to {}; will retry: {}", b.rows.size(), lake.dir(p), ex.toString());
      }
    }
    if (widened) {
      widened = false;
      try {
        afterWidening.call();
      } catch (Exception e) {
        log.warn("rewriting files after a column widened failed; compaction retries it: {}", e.toString());
      }
    }
    long flushed = firstUnwritten == Long.MAX_VALUE ? upTo : firstUnwritten - 1;
    if (flushed >= 0) {
      flushedUpTo.accept(flushed);
    }
    return more && firstUnwritten == Long.MAX_VALUE;
  }

  private void write(Partition p, Buffer b) throws IOException, SQLException {
    EndpointSchema schema = schemas.schema(p.table(), p.endpoint());
    widened |= schema.rewritePending();
    Path dir = lake.dir(p);
    boolean firstForTable = !lake.hasDataFast(p.table());
    FileSync.createDirectoriesDurably(dir);
    writer.write(schema, b, dir.resolve(Lake.dataFileName(b.maxSeq)));
    filesWritten.incrementAndGet();
    rowsWritten.addAndGet(b.rows.size());
    if (firstForTable) {
      lake.markHasData(p.table());
      tableChanged.accept(p.table());
    }
  }

  /** Rows written to Parquet since start (shown in /metrics). */
  public long rowsWritten() {
    return rowsWritten.get();
  }

  /** Writes what is buffered and stops. */
  @Override
  public void close() {
    try {
      thread.submit(this::flushSafely).get(60, TimeUnit.SECONDS);
    } catch (Exception e) {
      log.warn("final lake flush did not finish: {}", e.toString());
    }
    thread.shutdown();
    try {
      thread.awaitTermination(10, TimeUnit.SECONDS);
      writer.close();
    } catch (InterruptedException | SQLException e) {
      log.warn("closing the lake writer: {}", e.toString());
    }
  }
}
