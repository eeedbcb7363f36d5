package io.hindsight;

import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.zip.CRC32;

/**
 * A crash-safe spool on disk: one segment file per batch, named by a sequence number so replay
 * keeps the order. A segment is written whole: temporary name, fsync, atomic rename, fsync of the
 * directory (STYLE §6). A reader never sees half a segment; a crash leaves at most a
 * {@code .tmp} file, which the next start deletes.
 *
 * <p>Segment layout: magic {@code HSP2}, kind (1 byte), body format (1 byte, {@link BodyFormat}'s
 * ordinal), record count (int), idempotency key (UTF), body length (int), gzipped body, CRC-32 of
 * all of the above. A segment of magic {@code HSP1} (before body formats) has no format byte and
 * holds JSON. A segment that fails its check is renamed to {@code .corrupt} and reported, never
 * replayed.
 *
 * <p>A {@code spool.lock} file locked for the lifetime of the spool keeps two processes from
 * sharing a directory.
 */
final class DiskSpool implements Spool {
  static final String SUFFIX = ".hsb";
  private static final String PREFIX = "segment-";
  private static final int MAGIC_JSON_ONLY = 0x48535031; // "HSP1"
  private static final int MAGIC = 0x48535032; // "HSP2"

  private final Path dir;
  private final long maxBytes;
  private final ThrottledLog log;
  private final FileChannel lockChannel;
  private final FileLock lock;
  private final ArrayDeque<Segment> segments = new ArrayDeque<>();
  private long nextSequence;
  private volatile long bytes;
  private volatile long records;
  private final AtomicLongArray recordsByKind = new AtomicLongArray(Kind.values().length);

  private static final class Segment {
    final Path path;
    final long size;
    final Kind kind;
    final int records;

    Segment(Path path, long size, Kind kind, int records) {
      this.path = path;
      this.size = size;
      this.kind = kind;
      this.records = records;
    }
  }

  private void count(Segment s, int sign) {
    bytes += sign * s.size;
    records += sign * (long) s.records;
    recordsByKind.addAndGet(s.kind.ordinal(), sign * (long) s.records);
  }

