package io.hindsight.server.audit;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.hindsight.server.lake.Lake;
import io.hindsight.server.lake.Partition;
import io.hindsight.server.schema.EndpointSchema;
import io.hindsight.server.schema.Row;
import io.hindsight.server.schema.SchemaRegistry;
import io.hindsight.server.schema.Table;
import io.hindsight.server.wal.WalEntry;
import io.hindsight.server.wal.WriteAheadLog;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.StandardOpenOption;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.TreeMap;
import java.util.stream.Stream;

/**
 * {@code hindsight audit verify} over a data directory, with the server up or down and nothing
 * but read access: recomputes every leaf from the lake (and from the write-ahead log for records
 * acknowledged but not yet in the lake), compares it with the stored hash log, rebuilds the tree
 * and checks every stored checkpoint's signature and root. The first bad record is named:
 * {@code altered} (its record hashes differently), {@code reordered} (it holds another leaf's
 * record), {@code missing} (no record for a leaf) or {@code unexpected} (a record the log does not
 * hold). Leaves listed by a signed redaction entry are reported as redacted, not missing.
 */
public final class AuditVerifier {
  /** The lines to print and whether every endpoint verified. */
  public record Report(boolean ok, List<String> lines) {}

  private final Path dataDir;
  private final ObjectMapper json;

  public AuditVerifier(Path dataDir, ObjectMapper json) {
    this.dataDir = dataDir;
    this.json = json;
  }

  /** Verifies one endpoint's log, or every audited endpoint's when {@code endpoint} is null. */
  public Report verify(String endpoint) throws IOException {
    Path logs = dataDir.resolve("audit").resolve("logs");
    List<String> endpoints = new ArrayList<>();
    if (endpoint != null) {
      if (!Files.isDirectory(logs.resolve(endpoint))) {
        return new Report(false, List.of("FAIL " + endpoint + ": no audit log in " + logs));
      }
      endpoints.add(endpoint);
    } else if (Files.isDirectory(logs)) {
      try (Stream<Path> s = Files.list(logs)) {
        s.filter(Files::isDirectory).map(p -> p.getFileName().toString()).sorted().forEach(endpoints::add);
      }
    }
    if (endpoints.isEmpty()) {
      return new Report(false, List.of("FAIL no audit logs in " + logs));
    }
    byte[] publicKey = AuditKey.loadPublic(dataDir.resolve("audit").resolve("key"));
    SchemaRegistry schemas = new SchemaRegistry(dataDir.resolve("catalog"), json);
    // Sizes first, then the write-ahead log, then the lake: with a server running, every leaf
    // counted was fsynced in the log before, and a record the log dropped since is in the lake.
    Map<String, Long> sizes = new HashMap<>();
    for (String e : endpoints) {
      sizes.put(e, StoredLeaves.count(logs.resolve(e).resolve("hashes").resolve("level-00")));
    }
    Map<String, Map<Long, WalRecord>> pending = pendingRecords();
    boolean ok = true;
    List<String> lines = new ArrayList<>();
    for (String e : endpoints) {
      EndpointCheck check =
          new EndpointCheck(
              e, logs.resolve(e), publicKey, schemas.existing(Table.PREDICTIONS, e), pending.getOrDefault(e, Map.of()), sizes.get(e), true);
      ok &= check.run(lines);
    }
    return new Report(ok, lines);
  }

  /** A record of the write-ahead log not yet in the lake, with its leaf hash. */
  private record WalRecord(String predictionId, byte[] leafHash) {}

  /**
   * The audited records the write-ahead log holds that the lake does not yet (above their
   * partition's mark, as the server's replay decides), by endpoint and leaf index.
   */
  private Map<String, Map<Long, WalRecord>> pendingRecords() throws IOException {
    Map<Partition, Long> inLake = new Lake(dataDir.resolve("lake")).flushedSeqByPartition();
    Map<String, Map<Long, WalRecord>> out = new HashMap<>();
    WriteAheadLog.read(
        dataDir.resolve("wal"),
        (firstSeq, entry) -> {
          if (entry.firstLeaf() == WalEntry.NO_LEAF) {
            return;
          }
          List<Row> headers = entry.headers();
          for (int i = 0; i < headers.size(); i++) {
            if (firstSeq + i > inLake.getOrDefault(Partition.of(headers.get(i)), -1L)) {
              Row row = entry.rows().get(i);
              out.computeIfAbsent(row.endpoint(), e -> new HashMap<>())
                  .put(entry.firstLeaf() + i, new WalRecord((String) row.values().get("prediction_id"), AuditLog.leafHash(row, json)));
            }
          }
        });
    return out;
  }

