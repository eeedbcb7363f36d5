package io.hindsight.server.audit;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.hindsight.server.ApiException;
import io.hindsight.server.files.FileSync;
import io.hindsight.server.files.UnreadableFile;
import io.hindsight.server.ops.Scheduler;
import io.hindsight.server.query.QueryEngine;
import io.hindsight.server.schema.Table;
import io.hindsight.server.wal.AuditedRows;
import io.hindsight.server.wal.WalEntry;
import java.io.Closeable;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The audit logs of all endpoints under {@code <data dir>/audit/}: which endpoints are audited
 * (the config file's {@code audit.endpoints}, fixed while the server runs, and those put through
 * the API in {@code settings/}), the server's key, each endpoint's {@link AuditLog}, checkpoints
 * signed on a schedule, and the answers of the audit API.
 */
public final class AuditTrails implements Closeable {
  private static final Logger log = LoggerFactory.getLogger(AuditTrails.class);

  private final Path dir;
  private final ObjectMapper json;
  private final AuditKey key;
  private final Map<String, AuditSettings> fromFile;
  private final Map<String, AuditSettings> settings = new ConcurrentHashMap<>();
  private final Map<String, AuditLog> logs = new ConcurrentHashMap<>();
  private final List<Scheduler.Task> tasks = new ArrayList<>();
  private volatile QueryEngine engine;