  /**
   * Opens (creating if needed) and locks the spool directory, and loads the segments a previous
   * process left, oldest first. Throws with what to do when the directory is unusable.
   */
  DiskSpool(Path dir, long maxBytes, ThrottledLog log) {
    this.dir = dir;
    this.maxBytes = maxBytes;
    this.log = log;
    try {
      Files.createDirectories(dir);
    } catch (IOException e) {
      throw new IllegalArgumentException(
          "spoolDirectory " + dir + " cannot be created (" + e + "); point it at a writable local"
              + " directory", e);
    }
    FileChannel channel = null;
    FileLock acquired = null;
    try {
      channel =
          FileChannel.open(dir.resolve("spool.lock"), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
      acquired = channel.tryLock();
    } catch (OverlappingFileLockException e) {
      acquired = null;
    } catch (IOException e) {
      closeQuietly(channel);
      throw new IllegalArgumentException(
          "spoolDirectory " + dir + " is not writable (" + e + "); point it at a writable local"
              + " directory", e);
    }
    if (acquired == null) {
      closeQuietly(channel);
      throw new IllegalArgumentException(
          "spoolDirectory " + dir + " is in use by another Hindsight instance or process; give"
              + " each instance its own spool directory");
    }
    this.lockChannel = channel;
    this.lock = acquired;
    try {
      load();
    } catch (IOException e) {
      close();
      throw new IllegalArgumentException(
          "spoolDirectory " + dir + " cannot be read (" + e + "); fix its permissions or point"
              + " spoolDirectory elsewhere", e);
    }
  }

  private void load() throws IOException {
    List<Path> found = new ArrayList<>();
    try (DirectoryStream<Path> files = Files.newDirectoryStream(dir)) {
      for (Path f : files) {
        String name = f.getFileName().toString();
        if (name.endsWith(".tmp")) {
          Files.deleteIfExists(f); // a write that never completed
        } else if (name.startsWith(PREFIX) && name.endsWith(SUFFIX)) {
          found.add(f);
        }
      }
    }
    Collections.sort(found); // zero-padded sequence numbers sort in write order
    long maxSeq = -1;
    for (Path f : found) {
      long seq = sequenceOf(f);
      maxSeq = Math.max(maxSeq, seq);
      try {
        Batch b = read(f);
        Segment s = new Segment(f, Files.size(f), b.kind, b.records);
        segments.addLast(s);
        count(s, 1);
      } catch (IOException | RuntimeException e) {
        quarantine(f, e);
      }
    }
    nextSequence = maxSeq + 1;
  }

  /** The sequence number of a segment; halves of a split segment carry their parent's and a suffix. */
  private static long sequenceOf(Path f) {
    String name = f.getFileName().toString();
    String digits = name.substring(PREFIX.length(), name.length() - SUFFIX.length());
    int dash = digits.indexOf('-');
    try {
      return Long.parseLong(dash < 0 ? digits : digits.substring(0, dash));
    } catch (NumberFormatException e) {
      return -1;
    }
  }

  private void quarantine(Path f, Exception why) {
    try {
      Files.move(f, f.resolveSibling(f.getFileName() + ".corrupt"), StandardCopyOption.REPLACE_EXISTING);
    } catch (IOException ignored) {
      // Best effort: it is skipped either way.
    }
    log.warn(
        "spool-corrupt",
        "spool segment " + f + " is unreadable (" + why + "); it was renamed to .corrupt and will"
            + " not be replayed");
  }

  @Override
  public void add(Batch batch) throws IOException {
    Segment s = write(PREFIX + pad(nextSequence++) + SUFFIX, batch);
    fsyncDirectory();
    segments.addLast(s);
    count(s, 1);
  }

  /**
   * Writes the halves next to the head under names that sort right after it ({@code
   * segment-<seq>-1}, {@code -2}: they sort where the head did), then deletes the head. A crash in between
   * leaves both, and replay sends records twice under the same keys, which the server stores once.
   */
  @Override
  public void replaceHead(List<Batch> replacements) throws IOException {
    Segment head = segments.peekFirst();
    if (head == null) {
      throw new IllegalStateException("replaceHead on an empty spool");
    }
    String base = head.path.getFileName().toString();
    base = base.substring(0, base.length() - SUFFIX.length());
    List<Segment> written = new ArrayList<>(replacements.size());
    for (int i = 0; i < replacements.size(); i++) {
      written.add(write(base + "-" + (i + 1) + SUFFIX, replacements.get(i)));
    }
    fsyncDirectory();
    removeHead();
    for (int i = written.size() - 1; i >= 0; i--) {
      segments.addFirst(written.get(i));
      count(written.get(i), 1);
    }
  }

  private Segment write(String name, Batch batch) throws IOException {
    byte[] bytesOut = encode(batch);
    Path target = dir.resolve(name);
    Path tmp = dir.resolve(name + ".tmp");
    try (FileChannel ch =
        FileChannel.open(tmp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
      ByteBuffer buf = ByteBuffer.wrap(bytesOut);
      while (buf.hasRemaining()) {
        ch.write(buf);
      }
      ch.force(true);
    }
    try {
      Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE);
    } catch (AtomicMoveNotSupportedException e) {
      Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING);
    }
    return new Segment(target, bytesOut.length, batch.kind, batch.records);
  }

  private void fsyncDirectory() {
    try (FileChannel d = FileChannel.open(dir, StandardOpenOption.READ)) {
      d.force(true);
    } catch (IOException e) {
      // Some file systems (and Windows) cannot open a directory; the rename is still atomic.
    }
  }

  @Override
  public Batch peek(int index) throws IOException {
    while (true) {
      Segment s = Spool.nth(segments, index);
      if (s == null) {
        return null;
      }
      try {
        return read(s.path);
      } catch (IOException | RuntimeException e) {
        segments.removeFirstOccurrence(s);
        count(s, -1);
        quarantine(s.path, e);
      }
    }
  }