  /**
   * Records whose leaf DuckDB renders differently from the stored hash that are recomputed one by
   * one in Java; past this many, the endpoint's records are all recomputed in Java (stored before
   * nested values were kept canonical, or tampered with on a large scale).
   */
  static final int MAX_RECOMPUTED = 100;

  /** The rendering by DuckDB missed too often to be worth it for this endpoint. */
  private static final class RenderingMissed extends RuntimeException {
    RenderingMissed() {
      super(null, null, false, false);
    }
  }

  /**
   * One endpoint's verification, streaming the lake's records against the stored hashes: first as
   * DuckDB renders them (every core, in no order, hashed in Java); a leaf that does not match is
   * recomputed in Java from its records, which decides. Without a rendering, every record is
   * recomputed in Java, in leaf order.
   */
  private final class EndpointCheck {
    final String endpoint;
    final Path dir;
    final byte[] publicKey;
    final EndpointSchema schema;
    /** The endpoint's records in the write-ahead log and not yet in the lake, by leaf index. */
    final Map<Long, WalRecord> pending;
    final long size;
    final boolean rendered;
    int recomputed;
    final TreeMap<Long, Checkpoint> checkpoints = new TreeMap<>();
    final Map<Long, String> redacted = new HashMap<>();
    final List<String> checkpointFailures = new ArrayList<>();
    final List<String> notes = new ArrayList<>();
    final Frontier rebuilt = new Frontier();
    StoredLeaves stored;
    /** The first bad record: index, id, kind; and its hash when it may be a reordered one. */
    long badIndex = Long.MAX_VALUE;
    String badLine;
    byte[] badHash;
    long failures;

    EndpointCheck(
        String endpoint, Path dir, byte[] publicKey, EndpointSchema schema, Map<Long, WalRecord> pending, long size, boolean rendered) {
      this.size = size;
      this.rendered = rendered;
      this.endpoint = endpoint;
      this.dir = dir;
      this.publicKey = publicKey;
      this.schema = schema;
      this.pending = pending;
    }

    boolean run(List<String> lines) throws IOException {
      loadCheckpoints();
      loadRedactions();
      long n;
      try (StoredLeaves s = new StoredLeaves(dir.resolve("hashes").resolve("level-00"))) {
        stored = s;
        n = Math.min(s.size, size);
        if (!scanLake(n)) {
          return new EndpointCheck(endpoint, dir, publicKey, schema, pending, size, false).run(lines);
        }
      }
      if (badLine != null && badHash != null && foundElsewhere(badHash, badIndex)) {
        badLine = badLine.replace(": altered", ": reordered");
      }
      for (Map.Entry<Long, Checkpoint> c : checkpoints.entrySet()) {
        if (c.getKey() > n) {
          checkpointFailures.add("FAIL " + endpoint + " checkpoint " + c.getKey() + ": signed for " + c.getKey()
              + " leaves but the hash log holds " + n + " (leaves were removed)");
        }
      }
      redacted.entrySet().stream()
          .filter(r -> r.getKey() < n)
          .sorted(Map.Entry.comparingByKey())
          .forEach(r -> lines.add("REDACTED " + endpoint + " record " + r.getKey() + ": redacted (erasure " + r.getValue() + ")"));
      lines.addAll(notes);
      if (badLine == null && checkpointFailures.isEmpty()) {
        lines.add("OK " + endpoint + " " + n + " records root " + HexFormat.of().formatHex(rebuilt.root()));
        return true;
      }
      if (badLine != null) {
        lines.add(badLine);
        if (failures > 1) {
          lines.add("FAIL " + endpoint + ": " + (failures - 1) + " more bad records after it");
        }
      }
      lines.addAll(checkpointFailures);
      return false;
    }

