package io.hindsight.server.audit;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.hindsight.server.TestServer;
import io.hindsight.server.files.FileSync;
import io.hindsight.server.schema.SqlText;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code audit verify} over a real data folder: clean, then after each kind of tampering with the
 * Parquet files (rewritten with DuckDB COPY, as anyone with file access could), the hash log and
 * the checkpoints; each is detected and the first bad record named.
 */
class AuditVerifyTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final int RECORDS = 8;

  @TempDir Path dir;
  private Path parquet;

  @BeforeEach
  void storeEightAuditedRecords() throws Exception {
    try (TestServer s = new TestServer(dir, c -> c.audit.endpoints.put("fraud", Map.of("enabled", true)))) {
      StringBuilder body = new StringBuilder("[");
      for (int i = 0; i < RECORDS; i++) {
        body.append(i == 0 ? "" : ",").append("{\"prediction_id\": \"p").append(i).append("\", \"ts\": \"2026-11-22T10:00:0").append(i)
            .append("Z\", \"tags\": {\"k\": \"v").append(i).append("\"}, \"data\": {\"score\": ").append(i)
            .append(", \"features\": {\"n\": [").append(i).append(", 0.5]}}}");
      }
      assertThat(s.predictions("fraud", body.append("]").toString()).json().get("accepted").asInt()).isEqualTo(RECORDS);
      s.predictions("plain", "{\"data\": {\"x\": 1}}");
      s.flush();
      assertThat(s.get("/v1/endpoints/fraud/audit/checkpoint").json().get("size").asInt()).isEqualTo(RECORDS);
    }
    try (Stream<Path> files = Files.walk(dir.resolve("lake/predictions/endpoint=fraud"))) {
      parquet = files.filter(p -> p.toString().endsWith(".parquet")).findFirst().orElseThrow();
    }
  }

  private AuditVerifier.Report verify() throws Exception {
    return new AuditVerifier(dir, JSON).verify(null);
  }

  /** Rewrites the endpoint's Parquet file with a SELECT over it (what someone with file access can do). */
  private void rewrite(String select) throws Exception {
    Path tmp = parquet.resolveSibling("rewritten.tmp");
    try (Connection c = DriverManager.getConnection("jdbc:duckdb:");
        Statement st = c.createStatement()) {
      st.execute("CREATE VIEW f AS SELECT * FROM read_parquet(" + SqlText.string(parquet.toString()) + ")");
      st.execute("COPY (" + select + ") TO " + SqlText.string(tmp.toString()) + " (FORMAT parquet)");
    }
    FileSync.moveDurably(tmp, parquet);
  }

  @Test
  void anUntouchedLogVerifies() throws Exception {
    AuditVerifier.Report r = verify();
    assertThat(r.lines()).hasSize(1);
    assertThat(r.lines().get(0)).matches("OK fraud 8 records root [0-9a-f]{64}");
    assertThat(r.ok()).isTrue();
  }

  @Test
  void oneChangedValueIsNamedAsAltered() throws Exception {
    rewrite("SELECT * REPLACE (CASE WHEN prediction_id = 'p3' THEN 99 ELSE score END AS score) FROM f");
    AuditVerifier.Report r = verify();
    assertThat(r.ok()).isFalse();
    assertThat(r.lines()).contains("FAIL fraud record 3 p3: altered");
  }

  @Test
  void aDeletedRecordIsNamedAsMissing() throws Exception {
    rewrite("SELECT * FROM f WHERE prediction_id <> 'p5'");
    AuditVerifier.Report r = verify();
    assertThat(r.ok()).isFalse();
    assertThat(r.lines()).contains("FAIL fraud record 5 -: missing");
  }

  @Test
  void twoSwappedRecordsAreNamedAsReordered() throws Exception {
    rewrite("SELECT * REPLACE (CASE WHEN _leaf = 2 THEN 6 WHEN _leaf = 6 THEN 2 ELSE _leaf END AS _leaf) FROM f");
    AuditVerifier.Report r = verify();
    assertThat(r.ok()).isFalse();
    assertThat(r.lines()).contains("FAIL fraud record 2 p6: reordered");
  }

  @Test
  void anAddedRecordIsNamedAsUnexpected() throws Exception {
    rewrite("SELECT * FROM f UNION ALL SELECT * REPLACE ('p-forged' AS prediction_id) FROM f WHERE prediction_id = 'p4'"
        + " UNION ALL SELECT * REPLACE ('p-late' AS prediction_id, 8 AS _leaf) FROM f WHERE prediction_id = 'p7'");
    AuditVerifier.Report r = verify();
    assertThat(r.ok()).isFalse();
    assertThat(r.lines()).contains("FAIL fraud record 4 p-forged: unexpected");
  }

  @Test
  void aTruncatedHashLogLeavesItsLaterRecordsUnexpectedAndItsCheckpointUnmet() throws Exception {
    try (FileChannel ch = FileChannel.open(dir.resolve("audit/logs/fraud/hashes/level-00"), StandardOpenOption.WRITE)) {
      ch.truncate(5 * 32);
    }
    AuditVerifier.Report r = verify();
    assertThat(r.ok()).isFalse();
    assertThat(r.lines()).contains("FAIL fraud record 5 p5: unexpected");
    assertThat(r.lines()).anyMatch(l -> l.startsWith("FAIL fraud checkpoint 8: signed for 8 leaves but the hash log holds 5"));
  }

  @Test
  void aReplacedCheckpointIsRejected() throws Exception {
    Path note = dir.resolve("audit/logs/fraud/checkpoints/00000000000000000008.note");
    AuditKey other = AuditKey.loadOrCreate(dir.resolve("other-key"));
    Files.writeString(note, new Checkpoint("hindsight/fraud", 8, MerkleHashes.leaf(new byte[] {1})).sign(other));
    AuditVerifier.Report r = verify();
    assertThat(r.ok()).isFalse();
    assertThat(r.lines()).anyMatch(l -> l.startsWith("FAIL fraud checkpoint 00000000000000000008.note: no valid signature"));
  }

  @Test
  void aRecordAndItsHashRewrittenTogetherStillBreakTheSignedCheckpoint() throws Exception {
    rewrite("SELECT * REPLACE (CASE WHEN prediction_id = 'p1' THEN 42 ELSE score END AS score) FROM f");
    // Whoever changed the record also writes its new leaf hash over the stored one.
    byte[][] forged = new byte[1][];
    LakeRecords.read(dir, "fraud", null, JSON, null, null, r -> {
      if (r.leaf() == 1) {
        forged[0] = AuditLog.leafHash(r.record());
      }
    });
    try (FileChannel ch = FileChannel.open(dir.resolve("audit/logs/fraud/hashes/level-00"), StandardOpenOption.WRITE)) {
      ch.write(java.nio.ByteBuffer.wrap(forged[0]), 32);
    }
    AuditVerifier.Report r = verify();
    assertThat(r.ok()).isFalse();
    assertThat(r.lines()).contains("FAIL fraud checkpoint 8: its signed root does not match the tree of the records");
  }

  @Test
  void redactedLeavesAreReportedAsSuchAndOtherChangesAreStillCaught() throws Exception {
    try (AuditTrails trails = new AuditTrails(dir.resolve("audit"), Map.of(), JSON)) {
      trails.log("fraud").redact("erasure-1", List.of(2L, 5L));
    }
    rewrite("SELECT * FROM f WHERE prediction_id NOT IN ('p2', 'p5')");
    AuditVerifier.Report clean = verify();
    assertThat(clean.lines())
        .containsExactly(
            "REDACTED fraud record 2: redacted (erasure erasure-1)",
            "REDACTED fraud record 5: redacted (erasure erasure-1)",
            clean.lines().get(2));
    assertThat(clean.lines().get(2)).startsWith("OK fraud 8 records root ");
    assertThat(clean.ok()).isTrue();

    rewrite("SELECT * FROM f WHERE prediction_id <> 'p6'");
    AuditVerifier.Report tampered = verify();
    assertThat(tampered.ok()).isFalse();
    assertThat(tampered.lines()).contains("FAIL fraud record 6 -: missing");
  }
}