  /**
   * Opens the audit folder: the key (created on first start), the settings and every log.
   *
   * @param fromConfigFile {@code audit.endpoints} of the config file, by endpoint
   */
  public AuditTrails(Path dir, Map<String, JsonNode> fromConfigFile, ObjectMapper json) throws IOException {
    this.dir = dir;
    this.json = json;
    this.key = AuditKey.loadOrCreate(dir.resolve("key"));
    FileSync.createDirectoriesDurably(dir.resolve("settings"));
    FileSync.createDirectoriesDurably(dir.resolve("logs"));
    try (Stream<Path> files = Files.list(dir.resolve("settings"))) {
      for (Path f : (Iterable<Path>) files.filter(p -> p.toString().endsWith(".json"))::iterator) {
        try {
          settings.put(f.getFileName().toString().replaceFirst("\\.json$", ""), AuditSettings.parse(json.readTree(f.toFile())));
        } catch (IOException | RuntimeException e) {
          throw UnreadableFile.error("audit settings file", f, e);
        }
      }
    }
    Map<String, AuditSettings> file = new LinkedHashMap<>();
    fromConfigFile.forEach(
        (endpoint, node) -> {
          try {
            file.put(endpoint, AuditSettings.parse(node));
          } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("audit.endpoints." + endpoint + ": " + e.getMessage(), e);
          }
        });
    this.fromFile = Map.copyOf(file);
    settings.putAll(fromFile);
    try (Stream<Path> dirs = Files.list(dir.resolve("logs"))) {
      for (Path d : (Iterable<Path>) dirs.filter(Files::isDirectory)::iterator) {
        String endpoint = d.getFileName().toString();
        logs.put(endpoint, AuditLog.open(d, endpoint, key, json));
      }
    }
  }

  /** The audit log of an endpoint, opened (created) on first use. */
  public AuditLog log(String endpoint) throws IOException {
    AuditLog l = logs.get(endpoint);
    if (l != null) {
      return l;
    }
    synchronized (logs) {
      l = logs.get(endpoint);
      if (l == null) {
        l = AuditLog.open(dir.resolve("logs").resolve(endpoint), endpoint, key, json);
        logs.put(endpoint, l);
      }
      return l;
    }
  }

  /** Whether new predictions of the endpoint go into its audit log. */
  public boolean audited(String endpoint) {
    AuditSettings s = settings.get(endpoint);
    return s != null && s.enabled();
  }

  /** The endpoint's settings, or null when it has none. */
  public AuditSettings settings(String endpoint) {
    return settings.get(endpoint);
  }

  /** Keeps settings put through the API; 409 for an endpoint the config file sets. */
  public synchronized void put(String endpoint, AuditSettings s) throws IOException {
    if (fromFile.containsKey(endpoint)) {
      throw new ApiException(
          409,
          "the audit settings of '" + endpoint + "' are set in the config file (audit.endpoints." + endpoint
              + "); change them there and restart");
    }
    if (s.enabled()) {
      log(endpoint);
    }
    FileSync.writeAtomically(dir.resolve("settings").resolve(endpoint + ".json"), json.writeValueAsBytes(s.toJson()));
    settings.put(endpoint, s);
  }

  /** For ingest: where an audited endpoint's accepted predictions go, or null when it is not audited. */
  public AuditedRows rowsFor(String endpoint) {
    if (!audited(endpoint)) {
      return null;
    }
    try {
      return log(endpoint).rows();
    } catch (IOException e) {
      throw new ApiException(503, "the audit log of '" + endpoint + "' cannot be opened (" + e.getMessage() + "); nothing was stored, retry", "5");
    }
  }

  /** On start-up, for every write-ahead log entry in order: appends leaves the hash store lost. */
  public void recover(WalEntry entry) throws IOException {
    if (entry.firstLeaf() != WalEntry.NO_LEAF && entry.rowCount() > 0) {
      log(entry.headers().get(0).endpoint()).recover(entry);
    }
  }

  /**
   * After recovery: checks every log against its latest checkpoint and signs a checkpoint every
   * {@code interval} for each log that grew. Lookups of proofs by prediction id go through {@code
   * engine}.
   */
  public void start(Scheduler scheduler, Duration interval, QueryEngine engine) throws IOException {
    this.engine = engine;
    for (AuditLog l : logs.values()) {
      l.checkAgainstLatestCheckpoint();
    }
    tasks.add(scheduler.every("hindsight-audit-checkpoints", interval, this::signAll));
  }

  /** Signs a checkpoint for every log that grew since its last one. */
  public void signAll() {
    for (AuditLog l : logs.values()) {
      try {
        l.sign();
      } catch (IOException | RuntimeException e) {
        log.error("signing a checkpoint of the audit log of '{}' failed; the next round retries", l.endpoint(), e);
      }
    }
  }

  /** Makes every appended leaf durable; the write-ahead log may drop entries only after this. */
  public void syncAll() throws IOException {
    for (AuditLog l : logs.values()) {
      l.sync();
    }
  }

  /** What is wrong with the audit logs now (for {@code /health}). */
  public List<String> problems() {
    List<String> out = new ArrayList<>();
    for (AuditLog l : logs.values()) {
      if (l.problem() != null) {
        out.add(l.problem());
      }
    }
    return out;
  }

  /** {@code GET /v1/audit/key}. */
  public Map<String, Object> publicKey() {
    byte[] pub = key.publicKey();
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("algorithm", "Ed25519");
    out.put("public_key", AuditLog.base64(pub));
    out.put("note_key_name", "hindsight/<endpoint>");
    Map<String, String> verifiers = new LinkedHashMap<>();
    for (String e : new java.util.TreeSet<>(logs.keySet())) {
      verifiers.put(e, AuditKey.verifierKey(Checkpoint.originOf(e), pub));
    }
    out.put("verifier_keys", verifiers);
    return out;
  }

  private AuditLog existing(String endpoint) {
    AuditLog l = logs.get(endpoint);
    if (l == null || l.size() == 0) {
      throw ApiException.notFound("endpoint '" + endpoint + "' has no audit log yet; enable it with PUT /v1/endpoints/" + endpoint + "/audit");
    }
    return l;
  }

  /** The latest checkpoint, signing one first if the log grew: {@code {"size", "root_hash", "note"}}. */
  public Map<String, Object> checkpoint(String endpoint) throws IOException {
    AuditLog l = existing(endpoint);
    Checkpoint c = l.sign();
    if (c == null) {
      throw new ApiException(503, l.problem(), "60");
    }
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("size", c.size());
    out.put("root_hash", AuditLog.base64(c.rootHash()));
    out.put("note", l.latestNote());
    return out;
  }

  /** The leaf index of a prediction, or 404. */
  public long leafOf(String endpoint, String predictionId) {
    List<Map<String, Object>> rows =
        engine.select(
            "SELECT " + Table.LEAF + " FROM predictions WHERE endpoint = ? AND prediction_id = ? ORDER BY ts DESC LIMIT 1",
            endpoint,
            predictionId);
    if (rows.isEmpty() || rows.get(0).get(Table.LEAF) == null) {
      throw ApiException.notFound(
          "prediction '" + predictionId + "' of endpoint '" + endpoint + "' is not in its audit log (records are visible"
              + " about a second after they are acknowledged; records from before the audit was enabled have no proof)");
    }
    return ((Number) rows.get(0).get(Table.LEAF)).longValue();
  }

  /**
   * An inclusion proof of leaf {@code leaf} in the tree of {@code size} leaves (null: the latest
   * checkpoint, signed first if it does not cover the leaf yet), with that checkpoint's note when
   * one was signed at that size.
   */
  public Map<String, Object> proof(String endpoint, long leaf, Long size) throws IOException {
    AuditLog l = existing(endpoint);
    long n;
    if (size != null) {
      n = size;
    } else {
      Checkpoint c = l.latest();
      if (c == null || c.size() <= leaf) {
        c = l.sign();
      }
      n = c == null ? l.size() : c.size();
    }
    if (n <= leaf || n > l.size()) {
      throw ApiException.badRequest(
          "size must be above the leaf index " + leaf + " and at most the log's size " + l.size() + ", not " + n);
    }
    SubtreeHashes h = l.hashes();
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("leaf_index", leaf);
    out.put("leaf_hash", AuditLog.base64(h.node(0, leaf)));
    out.put("tree_size", n);
    out.put("root_hash", AuditLog.base64(h.root(n)));
    out.put("inclusion_path", Arrays.stream(h.inclusionPath(leaf, n)).map(AuditLog::base64).toList());
    String note = l.noteAt(n);
    if (note != null) {
      out.put("checkpoint", note);
    }
    return out;
  }

  /** A consistency proof between two sizes of the log: {@code {"path": [...]}}. */
  public Map<String, Object> consistency(String endpoint, long first, long second) throws IOException {
    AuditLog l = existing(endpoint);
    if (first <= 0 || first > second || second > l.size()) {
      throw ApiException.badRequest(
          "need 0 < first <= second <= " + l.size() + " (the log's size), not first=" + first + " second=" + second);
    }
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("first", first);
    out.put("second", second);
    out.put("path", Arrays.stream(l.hashes().consistencyPath(first, second)).map(AuditLog::base64).toList());
    return out;
  }

  @Override
  public void close() {
    tasks.forEach(Scheduler.Task::cancel);
    for (AuditLog l : logs.values()) {
      try {
        l.close();
      } catch (IOException e) {
        log.warn("closing the audit log of '{}': {}", l.endpoint(), e.toString());
      }
    }
  }
}