    private void loadCheckpoints() throws IOException {
      try (Stream<Path> s = Files.list(dir.resolve("checkpoints"))) {
        for (Path f : (Iterable<Path>) s.filter(p -> p.toString().endsWith(".note")).sorted()::iterator) {
          try {
            Checkpoint c = Checkpoint.verify(Files.readString(f), publicKey);
            if (!c.origin().equals(Checkpoint.originOf(endpoint))) {
              throw new IOException("its origin is '" + c.origin() + "', not '" + Checkpoint.originOf(endpoint) + "'");
            }
            if (!f.getFileName().toString().equals(String.format("%020d.note", c.size()))) {
              throw new IOException("it is for size " + c.size() + " but stored as " + f.getFileName());
            }
            checkpoints.put(c.size(), c);
          } catch (IOException | RuntimeException e) {
            checkpointFailures.add("FAIL " + endpoint + " checkpoint " + f.getFileName() + ": " + e.getMessage());
          }
        }
      }
    }

    private void loadRedactions() throws IOException {
      Path d = dir.resolve("redactions");
      if (!Files.isDirectory(d)) {
        return;
      }
      try (Stream<Path> s = Files.list(d)) {
        for (Path f : (Iterable<Path>) s.filter(p -> p.toString().endsWith(".json")).sorted()::iterator) {
          try {
            Redaction r = Redaction.verify(Files.readAllBytes(f), publicKey, json);
            r.leaves().forEach(l -> redacted.put(l, r.erasure()));
          } catch (IOException | RuntimeException e) {
            checkpointFailures.add("FAIL " + endpoint + " redaction " + f.getFileName() + ": " + e.getMessage());
          }
        }
      }
    }

    private void fail(long index, String predictionId, String kind, byte[] hash) {
      failures++;
      if (index < badIndex) {
        badIndex = index;
        badLine = "FAIL " + endpoint + " record " + index + " " + (predictionId == null ? "-" : predictionId) + ": " + kind;
        badHash = hash;
      }
    }

    /**
     * Reads the endpoint's records from the lake in leaf order and checks each leaf; false when
     * the check must start again with every record recomputed in Java.
     */
    private boolean scanLake(long n) throws IOException {
      long outside = LakeRecords.withoutLeaf(dataDir, endpoint);
      if (outside > 0) {
        notes.add("NOTE " + endpoint + ": " + outside + " records have no leaf (stored while the endpoint was not audited)");
      }
      if (rendered) {
        try {
          return scanRendered(n);
        } catch (RenderingMissed e) {
          return false;
        }
      }
      Leaves leaves = new Leaves(n);
      LakeRecords.read(dataDir, endpoint, schema, json, null, null, r -> leaves.add(exact(r)));
      for (long i = leaves.end(); i < n; i++) {
        absent(i);
      }
      return true;
    }

    /**
     * Checks DuckDB's rendering of every lake record against the stored hash at its index, in no
     * order and on every core; then walks the leaves in order: a leaf whose one record matched
     * adds its stored hash to the tree, a leaf without a record is pending, redacted or missing,
     * and a leaf with anything else (a mismatch, two records, an index the log does not hold) is
     * decided in Java from its records. Throws {@link RenderingMissed} when too many need Java.
     */
    private boolean scanRendered(long n) throws IOException {
      // Each stream scans every file's leaf column: past a few, more streams mostly repeat that scan.
      int streams = Math.max(1, Math.min(8, Runtime.getRuntime().availableProcessors()));
      LeafSet[] seen = new LeafSet[streams];
      Set<Long> suspicious = ConcurrentHashMap.newKeySet();
      try (MappedLeaves hashes = MappedLeaves.open(dir.resolve("hashes").resolve("level-00"), n)) {
        boolean renderable = LakeRecords.rendered(dataDir, endpoint, schema, streams, k -> {
          LeafSet mine = seen[k] = new LeafSet(n); // streams take disjoint leaves
          return (leaf, canonical) -> {
            if (suspicious.size() > MAX_RECOMPUTED) {
              throw new RenderingMissed();
            }
            if (leaf < 0 || leaf >= n || !mine.add(leaf) || canonical == null || !hashes.matches(leaf, MerkleHashes.leaf(canonical))) {
              suspicious.add(leaf);
            }
          };
        });
        if (!renderable || suspicious.size() > MAX_RECOMPUTED) {
          return false;
        }
      }
      long[] odd = suspicious.stream().mapToLong(Long::longValue).sorted().toArray();
      int next = 0;
      for (; next < odd.length && odd[next] < 0; next++) {
        unexpected(odd[next]);
      }
      for (long i = 0; i < n; i++) {
        if (next < odd.length && odd[next] == i) {
          next++;
          List<LakeRecord> group = recompute(i);
          if (group.isEmpty()) {
            absent(i);
          } else {
            checkLeaf(i, group);
          }
        } else if (seen[(int) (i % streams)] != null && seen[(int) (i % streams)].contains(i)) {
          rebuild(i, stored.at(i));
        } else {
          absent(i);
        }
      }
      for (; next < odd.length; next++) {
        unexpected(odd[next]);
      }
      return true;
    }

