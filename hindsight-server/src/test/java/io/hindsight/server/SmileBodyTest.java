package io.hindsight.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.dataformat.smile.SmileFactory;
import com.fasterxml.jackson.dataformat.smile.SmileGenerator;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Smile bodies ({@code Content-Type: application/x-jackson-smile}) are the same records as their
 * JSON text: stored alike, refused alike, and what only Smile can hold fails its own record.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class SmileBodyTest {
  private static final String SMILE = "application/x-jackson-smile";
  private static final SmileFactory SHARING = SmileFactory.builder()
      .enable(SmileGenerator.Feature.CHECK_SHARED_NAMES)
      .enable(SmileGenerator.Feature.CHECK_SHARED_STRING_VALUES)
      .build();

  private static final String RECORDS = "["
      + "{\"prediction_id\": \"s-1\", \"ts\": \"2026-12-01T10:00:00.123456Z\", \"model_version\": \"v1\","
      + " \"tags\": {\"segment\": \"retail\", \"region\": \"eu\"}, \"latency_ms\": 3.25,"
      + " \"data\": {\"amount\": 129.5, \"count\": 3, \"big\": 9007199254740993, \"flag\": true, \"none\": null,"
      + " \"name\": \"Zoë \\u00e9 \\ud83d\\ude00 \\\"quoted\\\"\", \"tiny\": 1.0E-7, \"huge\": 1.5e300,"
      + " \"features\": {\"txn_count_7d\": 3, \"ratio\": 0.8125, \"whole\": 100.0, \"small\": 1.0E-7, \"large\": 1.5e300, \"list\": [1, 2.5, \"x\", null, false], \"deep\": {\"k\": [[]]}},"
      + " \"probabilities\": [0.13, 0.87]}},"
      + "{\"prediction_id\": \"s-2\", \"ts\": \"2026-12-01T10:00:01Z\", \"model_version\": \"v1\","
      + " \"tags\": {\"segment\": \"retail\", \"region\": \"us\"},"
      + " \"data\": {\"amount\": 7, \"count\": 4, \"name\": \"retail\", \"features\": {\"ratio\": 1}, \"probabilities\": [0.5, 0.5]}}"
      + "]";

  @TempDir Path dir;
  private TestServer server;

  @BeforeEach
  void start() throws Exception {
    server = new TestServer(dir);
  }

  @AfterEach
  void stop() {
    server.close();
  }

  /** The JSON text as Smile, written by Jackson's own generator from the parsed tokens. */
  private static byte[] smile(String json) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (JsonParser p = new JsonFactory().createParser(json); JsonGenerator g = SHARING.createGenerator(out)) {
      while (p.nextToken() != null) {
        g.copyCurrentEvent(p);
      }
    }
    return out.toByteArray();
  }

  private TestServer.Response postSmile(String endpoint, byte[] body, Map<String, String> headers) {
    return server.post("/v1/endpoints/" + endpoint + "/predictions", SMILE, body, headers);
  }

  @Test
  void aSmileBodyStoresTheSameRecordsAsItsJsonText() throws Exception {
    assertThat(server.predictions("as-json", RECORDS).json().get("accepted").asInt()).isEqualTo(2);
    TestServer.Response r = postSmile("as-smile", smile(RECORDS), Map.of());

    assertThat(r.status()).isEqualTo(200);
    assertThat(r.json().get("accepted").asInt()).isEqualTo(2);
    assertThat(r.json().get("rejected")).isEmpty();
    for (String id : new String[] {"s-1", "s-2"}) {
      JsonNode json = server.get("/v1/endpoints/as-json/predictions/" + id).json().get("prediction");
      JsonNode smile = server.get("/v1/endpoints/as-smile/predictions/" + id).json().get("prediction");
      ((com.fasterxml.jackson.databind.node.ObjectNode) json).remove("endpoint");
      ((com.fasterxml.jackson.databind.node.ObjectNode) smile).remove("endpoint");
      assertThat(smile).isEqualTo(json);
    }
    server.flush();
    String columns = "prediction_id, ts, model_version, tags, latency_ms, amount, count, big, flag, name, tiny, huge,"
        + " features, probabilities";
    JsonNode fromJson = server.query("SELECT " + columns + " FROM predictions WHERE endpoint = 'as-json' ORDER BY prediction_id");
    JsonNode fromSmile = server.query("SELECT " + columns + " FROM predictions WHERE endpoint = 'as-smile' ORDER BY prediction_id");
    assertThat(nestedParsed(fromSmile.get("rows"))).isEqualTo(nestedParsed(fromJson.get("rows")));
    // A number of JSON is kept as written; Smile's has no written form and takes Java's shortest.
    assertThat(fromJson.get("rows").get(0).get(12).asText()).contains("\"large\":1.5e300");
    assertThat(fromSmile.get("rows").get(0).get(12).asText()).contains("\"large\":1.5E300");
    assertThat(fromSmile.get("rows").get(0).toString())
        .contains("Zoë é \uD83D\uDE00 \\\"quoted\\\"")
        .contains("9007199254740993");
    assertThat(withoutFirstSeen(server.get("/v1/endpoints/as-smile/schema").body()))
        .isEqualTo(withoutFirstSeen(server.get("/v1/endpoints/as-json/schema").body()).replace("as-json", "as-smile"));
  }

  /** The rows with their nested values (the last two columns, JSON text) parsed, so numbers compare by value. */
  private static JsonNode nestedParsed(JsonNode rows) throws IOException {
    JsonNode copy = rows.deepCopy();
    for (JsonNode row : copy) {
      for (int c = row.size() - 2; c < row.size(); c++) {
        ((com.fasterxml.jackson.databind.node.ArrayNode) row).set(c, TestServer.JSON.readTree(row.get(c).asText()));
      }
    }
    return copy;
  }

  private static String withoutFirstSeen(String schema) {
    return schema.replaceAll("\"first_seen\":\"[^\"]*\"", "");
  }

  @Test
  void feedbackAndEventsComeAsSmileToo() throws Exception {
    postSmile("e", smile(RECORDS), Map.of());
    TestServer.Response feedback = server.post("/v1/endpoints/e/feedback", SMILE,
        smile("[{\"prediction_id\": \"s-1\", \"data\": {\"label\": \"fraud\", \"loss\": 129.5}}]"), Map.of());
    TestServer.Response event = server.post("/v1/endpoints/e/events", SMILE,
        smile("{\"kind\": \"deploy\", \"text\": \"v2\"}"), Map.of());

    assertThat(feedback.status()).isEqualTo(200);
    assertThat(feedback.json().get("accepted").asInt()).isEqualTo(1);
    assertThat(event.json().get("accepted").asInt()).isEqualTo(1);
    JsonNode f = server.get("/v1/endpoints/e/predictions/s-1").json().get("feedback");
    assertThat(f).hasSize(1);
    assertThat(f.get(0).get("data").get("label").asText()).isEqualTo("fraud");
    assertThat(f.get(0).get("data").get("loss").asDouble()).isEqualTo(129.5);
    server.flush();
    assertThat(server.scalar("SELECT text FROM events WHERE kind = 'deploy'").asText()).isEqualTo("v2");
  }

  /**
   * An audited endpoint hashes each record in canonical form as it is read: Smile's binary numbers
   * inside nested values must hash as the stored JSON text does, or verifying the lake would call
   * them altered.
   */
  @Test
  void anAuditedEndpointTakesSmileAndItsTrailVerifies() throws Exception {
    server.close();
    server = new TestServer(dir, c -> c.audit.endpoints.put("audited", Map.of("enabled", true)));
    TestServer.Response r = postSmile("audited", smile(RECORDS), Map.of());
    assertThat(r.json().get("accepted").asInt()).isEqualTo(2);
    server.flush();
    assertThat(server.get("/v1/endpoints/audited/audit/checkpoint").json().get("size").asInt()).isEqualTo(2);
    for (String id : new String[] {"s-1", "s-2"}) {
      // As a third party checks a record: SHA-256(0x00 || RFC 8785 form of the record the lookup returns).
      JsonNode lookup = server.get("/v1/endpoints/audited/predictions/" + id).json();
      java.security.MessageDigest sha = java.security.MessageDigest.getInstance("SHA-256");
      sha.update((byte) 0);
      sha.update(new org.erdtman.jcs.JsonCanonicalizer(TestServer.JSON.writeValueAsString(lookup.get("prediction"))).getEncodedUTF8());
      assertThat(java.util.Base64.getDecoder().decode(lookup.get("audit").get("leaf_hash").asText()))
          .as("%s hashes to its leaf", id).isEqualTo(sha.digest());
    }
    server.close();
    server = null;

    io.hindsight.server.audit.AuditVerifier.Report report =
        new io.hindsight.server.audit.AuditVerifier(dir, TestServer.JSON).verify("audited");

    assertThat(report.lines()).singleElement().asString().startsWith("OK audited 2 records root ");
    assertThat(report.ok()).isTrue();
    server = new TestServer(dir);
  }

  @Test
  void aGzippedSmileBodyIsRead() throws Exception {
    TestServer.Response r = postSmile("e", TestServer.gzip(smile(RECORDS)), Map.of("Content-Encoding", "gzip"));

    assertThat(r.status()).isEqualTo(200);
    assertThat(r.json().get("accepted").asInt()).isEqualTo(2);
  }

  @Test
  void whatOnlySmileCanHoldFailsItsOwnRecordAndTheRestIsKept() throws Exception {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (JsonGenerator g = SHARING.createGenerator(out)) {
      g.writeStartArray();
      record(g, "ok-1", "x", () -> g.writeNumber(1.5));
      record(g, "nan", "x", () -> g.writeNumber(Double.NaN));
      record(g, "inf", "x", () -> g.writeNumber(Double.NEGATIVE_INFINITY));
      record(g, "nested-nan", "nested", () -> {
        g.writeStartArray();
        g.writeNumber(1.0);
        g.writeNumber(Double.NaN);
        g.writeEndArray();
      });
      record(g, "bytes", "x", () -> g.writeBinary(new byte[] {1, 2, 3}));
      record(g, "float", "x", () -> g.writeNumber(0.1f));
      record(g, "nested-float", "nested", () -> {
        g.writeStartArray();
        g.writeNumber(0.1f);
        g.writeNumber(new BigDecimal("12.50"));
        g.writeEndArray();
      });
      record(g, "decimal-too-big", "x", () -> g.writeNumber(new BigDecimal("1E+400")));
      g.writeEndArray();
    }

    JsonNode a = postSmile("e", out.toByteArray(), Map.of()).json();

    assertThat(a.get("accepted").asInt()).isEqualTo(3);
    assertThat(a.get("rejected")).hasSize(5);
    assertThat(TestServer.rejectionAt(a, 1)).contains("NaN");
    assertThat(TestServer.rejectionAt(a, 2)).contains("beyond the range of a double");
    assertThat(TestServer.rejectionAt(a, 3)).contains("NaN");
    assertThat(TestServer.rejectionAt(a, 4)).contains("raw binary").contains("base64");
    assertThat(TestServer.rejectionAt(a, 7)).contains("beyond the range of a double");
    server.flush();
    JsonNode rows = server.query("SELECT prediction_id, x, nested FROM predictions ORDER BY prediction_id").get("rows");
    assertThat(rows.toString()).isEqualTo("[[\"float\",0.1,null],[\"nested-float\",null,\"[0.1,12.50]\"],[\"ok-1\",1.5,null]]");
  }

  private interface Value {
    void write() throws IOException;
  }

  private static void record(JsonGenerator g, String id, String key, Value value) throws IOException {
    g.writeStartObject();
    g.writeStringField("prediction_id", id);
    g.writeObjectFieldStart("data");
    g.writeFieldName(key);
    value.write();
    g.writeEndObject();
    g.writeEndObject();
  }

  @Test
  void jsonSentAsSmileIsRefusedNamingSmile() {
    TestServer.Response r = postSmile("e", RECORDS.getBytes(StandardCharsets.UTF_8), Map.of());

    assertThat(r.status()).isEqualTo(400);
    assertThat(r.json().get("error").asText()).contains("not valid Smile").contains("looks like JSON");
    server.flush();
    assertThat(server.get("/v1/endpoints").body()).doesNotContain("\"e\"");
  }

  @Test
  void aCutSmileBodyIsRefusedAndNothingIsStored() throws Exception {
    byte[] whole = smile(RECORDS);
    TestServer.Response r = postSmile("e", Arrays.copyOf(whole, whole.length - 40), Map.of());

    assertThat(r.status()).isEqualTo(400);
    assertThat(r.json().get("error").asText()).contains("not valid Smile").contains("nothing was stored");
    server.flush();
    assertThat(server.scalar("SELECT count(*) FROM predictions").asLong()).isZero();
  }

  @Test
  void anUnknownContentTypeNamesTheThreeFormats() {
    TestServer.Response r = server.post("/v1/endpoints/e/predictions", "application/cbor", new byte[] {1}, Map.of());

    assertThat(r.status()).isEqualTo(415);
    assertThat(r.json().get("error").asText())
        .contains("application/json").contains("application/x-ndjson").contains("application/x-jackson-smile");
  }
}
