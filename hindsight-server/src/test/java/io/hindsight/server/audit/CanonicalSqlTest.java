package io.hindsight.server.audit;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.hindsight.server.TestServer;
import io.hindsight.server.schema.SchemaRegistry;
import io.hindsight.server.schema.Table;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * DuckDB's rendering of stored audited records ({@link CanonicalSql}) against the leaves hashed at
 * ingest: the same bytes for the values records are made of, and where DuckDB writes a value
 * differently, {@code audit verify} still passes by recomputing those records in Java.
 */
class CanonicalSqlTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  @TempDir Path dir;

  private static final String[] ORDINARY = {
    "{\"prediction_id\": \"plain\", \"data\": {\"x\": 1}}",
    "{\"prediction_id\": \"strings\", \"model_version\": \"v2\", \"request_id\": \"r-1\", \"data\": {\"s\": \"quote \\\" back \\\\ slash / é ü 中 😀 tab\\t nl\\n\", \"empty\": \"\"}}",
    "{\"prediction_id\": \"numbers\", \"latency_ms\": 12.5, \"sample_rate\": 1.0, \"data\": {\"i\": -42, \"big\": 9007199254740991, "
        + "\"d\": 0.1, \"e\": 129.5, \"f\": 0.30000000000000004, \"g\": -3.0, \"h\": 1e-7, \"k\": 1e21, \"m\": 123456789.125, \"z\": -0.0}}",
    "{\"prediction_id\": \"flags\", \"status\": \"error\", \"error\": \"timeout\", \"data\": {\"ok\": true, \"no\": false}}",
    "{\"prediction_id\": \"nested\", \"tags\": {\"zeta\": \"1\", \"alpha\": \"x\\\"y\", \"mid\": \"\"}, \"data\": {\"features\": "
        + "{\"b\": 1.0, \"a\": [3, 2.50, {\"y\": null, \"x\": \"t\"}], \"c\": {}}, \"probabilities\": [0.13, 0.87], \"none\": null}}",
    "{\"prediction_id\": \"reasons\", \"data\": {\"decision\": \"declined\", \"reasons\": [{\"code\": \"R1\", \"text\": \"amount\", \"contribution\": 0.4}]}}",
    "{\"prediction_id\": \"typed-later\", \"data\": {\"x\": 2.5, \"s\": 7}}",
    "{\"prediction_id\": \"media\", \"data\": {\"scan\": {\"uri\": \"s3://scans/42.png\", \"content_type\": \"image/png\"}}}",
  };

  @Test
  void duckDbRendersOrdinaryRecordsAsTheLeavesHashedThem() throws Exception {
    store(ORDINARY);
    Map<Long, byte[]> rendered = renderedHashes();
    byte[] storedLeaves = Files.readAllBytes(dir.resolve("audit/logs/fraud/hashes/level-00"));
    assertThat(rendered).hasSize(ORDINARY.length);
    for (Map.Entry<Long, byte[]> e : rendered.entrySet()) {
      int at = (int) (e.getKey() * 32);
      assertThat(e.getValue()).as("leaf " + e.getKey()).isEqualTo(Arrays.copyOfRange(storedLeaves, at, at + 32));
    }
    assertThat(new AuditVerifier(dir, JSON).verify("fraud").lines()).singleElement().asString().startsWith("OK fraud " + ORDINARY.length + " records");
  }

  @Test
  void recordsDuckDbWritesDifferentlyAreRecomputedAndStillVerify() throws Exception {
    // DuckDB writes a control character as \u001F and 1e20 as 100000000000000000000.0; RFC 8785 as
    // \u001f and 100000000000000000000.
    String[] records = new String[AuditVerifier.MAX_RECOMPUTED + 5];
    for (int i = 0; i < records.length; i++) {
      records[i] = "{\"prediction_id\": \"c" + i + "\", \"data\": {\"s\": \"unit\\u001fsep\", \"d\": 1e20}}";
    }
    store(records[0], records[1]);
    Map<Long, byte[]> rendered = renderedHashes();
    byte[] storedLeaves = Files.readAllBytes(dir.resolve("audit/logs/fraud/hashes/level-00"));
    assertThat(rendered.get(0L)).isNotEqualTo(Arrays.copyOfRange(storedLeaves, 0, 32));
    AuditVerifier.Report few = new AuditVerifier(dir, JSON).verify("fraud");
    assertThat(few.ok()).isTrue();
    assertThat(few.lines()).singleElement().asString().startsWith("OK fraud 2 records");

    store(Arrays.copyOfRange(records, 2, records.length)); // more than are recomputed one by one
    AuditVerifier.Report r = new AuditVerifier(dir, JSON).verify("fraud");
    assertThat(r.ok()).isTrue();
    assertThat(r.lines()).singleElement().asString().startsWith("OK fraud " + records.length + " records");
  }

  private void store(String... records) throws Exception {
    try (TestServer s = new TestServer(dir, c -> c.audit.endpoints.put("fraud", Map.of("enabled", true)))) {
      assertThat(s.predictions("fraud", "[" + String.join(",", records) + "]").json().get("accepted").asInt()).isEqualTo(records.length);
      s.flush();
    }
  }

  private Map<Long, byte[]> renderedHashes() throws Exception {
    Map<Long, byte[]> out = new ConcurrentHashMap<>();
    var schema = new SchemaRegistry(dir.resolve("catalog"), JSON).existing(Table.PREDICTIONS, "fraud");
    assertThat(LakeRecords.rendered(dir, "fraud", schema, 2, k -> (leaf, text) -> out.put(leaf, MerkleHashes.leaf(text)))).isTrue();
    return out;
  }
}
