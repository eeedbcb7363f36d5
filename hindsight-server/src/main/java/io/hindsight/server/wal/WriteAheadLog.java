package io.hindsight.server.wal;

import io.hindsight.server.files.FileSync;
import java.io.Closeable;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.FileStore;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;
import java.util.zip.CRC32C;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The write-ahead log: acknowledged means fsynced here. Requests hand encoded entries to one log
 * thread, which writes everything that is waiting and fsyncs once for all of it (group commit),
 * then completes each request's future and passes the entries on, in log order.
 *
 * <p>On disk: segment files {@code wal-<first seq>.log} of frames {@code [int length][int crc32c]
 * [long first seq][entry]}, where the crc covers seq and entry. Every row gets a sequence number;
 * the lake records the highest one each file holds, which is how recovery knows what to replay.
 * A torn frame at the end of the last segment (a crash mid-write) is cut off on open; damage
 * between intact frames is stepped over and counted ({@link #damagedEntries}).
 */
public final class WriteAheadLog implements Closeable {
  private static final Logger log = LoggerFactory.getLogger(WriteAheadLog.class);
  private static final int HEADER = 16;
  private static final String PREFIX = "wal-";
  private static final String SUFFIX = ".log";

  /** Receives entries replayed on open, in log order. */
  public interface EntryListener {
    void entry(long firstSeq, WalEntry entry) throws IOException;
  }

  /**
   * Receives committed entries in log order, as the bytes that were written: compact to hold
   * until the lake writer gets to them, where the object graph of the request's rows is not.
   */
  public interface CommitListener {
    void committed(long firstSeq, int rows, byte[] encoded);
  }

  private record Pending(int rows, byte[] encoded, AuditedRows audited, CompletableFuture<Long> done) {}

  private record Segment(long firstSeq, Path path) {}

  private final Path dir;
  private final long segmentBytes;
  private final CommitListener committed;
  private final BlockingQueue<Pending> queue;
  private final List<Segment> segments = new ArrayList<>();
  private final Thread thread;
  private final AtomicLong bytesOnDisk = new AtomicLong();
  private final AtomicLong fsyncs = new AtomicLong();
  /** Entries found damaged on disk at start (not a torn tail); their records are lost unless in the lake. */
  private final AtomicLong damagedEntries = new AtomicLong();
  private FileChannel current;
  private long currentSize;
  private long nextSeq;
  private long segmentNumber;
  private volatile boolean running = true;
  private volatile IOException broken;
  /** Completes once every segment is read and the log takes entries. */
  private final CompletableFuture<Void> opened = new CompletableFuture<>();
  /** Bytes of the segments found at open that are not read yet. */
  private final AtomicLong unread = new AtomicLong();
  /** The thread reading the log at a start in the background, or null. */
  private Thread reader;
  /** The file system of the log's folder, asked how much room is left before each write. */
  private final FileStore disk;
  /** Bytes of that file system entries never take (see {@link #keepFree}). */
  private volatile long keepFreeBytes;
  /** Why the last write failed and since when, while no write succeeded since; null when the last one did. */
  private volatile Refusal refusing;

  private record Refusal(String why, java.time.Instant since) {}

  private WriteAheadLog(Path dir, long segmentBytes, int queueCapacity, CommitListener committed) throws IOException {
    this.dir = dir;
    this.disk = Files.getFileStore(dir);
    this.segmentBytes = segmentBytes;
    this.committed = committed;
    this.queue = new ArrayBlockingQueue<>(queueCapacity);
    this.thread = new Thread(this::run, "hindsight-wal");
    this.thread.setDaemon(true);
  }

  /**
   * Opens the log in {@code dir}: replays every intact entry to {@code replay} (in order), cuts a
   * torn tail, starts a new segment at {@code max(next seq in the log, minNextSeq)} and starts the
   * log thread, which hands each committed entry to {@code committed}.
   */
  public static WriteAheadLog open(
      Path dir,
      long segmentBytes,
      int queueCapacity,
      long minNextSeq,
      EntryListener replay,
      CommitListener committed)
      throws IOException {
    WriteAheadLog wal = create(dir, segmentBytes, queueCapacity, committed);
    wal.startUp(replay, minNextSeq);
    return wal;
  }

  /**
   * As {@link #open}, but returns at once and reads the log on a thread of its own: entries are
   * refused until {@link #opened()} completes, so a long backlog does not keep a restarting
   * server from answering everything else. Closing the log meanwhile stops the reading at the
   * next entry; what was not read is read at the next start.
   */
  public static WriteAheadLog openInBackground(
      Path dir,
      long segmentBytes,
      int queueCapacity,
      long minNextSeq,
      EntryListener replay,
      CommitListener committed)
      throws IOException {
    WriteAheadLog wal = create(dir, segmentBytes, queueCapacity, committed);
    wal.reader =
        new Thread(
            () -> {
              try {
                wal.startUp(replay, minNextSeq);
              } catch (IOException | RuntimeException | Error e) {
                if (wal.running) {
                  wal.broken = new IOException("the log could not be read at start: " + e.getMessage(), e);
                  log.error("reading the write-ahead log failed; records are refused until a restart reads it", e);
                }
                wal.opened.completeExceptionally(e);
              }
            },
            "hindsight-wal-replay");
    wal.reader.setDaemon(true);
    wal.reader.start();
    return wal;
  }

  /** A log on {@code dir} (created if missing) that has read nothing yet. */
  private static WriteAheadLog create(Path dir, long segmentBytes, int queueCapacity, CommitListener committed) throws IOException {
    Files.createDirectories(dir);
    WriteAheadLog wal = new WriteAheadLog(dir, segmentBytes, queueCapacity, committed);
    wal.unread.set(wal.segmentBytesOnDisk());
    return wal;
  }

  private long segmentBytesOnDisk() throws IOException {
    long bytes = 0;
    for (Path f : segmentFiles()) {
      bytes += Files.size(f);
    }
    return bytes;
  }

  private List<Path> segmentFiles() throws IOException {
    try (Stream<Path> s = Files.list(dir)) {
      return s.filter(p -> p.getFileName().toString().startsWith(PREFIX) && p.toString().endsWith(SUFFIX)).sorted().toList();
    }
  }

  private void startUp(EntryListener replay, long minNextSeq) throws IOException {
    recover(replay, minNextSeq);
    roll();
    thread.start();
    opened.complete(null);
  }

  /** Completes once the log is read and takes entries; fails if reading it failed or was stopped. */
  public CompletableFuture<Void> opened() {
    return opened;
  }

  /** Waits up to {@code nanos} for the log to be read; whether it takes entries now. */
  public boolean awaitOpen(long nanos) {
    try {
      opened.get(nanos, TimeUnit.NANOSECONDS);
      return true;
    } catch (java.util.concurrent.TimeoutException | java.util.concurrent.ExecutionException e) {
      return false;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }

  /** Bytes of log found at start that are not read yet (0 once the log is open). */
  public long unreadBytes() {
    return unread.get();
  }

  private void recover(EntryListener replay, long minNextSeq) throws IOException {
    List<Path> files = segmentFiles();
    long next = minNextSeq;
    for (int i = 0; i < files.size(); i++) {
      Path f = files.get(i);
      long first = parseSeq(f);
      segments.add(new Segment(first, f));
      segmentNumber = Math.max(segmentNumber, parseNumber(f));
      next = Math.max(next, first);
      byte[] data = Files.readAllBytes(f);
      long[] nextAfter = {next};
      Scanned scanned =
          scan(data, first, (firstSeq, entry) -> {
            if (!running) {
              throw new IOException("the log is closing; what was not read is read at the next start");
            }
            replay.entry(firstSeq, entry);
            nextAfter[0] = Math.max(nextAfter[0], firstSeq + entry.rowCount());
          });
      next = nextAfter[0];
      int good = scanned.end();
      if (scanned.damaged() > 0) {
        log.error(
            "log segment {} has {} damaged entries ({} bytes) between intact ones, changed on disk since they were"
                + " written; they were skipped and the entries after them read; the records in them are lost unless they"
                + " are in the lake already",
            f.getFileName(), scanned.damaged(), scanned.damagedBytes());
        damagedEntries.addAndGet(scanned.damaged());
      }
      if (good < data.length) {
        if (i == files.size() - 1) {
          log.warn(
              "cutting a torn tail of {} bytes from {} (a write interrupted by a crash; it was never acknowledged)",
              data.length - good,
              f.getFileName());
          try (FileChannel ch = FileChannel.open(f, StandardOpenOption.WRITE)) {
            ch.truncate(good);
            ch.force(true);
          }
        } else {
          // A closed segment was whole when the next one began: its end is damage, kept as found.
          log.error(
              "log segment {} is damaged at byte {}; the {} bytes after it cannot be read and are lost unless their records"
                  + " are in the lake already",
              f.getFileName(), good, data.length - good);
          damagedEntries.incrementAndGet();
        }
      }
      bytesOnDisk.addAndGet(i == files.size() - 1 ? good : data.length);
      unread.addAndGet(-data.length);
    }
    nextSeq = next;
  }

  /**
   * What a scan of a segment found: where its last intact entry ends, and the damage it stepped
   * over between intact ones (an entry whose checksum failed, or a stretch of bytes it found the
   * next intact entry behind; damage at the end is a torn tail).
   */
  private record Scanned(int end, int damaged, long damagedBytes) {}

  /**
   * Hands every intact entry of a segment's bytes to {@code listener}; {@code firstSeq} is the
   * segment's first seq, from its name. An entry whose checksum fails is stepped over by its length
   * when an intact entry follows there; otherwise (its length is damaged too) the scan looks for the
   * next intact entry byte by byte, so that damage to one frame's header does not hide the intact
   * entries after it. Behind damage an entry counts as intact when its checksum holds and its seq
   * continues the log: seqs grow by one a row and a row takes at least a byte, so behind {@code n}
   * damaged bytes the next seq is at most {@code n} past the expected one (which makes a frame
   * that the payload of an entry only looks like all but impossible). Nothing found: the scan ends.
   */
  private static Scanned scan(byte[] data, long firstSeq, EntryListener listener) throws IOException {
    ByteBuffer buf = ByteBuffer.wrap(data).order(ByteOrder.BIG_ENDIAN);
    int at = 0;
    int good = 0;
    long expected = firstSeq;
    int damaged = 0;
    long damagedBytes = 0;
    while (at < data.length) {
      if (intactAt(data, buf, at, Long.MIN_VALUE, Long.MAX_VALUE)) {
        int len = buf.getInt(at);
        long seq = buf.getLong(at + 8);
        WalEntry entry = WalEntry.decode(ByteBuffer.wrap(data, at + HEADER, len - 8).slice());
        at += 8 + len;
        good = at;
        expected = seq + entry.rowCount();
        listener.entry(seq, entry);
        continue;
      }
      int next = nextIntact(data, buf, at, expected);
      if (next < 0) {
        break;
      }
      damaged++;
      damagedBytes += next - at;
      at = next;
    }
    return new Scanned(good, damaged, damagedBytes);
  }

  /** Where the next intact entry after damage at {@code from} starts, or -1 if none does. */
  private static int nextIntact(byte[] data, ByteBuffer buf, int from, long expected) {
    if (data.length - from >= HEADER) {
      int len = buf.getInt(from);
      int step = from + 8 + len;
      // Damage inside one entry: its length still leads to the next.
      if (len >= 8 && step > from && step <= data.length - HEADER && intactAt(data, buf, step, expected, expected + len)) {
        return step;
      }
    }
    for (int q = from + 1; q <= data.length - HEADER; q++) {
      if (intactAt(data, buf, q, expected, expected + (q - from))) {
        return q;
      }
    }
    return -1;
  }

  /** Whether an intact frame starts at {@code at} with a seq from {@code minSeq} to {@code maxSeq}. */
  private static boolean intactAt(byte[] data, ByteBuffer buf, int at, long minSeq, long maxSeq) {
    if (data.length - at < HEADER) {
      return false;
    }
    int len = buf.getInt(at);
    long seq = buf.getLong(at + 8);
    if (len < 8 || len > data.length - at - 8 || seq < minSeq || seq > maxSeq) {
      return false;
    }
    CRC32C c = new CRC32C();
    c.update(data, at + 8, len);
    return (int) c.getValue() == buf.getInt(at + 4);
  }

  /**
   * Reads every intact entry of the log in {@code dir}, in order, without changing anything: for
   * tools that look at a data directory while a server may be writing it ({@code audit verify}).
   */
  public static void read(Path dir, EntryListener listener) throws IOException {
    if (!Files.isDirectory(dir)) {
      return;
    }
    List<Path> files;
    try (Stream<Path> s = Files.list(dir)) {
      files = s.filter(p -> p.getFileName().toString().startsWith(PREFIX) && p.toString().endsWith(SUFFIX)).sorted().toList();
    }
    for (Path f : files) {
      try {
        scan(Files.readAllBytes(f), parseSeq(f), listener);
      } catch (java.nio.file.NoSuchFileException e) {
        // Truncated away meanwhile: its rows are in the lake.
      }
    }
  }

  /** Segment names are {@code wal-<first seq, 20 digits>-<segment number, 9 digits>.log}. */
  private static long parseSeq(Path p) {
    String n = p.getFileName().toString();
    return Long.parseLong(n.substring(PREFIX.length(), PREFIX.length() + 20));
  }

  private static long parseNumber(Path p) {
    String n = p.getFileName().toString();
    return Long.parseLong(n.substring(PREFIX.length() + 21, n.length() - SUFFIX.length()));
  }

  /**
   * Keeps {@code bytes} of the log's file system free: an entry that would leave less is refused
   * (and its request answered 503), so the lake writer always has room to write what the log
   * holds into the lake, which takes a fraction of the log's bytes, after which the log's
   * segments are deleted and records are taken again.
   */
  public void keepFree(long bytes) {
    keepFreeBytes = bytes;
  }

  /** Bytes free for this process on the log's file system now. */
  public long freeBytes() {
    try {
      return disk.getUsableSpace();
    } catch (IOException e) {
      return -1;
    }
  }

  /** Why the log refuses records now, for {@code GET /health}: empty while its last write succeeded. */
  public List<String> problems() {
    Refusal r = refusing;
    return r == null ? List.of() : List.of("the write-ahead log refuses records since " + r.since() + ": " + r.why());
  }

  /** An entry refused before anything of it was written, to keep the disk's reserve. */
  private static final class NoRoom extends IOException {
    NoRoom(String message) {
      super(message);
    }
  }

  private void requireRoom(long bytes) throws NoRoom, IOException {
    long keep = keepFreeBytes;
    if (keep <= 0) {
      return;
    }
    long free = disk.getUsableSpace();
    if (free - bytes < keep) {
      throw new NoRoom(
          "the disk of " + dir.getParent() + " has " + (free >> 20) + " MB free and " + (keep >> 20) + " MB of it are kept"
              + " for writing the lake (wal.min-free-bytes); free space on it or give it more");
    }
  }

  private void roll() throws IOException {
    if (current != null) {
      current.close();
    }
    segmentNumber++;
    Path p = dir.resolve(String.format("%s%020d-%09d%s", PREFIX, nextSeq, segmentNumber, SUFFIX));
    current = FileChannel.open(p, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
    FileSync.fsyncDirectory(dir);
    synchronized (segments) {
      segments.add(new Segment(nextSeq, p));
    }
    currentSize = 0;
  }

  /**
   * Queues an entry; the future completes with the entry's first row sequence number once it is
   * fsynced, or fails with the IOException that kept it from the disk. Blocks while the queue is
   * full, which pushes back on clients when the disk is slower than the network.
   */
  public CompletableFuture<Long> append(WalEntry entry) {
    return append(entry.encode(), entry.rowCount());
  }

  /** Queues an entry already encoded (see {@link WalEntry.Builder}) that holds {@code rows} rows. */
  public CompletableFuture<Long> append(byte[] encoded, int rows) {
    return append(encoded, rows, null);
  }

  /**
   * Queues an entry whose rows also go into an audit log ({@code audited}, null for none): the
   * entry was encoded with room for its first leaf index, which the log thread writes in.
   */
  public CompletableFuture<Long> append(byte[] encoded, int rows, AuditedRows audited) {
    CompletableFuture<Long> done = new CompletableFuture<>();
    IOException b = broken;
    if (b != null) {
      done.completeExceptionally(b);
      return done;
    }
    if (!running) {
      done.completeExceptionally(new IOException("the log is closed; the server is shutting down"));
      return done;
    }
    if (!opened.isDone()) {
      done.completeExceptionally(new IOException("the log is still being read after a restart; retry shortly"));
      return done;
    }
    try {
      queue.put(new Pending(rows, encoded, audited, done));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      done.completeExceptionally(new IOException("interrupted while queueing for the log"));
    }
    return done;
  }

  /** Held by the log thread while it writes, syncs and acknowledges a group of entries. */
  private final java.util.concurrent.locks.ReentrantLock committing = new java.util.concurrent.locks.ReentrantLock();

  /**
   * Runs {@code action} between two group commits: every entry acknowledged so far is in the log's
   * files with its audit leaves, and nothing is being written. Requests wait for their
   * acknowledgment meanwhile, so keep it short (a consistent snapshot of the data folder).
   */
  public <T> T betweenCommits(java.util.concurrent.Callable<T> action) throws Exception {
    committing.lock();
    try {
      return action.call();
    } finally {
      committing.unlock();
    }
  }

  private void run() {
    List<Pending> batch = new ArrayList<>();
    while (running || !queue.isEmpty()) {
      try {
        Pending first = queue.poll(100, TimeUnit.MILLISECONDS);
        if (first == null) {
          continue;
        }
        batch.add(first);
        queue.drainTo(batch, 4096);
        committing.lock();
        try {
          writeBatch(batch);
        } finally {
          committing.unlock();
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        break;
      } catch (RuntimeException | Error e) {
        // Kept alive: a dead log thread would leave every later request waiting forever.
        log.error("log thread failed on a batch", e);
        for (Pending p : batch) {
          p.done().completeExceptionally(new IOException("internal error writing the log", e));
        }
      } finally {
        batch.clear();
      }
    }
  }

  private void writeBatch(List<Pending> queued) {
    List<Pending> batch = numberLeaves(queued);
    if (batch.isEmpty()) {
      return;
    }
    long startPos = currentSize;
    long seq = nextSeq;
    long[] firstSeqs = new long[batch.size()];
    try {
      ByteBuffer[] bufs = new ByteBuffer[batch.size() * 2];
      long total = 0;
      for (int i = 0; i < batch.size(); i++) {
        Pending p = batch.get(i);
        firstSeqs[i] = seq;
        ByteBuffer header = ByteBuffer.allocate(HEADER);
        header.putInt(p.encoded().length + 8);
        CRC32C c = new CRC32C();
        ByteBuffer seqBytes = ByteBuffer.allocate(8).putLong(0, seq);
        c.update(seqBytes);
        c.update(p.encoded());
        header.putInt((int) c.getValue());
        header.putLong(seq);
        header.flip();
        bufs[2 * i] = header;
        bufs[2 * i + 1] = ByteBuffer.wrap(p.encoded());
        total += HEADER + p.encoded().length;
        seq += p.rows();
      }
      requireRoom(total);
      long written = 0;
      while (written < total) {
        written += current.write(bufs);
      }
      current.force(false);
      fsyncs.incrementAndGet();
      currentSize += total;
      bytesOnDisk.addAndGet(total);
      nextSeq = seq;
    } catch (IOException e) {
      if (!(e instanceof NoRoom)) {
        undo(startPos);
      }
      refused(e);
      for (int i = batch.size() - 1; i >= 0; i--) {
        if (batch.get(i).audited() != null) {
          batch.get(i).audited().failed();
        }
      }
      for (Pending p : batch) {
        p.done().completeExceptionally(e);
      }
      return;
    }
    Refusal was = refusing;
    if (was != null) {
      log.info("the write-ahead log takes records again; it refused them since {}", was.since());
      refusing = null;
    }
    for (Pending p : batch) {
      if (p.audited() != null) {
        p.audited().durable();
      }
    }
    // A full segment is closed before the batch is acknowledged, so whoever hears of an entry
    // sees the log as it is after it (truncation up to that entry can drop its segment).
    if (currentSize >= segmentBytes) {
      try {
        roll();
      } catch (IOException e) {
        log.error("could not start a new log segment; staying on the current one", e);
      }
    }
    for (int i = 0; i < batch.size(); i++) {
      Pending p = batch.get(i);
      try {
        committed.committed(firstSeqs[i], p.rows(), p.encoded());
      } catch (RuntimeException | Error e) {
        // The entry is durable whatever happens here: its request is acknowledged, and a restart
        // replays it into the lake.
        log.error("handing a committed entry to the lake writer failed; a restart replays it", e);
      }
      p.done().complete(firstSeqs[i]);
    }
  }

  /**
   * Numbers the audited entries of a batch in log order; an entry its audit log refuses fails
   * alone and is left out.
   */
  private static List<Pending> numberLeaves(List<Pending> queued) {
    List<Pending> batch = queued;
    for (int i = 0; i < queued.size(); i++) {
      Pending p = queued.get(i);
      if (p.audited() == null) {
        continue;
      }
      try {
        WalEntry.numberLeaves(p.encoded(), p.audited().firstLeaf());
      } catch (IOException | RuntimeException e) {
        if (batch == queued) {
          batch = new ArrayList<>(queued.subList(0, i));
        }
        p.done().completeExceptionally(e instanceof IOException ? (IOException) e : new IOException(e.getMessage(), e));
        continue;
      }
      if (batch != queued) {
        batch.add(p);
      }
    }
    return batch;
  }

  /** Says once, when the log starts refusing, why; {@link #problems()} says it for as long as it lasts. */
  private void refused(IOException e) {
    Refusal was = refusing;
    if (was == null) {
      log.warn("the write-ahead log refuses records, answered 503 until it can write again: {}", e.getMessage());
    }
    java.time.Instant since = was == null ? java.time.Instant.now().truncatedTo(java.time.temporal.ChronoUnit.SECONDS) : was.since();
    refusing = new Refusal(e.getMessage(), since);
  }

  /** Cuts a half-written batch so the next one does not follow garbage. */
  private void undo(long startPos) {
    try {
      current.truncate(startPos);
      current.position(startPos);
    } catch (IOException e) {
      broken = new IOException("the log cannot be written or repaired: " + e.getMessage(), e);
      log.error("log is broken; refusing writes until restart", e);
    }
  }

  /** Deletes segments whose rows all have sequence numbers at or below {@code flushedSeq}. */
  public void deleteUpTo(long flushedSeq) {
    List<Segment> drop = new ArrayList<>();
    synchronized (segments) {
      while (segments.size() > 1 && segments.get(1).firstSeq() <= flushedSeq + 1) {
        drop.add(segments.remove(0));
      }
    }
    for (Segment s : drop) {
      try {
        long size = Files.size(s.path());
        Files.deleteIfExists(s.path());
        bytesOnDisk.addAndGet(-size);
      } catch (IOException e) {
        log.warn("could not delete old log segment {}: {}", s.path(), e.toString());
      }
    }
  }

  /** Bytes of log on disk. */
  public long sizeBytes() {
    return bytesOnDisk.get();
  }

  /** Entries the log found damaged on disk when it was read at start (a torn tail not counted). */
  public long damagedEntries() {
    return damagedEntries.get();
  }

  public long fsyncCount() {
    return fsyncs.get();
  }

  /** Stops taking entries, writes what is queued, closes the file. */
  @Override
  public void close() throws IOException {
    running = false;
    try {
      if (reader != null) {
        reader.join(30_000);
      }
      thread.join(30_000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    if (current != null) {
      current.close();
    }
  }
}