  @Override
  public void removeHead() throws IOException {
    Segment s = segments.pollFirst();
    if (s != null) {
      count(s, -1);
      Files.deleteIfExists(s.path);
    }
  }

  @Override
  public Removed removeOldestAfter(int skip) throws IOException {
    Segment victim = Spool.nth(segments, skip);
    if (victim == null) {
      return null;
    }
    segments.removeFirstOccurrence(victim);
    count(victim, -1);
    Files.deleteIfExists(victim.path);
    return new Removed(victim.kind, victim.records);
  }

  @Override
  public boolean isEmpty() {
    return segments.isEmpty();
  }

  @Override
  public int size() {
    return segments.size();
  }

  @Override
  public boolean fits(Batch batch) {
    return bytes + batch.size() + 16 <= maxBytes;
  }

  @Override
  public long records() {
    return records;
  }

  @Override
  public long records(Kind kind) {
    return recordsByKind.get(kind.ordinal());
  }

  @Override
  public long bytes() {
    return bytes;
  }

  @Override
  public boolean durable() {
    return true;
  }

  @Override
  public void close() {
    try {
      if (lock != null && lock.isValid()) {
        lock.release();
      }
    } catch (IOException ignored) {
      // Closing the channel releases it too.
    }
    closeQuietly(lockChannel);
  }

  private static void closeQuietly(FileChannel c) {
    if (c != null) {
      try {
        c.close();
      } catch (IOException ignored) {
        // nothing to do
      }
    }
  }

  static byte[] encode(Batch b) {
    try {
      ByteArrayOutputStream bos = new ByteArrayOutputStream(b.gzippedBody.length + 64);
      DataOutputStream out = new DataOutputStream(bos);
      out.writeInt(MAGIC);
      out.writeByte(b.kind.ordinal());
      out.writeByte(b.format.ordinal());
      out.writeInt(b.records);
      out.writeUTF(b.idempotencyKey);
      out.writeInt(b.gzippedBody.length);
      out.write(b.gzippedBody);
      CRC32 crc = new CRC32();
      crc.update(bos.toByteArray());
      out.writeInt((int) crc.getValue());
      out.flush();
      return bos.toByteArray();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static Batch read(Path f) throws IOException {
    byte[] all = Files.readAllBytes(f);
    if (all.length < 4 + 1 + 4 + 2 + 4 + 4) {
      throw new IOException("truncated segment");
    }
    CRC32 crc = new CRC32();
    crc.update(all, 0, all.length - 4);
    int expected = ByteBuffer.wrap(all, all.length - 4, 4).getInt();
    if ((int) crc.getValue() != expected) {
      throw new IOException("checksum mismatch");
    }
    DataInputStream in = new DataInputStream(new java.io.ByteArrayInputStream(all, 0, all.length - 4));
    int magic = in.readInt();
    if (magic != MAGIC && magic != MAGIC_JSON_ONLY) {
      throw new IOException("not a spool segment");
    }
    Kind kind = Kind.values()[in.readUnsignedByte()];
    BodyFormat format = BodyFormat.JSON;
    if (magic == MAGIC) {
      int ordinal = in.readUnsignedByte();
      if (ordinal >= BodyFormat.values().length) {
        throw new IOException("unknown body format " + ordinal);
      }
      format = BodyFormat.values()[ordinal];
    }
    int records = in.readInt();
    String key = in.readUTF();
    int len = in.readInt();
    byte[] body = new byte[len];
    in.readFully(body);
    return new Batch(kind, key, records, format, body);
  }

  private static String pad(long seq) {
    String s = Long.toString(seq);
    StringBuilder sb = new StringBuilder(20);
    for (int i = s.length(); i < 20; i++) {
      sb.append('0');
    }
    return sb.append(s).toString();
  }

}
