package io.hindsight.server.audit;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.hindsight.server.TestServer;
import io.hindsight.server.ops.ManualScheduler;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import org.erdtman.jcs.JsonCanonicalizer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The audit API as a third party uses it: it hashes the record the lookup API returns itself
 * (RFC 8785 + SHA-256), checks inclusion and consistency proofs with {@link Rfc9162} (written
 * here from the RFC) and checks checkpoint notes with the published key.
 */
class AuditApiTest {
  @TempDir Path dir;

  /** Records of every column type: numbers, a bigint widened to double, tags, nested JSON, nulls, unicode, conflicts. */
  static final String[] RECORDS = {
    "{\"prediction_id\": \"p0\", \"ts\": \"2026-11-22T10:15:00.123456Z\", \"model_version\": \"v1\", \"tags\": {\"env\": \"prod\", \"seg\": \"é\"},"
        + " \"data\": {\"score\": 712, \"amount\": 12, \"ok\": true, \"name\": \"zoë 日本\", \"features\": {\"b\": [1, 2.5, null], \"a\": {\"x\": \"\\u2028\"}}}}",
    "{\"prediction_id\": \"p1\", \"latency_ms\": 3.25, \"data\": {\"score\": 713, \"amount\": 12.75, \"ok\": false, \"name\": null}}",
    "{\"prediction_id\": \"p2\", \"ts\": 1790000000000, \"data\": {\"score\": \"high\", \"amount\": 1e21, \"features\": [0.1, 1E-7]}}",
    "{\"prediction_id\": \"p3\", \"status\": \"error\", \"error\": \"boom \\\"quoted\\\"\", \"data\": {\"amount\": 9007199254740993}}",
    "{\"prediction_id\": \"p4\", \"sample_rate\": 0.5, \"request_id\": \"r-4\", \"data\": {}}",
  };

  @Test
  void lookupsCarryProofsThatAnIndependentVerifierAcceptsWithThePublishedKey() throws Exception {
    ManualScheduler time = new ManualScheduler();
    try (TestServer s = new TestServer(dir, c -> {}, time)) {
      assertThat(s.putJson("/v1/endpoints/fraud/audit", "{\"enabled\": true, \"retain_min\": \"P25M\"}").status()).isEqualTo(200);
      assertThat(s.get("/v1/endpoints/fraud/audit").json().get("retain_min").asText()).isEqualTo("P25M");
      for (String r : RECORDS) {
        assertThat(s.predictions("fraud", r).json().get("accepted").asInt()).isEqualTo(1);
      }
      s.predictions("other", "{\"prediction_id\": \"u\", \"data\": {\"x\": 1}}");
      s.flush();
      time.advance(Duration.ofSeconds(10));

      JsonNode key = s.get("/v1/audit/key").json();
      byte[] publicKey = Base64.getDecoder().decode(key.get("public_key").asText());
      JsonNode cp = s.get("/v1/endpoints/fraud/audit/checkpoint").json();
      assertThat(cp.get("size").asLong()).isEqualTo(RECORDS.length);
      Checkpoint signed = Checkpoint.verify(cp.get("note").asText(), publicKey);
      assertThat(signed.origin()).isEqualTo("hindsight/fraud");
      assertThat(Base64.getEncoder().encodeToString(signed.rootHash())).isEqualTo(cp.get("root_hash").asText());

      List<byte[]> leaves = new ArrayList<>();
      for (int i = 0; i < RECORDS.length; i++) {
        JsonNode lookup = s.get("/v1/endpoints/fraud/predictions/p" + i).json();
        byte[] leaf = Rfc9162.leaf(new JsonCanonicalizer(TestServer.JSON.writeValueAsString(lookup.get("prediction"))).getEncodedUTF8());
        leaves.add(leaf);
        JsonNode proof = lookup.get("audit");
        assertThat(proof).as("the lookup of p%d carries its proof", i).isNotNull();
        assertThat(proof.get("leaf_index").asLong()).isEqualTo(i);
        assertThat(Base64.getDecoder().decode(proof.get("leaf_hash").asText()))
            .as("the record the lookup returns (p%d: %s) hashes to its leaf", i, lookup.get("prediction"))
            .isEqualTo(leaf);
        assertThat(Rfc9162.verifyInclusion(i, proof.get("tree_size").asLong(), leaf, paths(proof.get("inclusion_path")), signed.rootHash()))
            .isTrue();
        JsonNode byApi = s.get("/v1/endpoints/fraud/audit/proof/p" + i + "?size=" + (i + 1)).json();
        assertThat(Rfc9162.verifyInclusion(i, i + 1, leaf, paths(byApi.get("inclusion_path")), Base64.getDecoder().decode(byApi.get("root_hash").asText())))
            .isTrue();
      }
      assertThat(Rfc9162.mth(leaves)).isEqualTo(signed.rootHash());
      assertThat(s.get("/v1/endpoints/other/predictions/u").json().has("audit")).as("unaudited endpoints have no proof").isFalse();

      for (int first = 1; first <= RECORDS.length; first++) {
        JsonNode c = s.get("/v1/endpoints/fraud/audit/consistency?first=" + first + "&second=" + RECORDS.length).json();
        assertThat(Rfc9162.verifyConsistency(first, RECORDS.length, Rfc9162.mth(leaves.subList(0, first)), signed.rootHash(), paths(c.get("path"))))
            .as("consistency %d -> %d", first, RECORDS.length)
            .isTrue();
      }
      assertThat(s.get("/v1/endpoints/fraud/audit/consistency?first=0&second=2").status()).isEqualTo(400);
      assertThat(s.get("/v1/endpoints/fraud/audit/proof/nope").status()).isEqualTo(404);
    }
  }