    /** Records stored with an index the log does not hold. */
    private void unexpected(long leaf) throws IOException {
      for (LakeRecord r : recompute(leaf)) {
        fail(r.leaf, r.id, "unexpected", null);
      }
    }

    /** The lake's records in leaf order, checked a leaf at a time (its records grouped). */
    private final class Leaves {
      final long n;
      final List<LakeRecord> group = new ArrayList<>();
      long next;

      Leaves(long n) {
        this.n = n;
      }

      void add(LakeRecord r) throws IOException {
        if (!group.isEmpty() && group.get(0).leaf != r.leaf) {
          next = checkGroup(group, next, n);
          group.clear();
        }
        group.add(r);
      }

      /** Checks the last group; returns the index after the last leaf checked. */
      long end() throws IOException {
        if (!group.isEmpty()) {
          next = checkGroup(group, next, n);
          group.clear();
        }
        return next;
      }
    }

    private LakeRecord exact(LakeRecords.Stored r) throws IOException {
      return new LakeRecord(r.leaf(), r.predictionId(), AuditLog.leafHash(r.record()));
    }

    /** The leaf's records with their hashes computed in Java from the records themselves. */
    private List<LakeRecord> recompute(long leaf) throws IOException {
      if (++recomputed > MAX_RECOMPUTED) {
        throw new RenderingMissed();
      }
      List<LakeRecord> out = new ArrayList<>();
      LakeRecords.readLeaf(dataDir, endpoint, schema, json, leaf, r -> out.add(exact(r)));
      return out;
    }

    /** The lake's records of one leaf index (one, unless records were added); returns the next index. */
    private long checkGroup(List<LakeRecord> group, long next, long n) throws IOException {
      long leaf = group.get(0).leaf;
      if (leaf < 0 || leaf >= n) {
        group.forEach(r -> fail(r.leaf, r.id, "unexpected", null));
        return next;
      }
      for (long i = next; i < leaf; i++) {
        absent(i);
      }
      checkLeaf(leaf, group);
      return leaf + 1;
    }

    /** The records of one leaf index within the log, their hashes computed in Java: one is the leaf's, others are not. */
    private void checkLeaf(long leaf, List<LakeRecord> group) throws IOException {
      byte[] want = stored.at(leaf);
      LakeRecord genuine = group.stream().filter(r -> Arrays.equals(r.hash, want)).findFirst().orElse(null);
      for (LakeRecord r : group) {
        if (r == genuine) {
          continue;
        }
        if (genuine != null || r != group.get(0)) {
          fail(leaf, r.id, "unexpected", null);
        } else {
          fail(leaf, r.id, "altered", r.hash);
        }
      }
      rebuild(leaf, genuine != null ? genuine.hash : group.get(0).hash);
    }

    /** A leaf with no record in the lake: pending in the write-ahead log, redacted, or missing. */
    private void absent(long leaf) throws IOException {
      byte[] want = stored.at(leaf);
      WalRecord w = pending.get(leaf);
      if (w != null) {
        if (!Arrays.equals(w.leafHash, want)) {
          fail(leaf, w.predictionId, "altered", w.leafHash);
        }
        rebuild(leaf, w.leafHash);
        return;
      }
      if (!redacted.containsKey(leaf)) {
        fail(leaf, null, "missing", null);
      }
      rebuild(leaf, want);
    }

    /** Adds the recomputed leaf to the rebuilt tree and checks the checkpoints of that size. */
    private void rebuild(long leaf, byte[] hash) {
      rebuilt.add(hash);
      Checkpoint c = checkpoints.get(leaf + 1);
      if (c != null && !Arrays.equals(rebuilt.root(), c.rootHash())) {
        checkpointFailures.add("FAIL " + endpoint + " checkpoint " + c.size()
            + ": its signed root does not match the tree of the records");
      }
    }

    /** Whether {@code hash} is stored at an index other than {@code index}: the record of another leaf. */
    private boolean foundElsewhere(byte[] hash, long index) throws IOException {
      try (StoredLeaves s = new StoredLeaves(dir.resolve("hashes").resolve("level-00"))) {
        for (long i = 0; i < s.size; i++) {
          if (i != index && Arrays.equals(s.at(i), hash)) {
            return true;
          }
        }
      }
      return false;
    }
  }

