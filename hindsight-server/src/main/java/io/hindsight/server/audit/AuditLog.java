package io.hindsight.server.audit;

import io.hindsight.server.schema.CanonicalJson;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.hindsight.server.files.FileSync;
import io.hindsight.server.schema.JsonText;
import io.hindsight.server.schema.LookupRecord;
import io.hindsight.server.schema.Row;
import io.hindsight.server.wal.AuditedRows;
import io.hindsight.server.wal.WalEntry;
import java.io.Closeable;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One endpoint's audit log in {@code audit/logs/<endpoint>/}: the Merkle tree's hashes ({@code
 * hashes/}, see {@link HashStore}), every signed checkpoint ({@code checkpoints/<size>.note}) and
 * the signed redaction entries of erasures ({@code redactions/<erasure id>.json}).
 *
 * <p>Leaves are numbered and appended on the write-ahead log's thread (see {@link AuditedRows});
 * checkpoints are signed by the scheduler. The log never signs a checkpoint its tree does not
 * extend: at start it checks the stored tree against the latest checkpoint and, if they disagree,
 * refuses to sign until an operator has looked (see {@link #problem()}).
 */
public final class AuditLog implements Closeable {
  private static final Logger log = LoggerFactory.getLogger(AuditLog.class);

  private final String endpoint;
  private final String origin;
  private final Path dir;
  private final HashStore store;
  private final AuditKey key;
  private final ObjectMapper json;
  /** Where the next numbered entry starts; used by the log thread alone (and recovery before it). */
  private long next;
  /** Why leaves can no longer be appended (until a restart recovers them from the log), or null. */
  private volatile String broken;
  /** Why checkpoints are not signed, or null. */
  private volatile String refusal;
  private volatile Checkpoint latest;
  private volatile String latestNote;

  private AuditLog(String endpoint, Path dir, HashStore store, AuditKey key, ObjectMapper json) {
    this.endpoint = endpoint;
    this.origin = Checkpoint.originOf(endpoint);
    this.dir = dir;
    this.store = store;
    this.key = key;
    this.json = json;
    this.next = store.size();
  }

  static AuditLog open(Path dir, String endpoint, AuditKey key, ObjectMapper json) throws IOException {
    FileSync.createDirectoriesDurably(dir.resolve("checkpoints"));
    FileSync.createDirectoriesDurably(dir.resolve("redactions"));
    AuditLog l = new AuditLog(endpoint, dir, HashStore.open(dir.resolve("hashes")), key, json);
    if (l.store.lost() > 0) {
      // Numbering on from a shorter tree would give new records the indexes of stored ones.
      l.broken =
          "audit log of '" + endpoint + "': its hash files lost " + l.store.lost() + " leaves that were synced (cut outside the server);"
              + " its records are refused and no checkpoint is signed. Run 'hindsight audit verify --endpoint " + endpoint
              + "' and restore audit/logs/" + endpoint + " from a backup";
      l.refusal = l.broken;
      log.error(l.broken);
    }
    l.loadLatestCheckpoint();
    return l;
  }

  /** The leaf hash of a record: SHA-256(0x00 ‖ JCS(record as the lookup API returns it)). */
  public static byte[] leafHash(Map<String, Object> lookupRecord) throws IOException {
    return MerkleHashes.leaf(CanonicalJson.of(lookupRecord));
  }

  /**
   * Puts an accepted row in the form an audited endpoint stores: its nested JSON values in
   * canonical form and its maps (tags) with their keys in order, the form its leaf hashes, so that
   * {@code audit verify} can have DuckDB write a stored record's leaf without parsing or sorting
   * anything. Changes the row's values in place (a new row's map, held by nobody else yet).
   */
  static Row canonical(Row row, ObjectMapper json) {
    for (Map.Entry<String, Object> e : row.values().entrySet()) {
      if (e.getValue() instanceof JsonText t && !t.canonical()) {
        try {
          e.setValue(CanonicalJson.canonical(t, json));
        } catch (IOException x) {
          throw new UncheckedIOException("a nested value could not be put in canonical JSON for the audit log", x);
        }
      } else if (e.getValue() instanceof Map<?, ?> m && !(m instanceof TreeMap) && !inOrder(m.keySet())) {
        e.setValue(new TreeMap<>(m)); // String order is RFC 8785's order of keys
      }
    }
    return row;
  }

  private static boolean inOrder(Iterable<?> keys) {
    String last = null;
    for (Object k : keys) {
      String key = (String) k;
      if (last != null && last.compareTo(key) >= 0) {
        return false;
      }
      last = key;
    }
    return true;
  }

  static byte[] leafHash(Row row, ObjectMapper json) {
    try {
      return MerkleHashes.leaf(LookupRecord.canonical(row, json));
    } catch (IOException e) {
      throw new UncheckedIOException("a record could not be put in canonical JSON for the audit log", e);
    }
  }

  public String endpoint() {
    return endpoint;
  }

  /** Leaves in the log. */
  public long size() {
    return store.size();
  }

  /** The latest signed checkpoint, or null before the first. */
  public Checkpoint latest() {
    return latest;
  }

  /** The latest signed checkpoint note, or null before the first. */
  public String latestNote() {
    return latestNote;
  }

  /** What is wrong with this log (it refuses to sign or to take leaves), or null. */
  public String problem() {
    return broken != null ? broken : refusal;
  }

  SubtreeHashes hashes() {
    return store;
  }

  /** Where a request's accepted predictions go on their way into this log. */
  AuditedRows rows() {
    return new Entry();
  }

  /** One log entry's rows: hashed on the request thread, numbered and appended on the log thread. */
  private final class Entry implements AuditedRows {
    private byte[] hashes = new byte[8 * MerkleHashes.SIZE];
    private int count;
    private long first = -1;

    @Override
    public Row add(Row accepted) {
      Row row = canonical(accepted, json);
      byte[] h = leafHash(row, json);
      if ((count + 1) * MerkleHashes.SIZE > hashes.length) {
        hashes = Arrays.copyOf(hashes, hashes.length * 2);
      }
      System.arraycopy(h, 0, hashes, count * MerkleHashes.SIZE, MerkleHashes.SIZE);
      count++;
      return row;
    }

    @Override
    public long firstLeaf() throws IOException {
      String b = broken;
      if (b != null) {
        throw new IOException(b);
      }
      first = next;
      next += count;
      return first;
    }

    @Override
    public void durable() {
      try {
        if (broken == null) {
          store.append(hashes, count);
        }
      } catch (IOException | RuntimeException e) {
        // The entry is in the write-ahead log with its leaf index; a restart appends it from there.
        broken =
            "audit log of '" + endpoint + "': appending leaves failed (" + e.getMessage()
                + "); its records are refused until a restart recovers the leaves from the write-ahead log";
        log.error(broken, e);
      }
    }

    @Override
    public void failed() {
      next = first;
    }
  }

  /**
   * Appends the leaves of a write-ahead log entry that the hash store lost in a crash (its
   * leaves at or above the store's size), on start-up, in log order.
   */
  void recover(WalEntry entry) throws IOException {
    long leaf = entry.firstLeaf();
    if (leaf + entry.rowCount() <= store.size()) {
      return; // every leaf of the entry is stored; its rows need not be read
    }
    for (Row row : entry.rows()) {
      long size = store.size();
      if (leaf == size) {
        store.append(leafHash(row, json), 1);
      } else if (leaf > size) {
        refusal =
            "audit log of '" + endpoint + "': the write-ahead log holds leaf " + leaf + " but the hash store ends at "
                + size + "; leaves were lost, so no checkpoint is signed. Run 'hindsight audit verify --endpoint "
                + endpoint + "' and restore audit/logs/" + endpoint + " from a backup";
        log.error(refusal);
        return;
      }
      leaf++;
    }
    next = store.size();
  }

  private void loadLatestCheckpoint() throws IOException {
    Path last;
    try (Stream<Path> files = Files.list(dir.resolve("checkpoints"))) {
      last = files.filter(p -> p.toString().endsWith(".note")).max(Path::compareTo).orElse(null);
    }
    if (last == null) {
      return;
    }
    String note = Files.readString(last, StandardCharsets.UTF_8);
    try {
      latest = Checkpoint.verify(note, key.publicKey());
      latestNote = note;
    } catch (IOException e) {
      refusal = "audit log of '" + endpoint + "': the latest checkpoint " + last.getFileName() + " is not valid (" + e.getMessage()
          + "); no checkpoint is signed. Run 'hindsight audit verify --endpoint " + endpoint + "'";
    }
  }

  /**
   * Checks that the stored tree extends the latest signed checkpoint; if it does not (hashes lost
   * or changed), no further checkpoint is signed, so the server never signs two inconsistent ones.
   */
  void checkAgainstLatestCheckpoint() throws IOException {
    Checkpoint c = latest;
    if (c == null || refusal != null) {
      return;
    }
    if (store.size() < c.size() || !Arrays.equals(store.root(c.size()), c.rootHash())) {
      refusal =
          "audit log of '" + endpoint + "': the stored tree (" + store.size() + " leaves) does not extend the latest signed checkpoint (size "
              + c.size() + "); no checkpoint is signed. Run 'hindsight audit verify --endpoint " + endpoint
              + "' and restore audit/logs/" + endpoint + " from a backup";
      log.error(refusal);
    }
  }

  /** Makes every appended leaf durable (before the write-ahead log drops their entries). */
  void sync() throws IOException {
    store.sync();
  }

  /** Signs and stores a checkpoint of the current size if the log grew since the last one; returns the latest. */
  synchronized Checkpoint sign() throws IOException {
    if (refusal != null) {
      return latest;
    }
    long size = store.sync();
    if (size == 0 || (latest != null && latest.size() == size)) {
      return latest;
    }
    Checkpoint c = new Checkpoint(origin, size, store.root(size));
    String note = c.sign(key);
    FileSync.writeAtomically(dir.resolve("checkpoints").resolve(String.format("%020d.note", size)), note.getBytes(StandardCharsets.UTF_8));
    latestNote = note;
    latest = c;
    return c;
  }

  /** The note of the checkpoint of exactly {@code size}, or null when none was signed at that size. */
  String noteAt(long size) throws IOException {
    Path p = dir.resolve("checkpoints").resolve(String.format("%020d.note", size));
    return Files.exists(p) ? Files.readString(p, StandardCharsets.UTF_8) : null;
  }

  /**
   * Records a signed redaction entry: erasure {@code erasureId} removed the records of {@code
   * leaves}, which stay in the tree. {@code audit verify} then reports them as redacted. The same
   * erasure asking again for leaves its entry lists (a resumed job) gets that entry.
   */
  public synchronized Redaction redact(String erasureId, List<Long> leaves) throws IOException {
    if (!erasureId.matches("[A-Za-z0-9_-]{1,128}")) {
      throw new IllegalArgumentException("erasure id '" + erasureId + "' must be 1 to 128 letters, digits, '_' or '-'");
    }
    long size = store.size();
    for (long l : leaves) {
      if (l < 0 || l >= size) {
        throw new IllegalArgumentException("leaf " + l + " is not in the audit log of '" + endpoint + "' (" + size + " leaves)");
      }
    }
    Path target = dir.resolve("redactions").resolve(erasureId + ".json");
    if (Files.exists(target)) {
      // An erasure resumed after a crash names again the records still in the lake: its entry
      // already lists them.
      Redaction existing = Redaction.verify(Files.readAllBytes(target), key.publicKey(), json);
      if (existing.leaves().containsAll(leaves)) {
        return existing;
      }
      throw new IllegalArgumentException("erasure '" + erasureId + "' already has a redaction entry in the audit log of '" + endpoint
          + "' that does not list every one of these records");
    }
    Redaction r = new Redaction(origin, erasureId, List.copyOf(leaves), size);
    FileSync.writeAtomically(target, r.sign(key, json));
    return r;
  }

  static String base64(byte[] b) {
    return Base64.getEncoder().encodeToString(b);
  }

  @Override
  public void close() throws IOException {
    try {
      store.sync();
    } finally {
      store.close();
    }
  }
}