  /**
   * A record of an audited endpoint looked up before the lake writer wrote it (found in the
   * writer's memory) carries the leaf of its own place in its batch, and the same once written.
   */
  @Test
  void aRecordNotYetInTheLakeCarriesTheLeafOfItsPlaceInItsBatch() throws Exception {
    ManualScheduler time = new ManualScheduler();
    try (TestServer s = new TestServer(dir, c -> {}, time)) {
      assertThat(s.putJson("/v1/endpoints/fraud/audit", "{\"enabled\": true}").status()).isEqualTo(200);
      assertThat(s.predictions("fraud", "[" + String.join(", ", RECORDS) + "]").json().get("accepted").asInt())
          .isEqualTo(RECORDS.length);
      List<String> pending = new ArrayList<>();
      for (int i = 0; i < RECORDS.length; i++) {
        JsonNode lookup = s.get("/v1/endpoints/fraud/predictions/p" + i).json();
        assertThat(lookup.path("audit").path("leaf_index").asLong(-1)).as("p%d before its file: %s", i, lookup).isEqualTo(i);
        byte[] leaf = Rfc9162.leaf(new JsonCanonicalizer(TestServer.JSON.writeValueAsString(lookup.get("prediction"))).getEncodedUTF8());
        assertThat(Base64.getDecoder().decode(lookup.get("audit").get("leaf_hash").asText())).as("p%d", i).isEqualTo(leaf);
        pending.add(lookup.toString());
      }
      s.flush();
      for (int i = 0; i < RECORDS.length; i++) {
        assertThat(s.get("/v1/endpoints/fraud/predictions/p" + i).json().toString()).as("p%d once written", i).isEqualTo(pending.get(i));
      }
    }
  }

  @Test
  void checkpointsAreSignedOnTheScheduleWhileRecordsArriveAndEachIsKept() throws Exception {
    ManualScheduler time = new ManualScheduler();
    try (TestServer s = new TestServer(dir, c -> c.audit.endpoints.put("fraud", java.util.Map.of("enabled", true)), time)) {
      assertThat(s.putJson("/v1/endpoints/fraud/audit", "{\"enabled\": false}").status()).as("config entries are read-only").isEqualTo(409);
      s.predictions("fraud", RECORDS[0]);
      time.advance(Duration.ofSeconds(10));
      s.predictions("fraud", RECORDS[1]);
      s.predictions("fraud", RECORDS[2]);
      time.advance(Duration.ofSeconds(10));
      time.advance(Duration.ofSeconds(10));
      assertThat(java.nio.file.Files.list(dir.resolve("audit/logs/fraud/checkpoints")).map(p -> p.getFileName().toString()).sorted())
          .containsExactly("00000000000000000001.note", "00000000000000000003.note");
    }
  }

  @Test
  void aRestartKeepsTheLogAndItsCheckpoints() throws Exception {
    try (TestServer s = new TestServer(dir)) {
      s.putJson("/v1/endpoints/fraud/audit", "{\"enabled\": true}");
      s.predictions("fraud", RECORDS[0]);
      JsonNode before = s.get("/v1/endpoints/fraud/audit/checkpoint").json();
      s.restart();
      s.predictions("fraud", RECORDS[1]);
      JsonNode after = s.get("/v1/endpoints/fraud/audit/checkpoint").json();
      assertThat(after.get("size").asLong()).isEqualTo(2);
      JsonNode c = s.get("/v1/endpoints/fraud/audit/consistency?first=1&second=2").json();
      assertThat(Rfc9162.verifyConsistency(1, 2, Base64.getDecoder().decode(before.get("root_hash").asText()),
          Base64.getDecoder().decode(after.get("root_hash").asText()), paths(c.get("path")))).isTrue();
      assertThat(s.get("/health").json().get("status").asText()).isEqualTo("ok");
    }
  }