  /** A lake record: its leaf index, prediction id and leaf hash. */
  private record LakeRecord(long leaf, String id, byte[] hash) {}

  /** Leaf indexes below a bound, a bit each. */
  private static final class LeafSet {
    private final long[] words;

    LeafSet(long bound) {
      words = new long[(int) ((bound + 63) >>> 6)];
    }

    /** Adds the index; false when it was there. */
    boolean add(long i) {
      int w = (int) (i >>> 6);
      long bit = 1L << i;
      boolean had = (words[w] & bit) != 0;
      words[w] |= bit;
      return !had;
    }

    boolean contains(long i) {
      return (words[(int) (i >>> 6)] & (1L << i)) != 0;
    }
  }

  /** The first n stored leaf hashes mapped into memory, read at any index from any thread. */
  private static final class MappedLeaves implements AutoCloseable {
    private static final long CHUNK = 1L << 30; // a multiple of the hash size
    private final FileChannel channel;
    private final MappedByteBuffer[] chunks;

    private MappedLeaves(FileChannel channel, MappedByteBuffer[] chunks) {
      this.channel = channel;
      this.chunks = chunks;
    }

    static MappedLeaves open(Path level0, long n) throws IOException {
      if (n == 0) {
        return new MappedLeaves(null, new MappedByteBuffer[0]);
      }
      FileChannel ch = FileChannel.open(level0, StandardOpenOption.READ);
      long bytes = n * MerkleHashes.SIZE;
      MappedByteBuffer[] chunks = new MappedByteBuffer[(int) ((bytes + CHUNK - 1) / CHUNK)];
      for (int i = 0; i < chunks.length; i++) {
        chunks[i] = ch.map(FileChannel.MapMode.READ_ONLY, i * CHUNK, Math.min(CHUNK, bytes - i * CHUNK));
      }
      return new MappedLeaves(ch, chunks);
    }

    /** Whether the hash stored at {@code leaf} (below n) is {@code hash}. */
    boolean matches(long leaf, byte[] hash) {
      long offset = leaf * MerkleHashes.SIZE;
      MappedByteBuffer chunk = chunks[(int) (offset / CHUNK)];
      int at = (int) (offset % CHUNK);
      for (int i = 0; i < MerkleHashes.SIZE; i++) {
        if (chunk.get(at + i) != hash[i]) {
          return false;
        }
      }
      return true;
    }

    @Override
    public void close() throws IOException {
      if (channel != null) {
        channel.close();
      }
    }
  }

  /** The stored leaf hashes, read forward (leaves are visited in increasing order). */
  private static final class StoredLeaves implements AutoCloseable {
    final long size;
    private final InputStream in;
    private long position;

    StoredLeaves(Path level0) throws IOException {
      this.size = count(level0);
      this.in = size == 0 ? InputStream.nullInputStream() : new BufferedInputStream(Files.newInputStream(level0), 1 << 20);
    }

    static long count(Path level0) throws IOException {
      return Files.exists(level0) ? Files.size(level0) / MerkleHashes.SIZE : 0;
    }

    byte[] at(long index) throws IOException {
      if (index < position) {
        throw new IllegalStateException("stored leaves are read forward");
      }
      in.skipNBytes((index - position) * MerkleHashes.SIZE);
      byte[] h = in.readNBytes(MerkleHashes.SIZE);
      position = index + 1;
      return h;
    }

    @Override
    public void close() throws IOException {
      in.close();
    }
  }

  /** The right edge of a tree built leaf by leaf: its root at any size in O(log n). */
  static final class Frontier {
    private final List<byte[]> stack = new ArrayList<>();
    private long size;

    void add(byte[] leafHash) {
      byte[] h = leafHash;
      long n = size;
      while ((n & 1) == 1) {
        h = MerkleHashes.node(stack.remove(stack.size() - 1), h);
        n >>= 1;
      }
      stack.add(h);
      size++;
    }

    byte[] root() {
      if (stack.isEmpty()) {
        return MerkleHashes.empty();
      }
      byte[] r = stack.get(stack.size() - 1);
      for (int i = stack.size() - 2; i >= 0; i--) {
        r = MerkleHashes.node(stack.get(i), r);
      }
      return r;
    }
  }
}
