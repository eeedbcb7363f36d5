package io.hindsight.server.audit;

import io.hindsight.server.schema.CanonicalJson;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.hindsight.server.files.FileSync;
import io.hindsight.server.schema.SchemaRegistry;
import io.hindsight.server.schema.Table;
import java.io.BufferedReader;
import java.io.BufferedWriter;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * {@code hindsight audit export} and {@code hindsight audit verify --bundle}: a bundle a third
 * party checks with nothing else. A bundle folder holds {@code key.json} (the Ed25519 public key),
 * {@code checkpoint.note} (the signed checkpoint the proofs lead to) and {@code records.ndjson}:
 * per record its {@code leaf_index}, the {@code record} as the lookup API returns it, and its
 * {@code inclusion_path} in the checkpoint's tree.
 */
public final class AuditExport {
  private final ObjectMapper json;

  public AuditExport(ObjectMapper json) {
    this.json = json;
  }

  /**
   * Exports the endpoint's audited records with {@code from <= ts < to} (null: open) and the
   * latest checkpoint; returns how many records went in. Records newer than the latest
   * checkpoint are left out (a running server signs one every 10 s).
   */
  public long export(Path dataDir, String endpoint, Instant from, Instant to, Path out) throws IOException {
    Path logDir = dataDir.resolve("audit").resolve("logs").resolve(endpoint);
    Path last;
    try (Stream<Path> s = Files.list(logDir.resolve("checkpoints"))) {
      last = s.filter(p -> p.toString().endsWith(".note")).max(Path::compareTo).orElse(null);
    } catch (java.nio.file.NoSuchFileException e) {
      throw new IllegalArgumentException("endpoint '" + endpoint + "' has no audit log in " + dataDir);
    }
    if (last == null) {
      throw new IllegalArgumentException("the audit log of '" + endpoint + "' has no signed checkpoint yet; a running server signs one within 10 s of a record");
    }
    byte[] publicKey = AuditKey.loadPublic(dataDir.resolve("audit").resolve("key"));
    String note = Files.readString(last, StandardCharsets.UTF_8);
    Checkpoint c = Checkpoint.verify(note, publicKey);
    FileSync.createDirectoriesDurably(out);
    Map<String, Object> key = new LinkedHashMap<>();
    key.put("algorithm", "Ed25519");
    key.put("public_key", Base64.getEncoder().encodeToString(publicKey));
    key.put("verifier_key", AuditKey.verifierKey(c.origin(), publicKey));
    FileSync.writeAtomically(out.resolve("key.json"), json.writerWithDefaultPrettyPrinter().writeValueAsBytes(key));
    FileSync.writeAtomically(out.resolve("checkpoint.note"), note.getBytes(StandardCharsets.UTF_8));
    SchemaRegistry schemas = new SchemaRegistry(dataDir.resolve("catalog"), json);
    long[] count = {0};
    Path tmp = out.resolve("records.ndjson.tmp");
    try (HashStore.Reader hashes = new HashStore.Reader(logDir.resolve("hashes"));
        BufferedWriter w = Files.newBufferedWriter(tmp, StandardCharsets.UTF_8)) {
      LakeRecords.read(
          dataDir, endpoint, schemas.existing(Table.PREDICTIONS, endpoint), json, micros(from), micros(to),
          r -> {
            if (r.leaf() >= c.size()) {
              return;
            }
            Map<String, Object> line = new LinkedHashMap<>();
            line.put("leaf_index", r.leaf());
            line.put("record", r.record());
            line.put("inclusion_path", Arrays.stream(hashes.inclusionPath(r.leaf(), c.size())).map(AuditLog::base64).toList());
            w.write(json.writeValueAsString(line));
            w.write('\n');
            count[0]++;
          });
    }
    FileSync.fsync(tmp);
    FileSync.moveDurably(tmp, out.resolve("records.ndjson"));
    return count[0];
  }

  private static Long micros(Instant t) {
    return t == null ? null : t.getEpochSecond() * 1_000_000L + t.getNano() / 1000;
  }

  /**
   * Verifies a bundle with its own contents only: the checkpoint's signature by the bundled key,
   * and each record's leaf hash (recomputed from the record) and inclusion path to the signed
   * root. The first record that fails is named.
   */
  public AuditVerifier.Report verifyBundle(Path dir) throws IOException {
    JsonNode key = json.readTree(dir.resolve("key.json").toFile());
    byte[] publicKey = Base64.getDecoder().decode(key.path("public_key").asText());
    List<String> lines = new ArrayList<>();
    Checkpoint c;
    try {
      c = Checkpoint.verify(Files.readString(dir.resolve("checkpoint.note"), StandardCharsets.UTF_8), publicKey);
    } catch (IOException e) {
      return new AuditVerifier.Report(false, List.of("FAIL bundle checkpoint: " + e.getMessage()));
    }
    long n = 0;
    try (BufferedReader r = Files.newBufferedReader(dir.resolve("records.ndjson"), StandardCharsets.UTF_8)) {
      for (String line = r.readLine(); line != null; line = r.readLine()) {
        if (line.isBlank()) {
          continue;
        }
        JsonNode entry = json.readTree(line);
        long index = entry.path("leaf_index").asLong();
        JsonNode record = entry.path("record");
        byte[] leaf = MerkleHashes.leaf(CanonicalJson.ofText(json.writeValueAsString(record)));
        List<byte[]> path = new ArrayList<>();
        entry.path("inclusion_path").forEach(p -> path.add(Base64.getDecoder().decode(p.asText())));
        if (!MerkleProofs.inclusion(index, c.size(), leaf, path, c.rootHash())) {
          lines.add("FAIL " + c.origin() + " record " + index + " " + record.path("prediction_id").asText("-") + ": not in the signed log");
          return new AuditVerifier.Report(false, lines);
        }
        n++;
      }
    }
    lines.add("OK " + c.origin() + " bundle " + n + " records in checkpoint " + c.size() + " root " + HexFormat.of().formatHex(c.rootHash()));
    return new AuditVerifier.Report(true, lines);
  }
}
