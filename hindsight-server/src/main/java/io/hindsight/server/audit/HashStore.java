package io.hindsight.server.audit;

import io.hindsight.server.files.FileSync;
import java.io.Closeable;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;

/**
 * The hashes of one Merkle log on disk, append-only: one file per level ({@code level-NN}) of the
 * hashes of complete, aligned subtrees, 32 bytes each, so node {@code (level, index)} is one read
 * at {@code index·32} and any proof is O(log n) reads at any size. The store holds about twice
 * the leaves' 32 bytes.
 *
 * <p>Appends are written at once but fsynced by {@link #sync()}, which then records the size in
 * {@code size} (written whole). A crash may lose or garble what came after the last sync: on
 * open, every level is cut back to that size and the caller re-appends the rest from the
 * write-ahead log, which is kept until a sync covers it. Appends come from one thread; reads
 * from any.
 */
final class HashStore implements SubtreeHashes, Closeable {
  private static final int MAX_LEVELS = 64;

  private final Path dir;
  private final FileChannel[] levels = new FileChannel[MAX_LEVELS];
  /** Per level, the hash of a left node still waiting for its right sibling (null if none). */
  private final byte[][] pendingLeft = new byte[MAX_LEVELS][];
  private volatile long size;
  private long syncedSize;
  /** Leaves the last sync recorded that the files no longer hold (cut outside the server), or 0. */
  private long lost;

  private HashStore(Path dir) {
    this.dir = dir;
  }

  /** Opens (or creates) the store in {@code dir}, cut back to its last synced size. */
  static HashStore open(Path dir) throws IOException {
    FileSync.createDirectoriesDurably(dir);
    HashStore s = new HashStore(dir);
    Path marker = dir.resolve("size");
    long recorded = Files.exists(marker) ? Long.parseLong(Files.readString(marker, StandardCharsets.US_ASCII).trim()) : 0;
    // Files cut shorter than the last sync recorded (outside the server) keep what they still hold.
    long synced = recorded;
    for (int l = 0; l < MAX_LEVELS && (recorded >> l) > 0; l++) {
      Path f = s.levelFile(l);
      long held = Files.exists(f) ? Files.size(f) / MerkleHashes.SIZE : 0;
      synced = Math.min(synced, (held << l) | (synced & ((1L << l) - 1)));
    }
    s.lost = recorded - synced;
    for (int l = 0; l < MAX_LEVELS; l++) {
      Path f = s.levelFile(l);
      if (Files.exists(f)) {
        s.channel(l).truncate((synced >> l) * MerkleHashes.SIZE);
      }
    }
    s.size = synced;
    s.syncedSize = synced;
    for (int l = 0; l < MAX_LEVELS && (synced >> l) > 0; l++) {
      long count = synced >> l;
      if ((count & 1) == 1) {
        s.pendingLeft[l] = s.node(l, count - 1);
      }
    }
    return s;
  }

  private Path levelFile(int level) {
    return dir.resolve(String.format("level-%02d", level));
  }

  private FileChannel channel(int level) throws IOException {
    FileChannel ch = levels[level];
    if (ch == null) {
      synchronized (levels) {
        ch = levels[level];
        if (ch == null) {
          ch = FileChannel.open(levelFile(level), StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE);
          levels[level] = ch;
        }
      }
    }
    return ch;
  }

  /** Leaves the last sync recorded that the files no longer held when the store was opened. */
  long lost() {
    return lost;
  }

  /** Leaves in the store. */
  long size() {
    return size;
  }

  /** Appends leaf hashes ({@code count} of 32 bytes each in {@code hashes}); visible to readers when it returns. */
  void append(byte[] hashes, int count) throws IOException {
    ByteBuffer[] out = new ByteBuffer[MAX_LEVELS];
    long[] firstIndex = new long[MAX_LEVELS];
    long n = size;
    for (int i = 0; i < count; i++) {
      byte[] h = Arrays.copyOfRange(hashes, i * MerkleHashes.SIZE, (i + 1) * MerkleHashes.SIZE);
      long index = n + i;
      for (int l = 0; ; l++) {
        if (out[l] == null) {
          out[l] = ByteBuffer.allocate((int) Math.max(MerkleHashes.SIZE, ((long) count >> l) * MerkleHashes.SIZE + MerkleHashes.SIZE));
          firstIndex[l] = index;
        }
        out[l] = ensure(out[l]);
        out[l].put(h);
        if ((index & 1) == 0) {
          pendingLeft[l] = h;
          break;
        }
        h = MerkleHashes.node(pendingLeft[l], h);
        pendingLeft[l] = null;
        index >>= 1;
      }
    }
    for (int l = 0; l < MAX_LEVELS && out[l] != null; l++) {
      ByteBuffer b = out[l].flip();
      long pos = firstIndex[l] * MerkleHashes.SIZE;
      FileChannel ch = channel(l);
      while (b.hasRemaining()) {
        pos += ch.write(b, pos);
      }
    }
    size = n + count;
  }

  private static ByteBuffer ensure(ByteBuffer b) {
    if (b.remaining() >= MerkleHashes.SIZE) {
      return b;
    }
    ByteBuffer bigger = ByteBuffer.allocate(b.capacity() * 2);
    return bigger.put(b.flip());
  }

  /** Makes every append so far durable and records the size that is; returns it. */
  synchronized long sync() throws IOException {
    long s = size;
    if (s == syncedSize) {
      return s;
    }
    for (int l = 0; l < MAX_LEVELS && (s >> l) > 0; l++) {
      channel(l).force(false);
    }
    FileSync.writeAtomically(dir.resolve("size"), Long.toString(s).getBytes(StandardCharsets.US_ASCII));
    syncedSize = s;
    return s;
  }

  @Override
  public byte[] node(int level, long index) throws IOException {
    if (index >= (size >> level)) {
      throw new IOException("audit hash (" + level + ", " + index + ") is beyond the log of " + size + " leaves");
    }
    ByteBuffer b = ByteBuffer.allocate(MerkleHashes.SIZE);
    long pos = index * MerkleHashes.SIZE;
    FileChannel ch = channel(level);
    while (b.hasRemaining()) {
      int r = ch.read(b, pos + b.position());
      if (r < 0) {
        throw new IOException("audit hash file " + levelFile(level) + " ends before hash " + index);
      }
    }
    return b.array();
  }

  /**
   * Reads the hashes of a store without changing anything, for tools that run next to a server
   * (nodes are read only below the size they ask for, which the server has written).
   */
  static final class Reader implements SubtreeHashes, Closeable {
    private final Path dir;
    private final FileChannel[] levels = new FileChannel[MAX_LEVELS];

    Reader(Path dir) {
      this.dir = dir;
    }

    @Override
    public byte[] node(int level, long index) throws IOException {
      if (levels[level] == null) {
        levels[level] = FileChannel.open(dir.resolve(String.format("level-%02d", level)), StandardOpenOption.READ);
      }
      ByteBuffer b = ByteBuffer.allocate(MerkleHashes.SIZE);
      while (b.hasRemaining()) {
        if (levels[level].read(b, index * MerkleHashes.SIZE + b.position()) < 0) {
          throw new IOException("audit hash file level-" + level + " in " + dir + " ends before hash " + index);
        }
      }
      return b.array();
    }

    @Override
    public void close() throws IOException {
      for (FileChannel ch : levels) {
        if (ch != null) {
          ch.close();
        }
      }
    }
  }

  @Override
  public void close() throws IOException {
    for (FileChannel ch : levels) {
      if (ch != null) {
        ch.close();
      }
    }
  }
}