  @Test
  void aStoredTreeThatDoesNotExtendTheLatestCheckpointIsNeverSignedAgain() throws Exception {
    try (TestServer s = new TestServer(dir, c -> c.audit.endpoints.put("fraud", java.util.Map.of("enabled", true)))) {
      s.predictions("fraud", RECORDS[0]);
      s.predictions("fraud", RECORDS[1]);
      s.get("/v1/endpoints/fraud/audit/checkpoint");
      s.server().close();
      // The latest checkpoint is replaced by one over another tree (as after restoring old hashes).
      AuditKey key = AuditKey.loadOrCreate(dir.resolve("audit/key"));
      java.nio.file.Files.writeString(dir.resolve("audit/logs/fraud/checkpoints/00000000000000000002.note"),
          new Checkpoint("hindsight/fraud", 2, MerkleHashes.leaf(new byte[] {7})).sign(key));
      s.restart();
      JsonNode health = s.get("/health").json();
      assertThat(health.get("status").asText()).isEqualTo("degraded");
      assertThat(health.get("reasons").get(0).asText()).contains("does not extend the latest signed checkpoint", "hindsight audit verify");
      assertThat(s.predictions("fraud", RECORDS[2]).status()).as("records still go into the log").isEqualTo(200);
      s.get("/v1/endpoints/fraud/audit/checkpoint");
      assertThat(java.nio.file.Files.list(dir.resolve("audit/logs/fraud/checkpoints")).count()).as("nothing more is signed").isEqualTo(1);
    }
  }

  @Test
  void hashFilesCutOutsideTheServerStopTheLogInsteadOfRenumberingIt() throws Exception {
    try (TestServer s = new TestServer(dir, c -> c.audit.endpoints.put("fraud", java.util.Map.of("enabled", true)))) {
      for (String r : RECORDS) {
        s.predictions("fraud", r);
      }
      s.get("/v1/endpoints/fraud/audit/checkpoint");
      s.server().close();
      try (java.nio.channels.FileChannel ch = java.nio.channels.FileChannel.open(
          dir.resolve("audit/logs/fraud/hashes/level-00"), java.nio.file.StandardOpenOption.WRITE)) {
        ch.truncate(2 * 32);
      }
      s.restart();
      assertThat(s.get("/health").json().get("reasons").get(0).asText()).contains("lost 3 leaves");
      TestServer.Response refused = s.predictions("fraud", RECORDS[0]);
      assertThat(refused.status()).isEqualTo(503);
      assertThat(refused.json().get("error").asText()).contains("restore audit/logs/fraud");
      assertThat(s.predictions("other", RECORDS[0]).status()).as("other endpoints go on").isEqualTo(200);
    }
  }

  static List<byte[]> paths(JsonNode array) {
    List<byte[]> out = new ArrayList<>();
    array.forEach(n -> out.add(Base64.getDecoder().decode(n.asText())));
    return out;
  }

  /** RFC 9162 §2.1 as a third party would write it, sharing nothing with the server's code. */
  static final class Rfc9162 {
    static byte[] hash(int prefix, byte[]... parts) throws Exception {
      MessageDigest d = MessageDigest.getInstance("SHA-256");
      d.update((byte) prefix);
      for (byte[] p : parts) {
        d.update(p);
      }
      return d.digest();
    }

    static byte[] leaf(byte[] data) throws Exception {
      return hash(0, data);
    }

    /** MTH over leaf hashes. */
    static byte[] mth(List<byte[]> leafHashes) throws Exception {
      if (leafHashes.size() == 1) {
        return leafHashes.get(0);
      }
      int k = Integer.highestOneBit(leafHashes.size() - 1);
      return hash(1, mth(leafHashes.subList(0, k)), mth(leafHashes.subList(k, leafHashes.size())));
    }

    /** §2.1.3.2. */
    static boolean verifyInclusion(long index, long size, byte[] leafHash, List<byte[]> path, byte[] root) throws Exception {
      if (index >= size) {
        return false;
      }
      long fn = index;
      long sn = size - 1;
      byte[] r = leafHash;
      for (byte[] p : path) {
        if (sn == 0) {
          return false;
        }
        if (fn % 2 == 1 || fn == sn) {
          r = hash(1, p, r);
          while (fn % 2 == 0 && fn != 0) {
            fn /= 2;
            sn /= 2;
          }
        } else {
          r = hash(1, r, p);
        }
        fn /= 2;
        sn /= 2;
      }
      return sn == 0 && java.util.Arrays.equals(r, root);
    }

    /** §2.1.4.2. */
    static boolean verifyConsistency(long first, long second, byte[] firstHash, byte[] secondHash, List<byte[]> proof) throws Exception {
      if (first == second) {
        return proof.isEmpty() && java.util.Arrays.equals(firstHash, secondHash);
      }
      List<byte[]> path = new ArrayList<>(proof);
      if (Long.bitCount(first) == 1) {
        path.add(0, firstHash);
      }
      long fn = first - 1;
      long sn = second - 1;
      while (fn % 2 == 1) {
        fn /= 2;
        sn /= 2;
      }
      byte[] fr = path.get(0);
      byte[] sr = path.get(0);
      for (byte[] c : path.subList(1, path.size())) {
        if (sn == 0) {
          return false;
        }
        if (fn % 2 == 1 || fn == sn) {
          fr = hash(1, c, fr);
          sr = hash(1, c, sr);
          while (fn % 2 == 0 && fn != 0) {
            fn /= 2;
            sn /= 2;
          }
        } else {
          sr = hash(1, sr, c);
        }
        fn /= 2;
        sn /= 2;
      }
      return sn == 0 && java.util.Arrays.equals(fr, firstHash) && java.util.Arrays.equals(sr, secondHash);
    }
  }
}
