package io.hindsight.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** DESIGN §4 ingest and §6 schema rules, against a real server. */
class IngestContractTest {
  @TempDir Path dir;
  TestServer s;

  @BeforeEach
  void start() throws Exception {
    s = new TestServer(dir, c -> c.ingest.maxBodyBytes = 4L << 20);
  }

  @AfterEach
  void stop() {
    s.close();
  }

  private static final String RECORD =
      "{\"prediction_id\": \"txn-123\", \"ts\": \"2026-11-22T10:15:00Z\", \"model_version\": \"v2.1.0\","
          + " \"request_id\": \"req-abc\", \"tags\": {\"env\": \"prod\", \"segment\": \"high_value\"},"
          + " \"data\": {\"credit_score\": 712, \"amount\": 129.5, \"features\": {\"txn_count_7d\": 3},"
          + " \"probabilities\": [0.13, 0.87], \"decision\": \"declined\"}}";

  @Test
  void acceptsTheDesignExampleAndStoresEveryField() {
    TestServer.Response r = s.predictions("fraud-model", RECORD);
    assertThat(r.status()).isEqualTo(200);
    assertThat(r.json().get("accepted").asInt()).isEqualTo(1);
    assertThat(r.json().get("rejected")).isEmpty();
    s.flush();
    JsonNode row =
        s.query(
                "SELECT prediction_id, endpoint, ts, date, model_version, request_id, tags['segment'],"
                    + " credit_score, amount, features->>'txn_count_7d', probabilities, decision, status, sample_rate"
                    + " FROM predictions")
            .get("rows")
            .get(0);
    assertThat(row.get(0).asText()).isEqualTo("txn-123");
    assertThat(row.get(1).asText()).isEqualTo("fraud-model");
    assertThat(row.get(2).asText()).isEqualTo("2026-11-22T10:15:00.000000Z");
    assertThat(row.get(3).asText()).isEqualTo("2026-11-22");
    assertThat(row.get(4).asText()).isEqualTo("v2.1.0");
    assertThat(row.get(5).asText()).isEqualTo("req-abc");
    assertThat(row.get(6).asText()).isEqualTo("high_value");
    assertThat(row.get(7).asLong()).isEqualTo(712);
    assertThat(row.get(8).asDouble()).isEqualTo(129.5);
    assertThat(row.get(9).asText()).isEqualTo("3");
    assertThat(row.get(10).asText()).isEqualTo("[0.13,0.87]");
    assertThat(row.get(11).asText()).isEqualTo("declined");
    assertThat(row.get(12).asText()).isEqualTo("ok");
    assertThat(row.get(13).asDouble()).isEqualTo(1.0);
  }

  @Test
  void acceptsArraysNdjsonAndGzipBodies() {
    assertThat(s.predictions("e1", "[{\"data\": {\"x\": 1}}, {\"data\": {\"x\": 2}}]").json().get("accepted").asInt())
        .isEqualTo(2);
    byte[] ndjson = "{\"data\": {\"x\": 3}}\n\n{\"data\": {\"x\": 4}}\n".getBytes(StandardCharsets.UTF_8);
    assertThat(s.post("/v1/endpoints/e1/predictions", "application/x-ndjson", ndjson, Map.of()).json().get("accepted").asInt())
        .isEqualTo(2);
    byte[] gz = TestServer.gzip("[{\"data\": {\"x\": 5}}]".getBytes(StandardCharsets.UTF_8));
    TestServer.Response r =
        s.post("/v1/endpoints/e1/predictions", "application/json", gz, Map.of("Content-Encoding", "gzip"));
    assertThat(r.json().get("accepted").asInt()).isEqualTo(1);
    s.flush();
    assertThat(s.scalar("SELECT sum(x) FROM predictions WHERE endpoint = 'e1'").asLong()).isEqualTo(15);
  }

  @Test
  void epochMillisecondTimestampsAndGeneratedIds() {
    s.predictions("e1", "{\"ts\": 1795000000123, \"data\": {\"x\": 1}}");
    s.flush();
    JsonNode row = s.query("SELECT ts, prediction_id FROM predictions").get("rows").get(0);
    assertThat(row.get(0).asText()).isEqualTo("2026-11-18T11:06:40.123000Z");
    assertThat(row.get(1).asText()).matches("[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}");
  }

  @Test
  void oneBadRecordNeverSinksTheBatch() {
    String body =
        "[{\"data\": {\"ok\": 1}},"
            + " {\"data\": {\"Bad-Key\": 1}},"
            + " {\"data\": {\"_hidden\": 1}},"
            + " {\"data\": {\"prediction_id\": 1}},"
            + " {\"data\": {\"Score\": 1, \"score\": 2}},"
            + " {\"data\": {\"a\": 1, \"a\": 2}},"
            + " {\"nodata\": 1},"
            + " 42,"
            + " {\"ts\": \"yesterday\", \"data\": {}},"
            + " {\"data\": {\"big\": 1e400}},"
            + " {\"data\": {\"ok\": 2}}]";
    JsonNode a = s.predictions("e1", body).json();
    assertThat(a.get("accepted").asInt()).isEqualTo(2);
    assertThat(a.get("rejected")).hasSize(9);
    assertThat(TestServer.rejectionAt(a, 1)).contains("'Bad-Key' is not a valid name").contains("[A-Za-z]");
    assertThat(TestServer.rejectionAt(a, 2)).contains("'_hidden'");
    assertThat(TestServer.rejectionAt(a, 3)).contains("'prediction_id' is reserved");
    assertThat(TestServer.rejectionAt(a, 4)).contains("'Score' and 'score'").contains("case-insensitive");
    assertThat(TestServer.rejectionAt(a, 5)).contains("'a' appears twice");
    assertThat(TestServer.rejectionAt(a, 6)).contains("unknown field 'nodata'");
    assertThat(TestServer.rejectionAt(a, 7)).contains("must be a JSON object");
    assertThat(TestServer.rejectionAt(a, 8)).contains("RFC 3339");
    assertThat(TestServer.rejectionAt(a, 9)).contains("beyond the range of a double");
    s.flush();
    assertThat(s.scalar("SELECT sum(ok) FROM predictions").asLong()).isEqualTo(3);
    assertThat(s.get("/metrics").body()).contains("hindsight_records_rejected_total{reason=\"invalid_key\",table=\"predictions\"}");
  }

  @Test
  void overDeepNestingIsRejectedPerRecord() {
    String deep = "[".repeat(70) + "1" + "]".repeat(70);
    JsonNode a = s.predictions("e1", "[{\"data\": {\"x\": " + deep + "}}, {\"data\": {\"x\": [1]}}]").json();
    assertThat(a.get("accepted").asInt()).isEqualTo(1);
    assertThat(TestServer.rejectionAt(a, 0)).contains("nested deeper than 64 levels");
  }

  @Test
  void tenThousandDeepNestingInNdjsonRejectsOnlyThatLine() {
    String deep = "{\"data\": {\"x\": " + "[".repeat(10_000) + "]".repeat(10_000) + "}}";
    byte[] body = (deep + "\n{\"data\": {\"y\": 1}}\n").getBytes(StandardCharsets.UTF_8);
    JsonNode a = s.post("/v1/endpoints/e1/predictions", "application/x-ndjson", body, Map.of()).json();
    assertThat(a.get("accepted").asInt()).isEqualTo(1);
    assertThat(TestServer.rejectionAt(a, 0)).contains("nested deeper than 64");
  }

  @Test
  void oversizedRecordIsRejectedAndTheRestKept() {
    String big = "x".repeat(1_100_000);
    JsonNode a = s.predictions("e1", "[{\"data\": {\"s\": \"" + big + "\"}}, {\"data\": {\"s\": \"small\"}}]").json();
    assertThat(a.get("accepted").asInt()).isEqualTo(1);
    assertThat(TestServer.rejectionAt(a, 0)).contains("larger than the limit of 1048576 bytes");
  }

  @Test
  void tooManyKeysIsRejected() {
    StringBuilder sb = new StringBuilder("{\"data\": {");
    for (int i = 0; i < 1001; i++) {
      sb.append(i == 0 ? "" : ",").append("\"k").append(i).append("\": 1");
    }
    sb.append("}}");
    JsonNode a = s.predictions("e1", sb.toString()).json();
    assertThat(TestServer.rejectionAt(a, 0)).contains("1001 keys").contains("1000");
  }

  @Test
  void oversizedBodyIs413AndStoresNothing() {
    String big = "[" + ("{\"data\": {\"s\": \"" + "y".repeat(500_000) + "\"}},").repeat(10) + "{\"data\": {}}]";
    TestServer.Response r = s.predictions("e1", big);
    assertThat(r.status()).as(r.body()).isEqualTo(413);
    assertThat(r.json().get("error").asText()).contains("ingest.max-body-bytes");
    byte[] bomb = TestServer.gzip(big.getBytes(StandardCharsets.UTF_8));
    TestServer.Response z =
        s.post("/v1/endpoints/e1/predictions", "application/json", bomb, Map.of("Content-Encoding", "gzip"));
    assertThat(z.status()).as(z.body()).isEqualTo(413);
    s.flush();
    assertThat(s.scalar("SELECT count(*) FROM predictions").asLong()).isZero();
  }

  @Test
  void malformedBodyIs400AndStoresNothing() {
    TestServer.Response r = s.predictions("e1", "[{\"data\": {\"x\": 1}}, {\"data\": ");
    assertThat(r.status()).isEqualTo(400);
    assertThat(r.json().get("error").asText()).contains("not valid JSON").contains("nothing was stored");
    assertThat(r.headers().firstValue("Connection"))
        .as("a refused body may be partly unread, so the connection is not reused")
        .hasValue("close");
    assertThat(s.predictions("e1", "\"just a string\"").status()).isEqualTo(400);
    assertThat(s.predictions("e1", "").status()).isEqualTo(400);
    byte[] invalidUtf8 = {'[', '{', '"', 'd', 'a', 't', 'a', '"', ':', '{', '"', 's', '"', ':', '"', (byte) 0xC3, (byte) 0x28, '"', '}', '}', ']'};
    assertThat(s.post("/v1/endpoints/e1/predictions", "application/json", invalidUtf8, Map.of()).status()).isEqualTo(400);
    s.flush();
    assertThat(s.scalar("SELECT count(*) FROM predictions").asLong()).isZero();
    assertThat(s.get("/health").status()).isEqualTo(200);
  }

  @Test
  void badEndpointNameAndUnknownContentType() {
    TestServer.Response r = s.predictions("fraud%20model", "{\"data\": {}}");
    assertThat(r.status()).isEqualTo(400);
    TestServer.Response upper = s.predictions("Fraud", "{\"data\": {}}");
    assertThat(upper.status()).isEqualTo(400);
    assertThat(upper.json().get("error").asText()).contains("endpoint name 'Fraud' is invalid");
    TestServer.Response xml =
        s.post("/v1/endpoints/e1/predictions", "application/xml", "<a/>".getBytes(StandardCharsets.UTF_8), Map.of());
    assertThat(xml.status()).isEqualTo(415);
    assertThat(xml.json().get("error").asText()).contains("application/x-ndjson");
    TestServer.Response enc =
        s.post("/v1/endpoints/e1/predictions", "application/json", "{}".getBytes(StandardCharsets.UTF_8), Map.of("Content-Encoding", "br"));
    assertThat(enc.status()).isEqualTo(415);
  }

  @Test
  void typeContradictionsGoToConflictsWithAWarning() {
    s.predictions("e1", "{\"data\": {\"score\": 1, \"label\": \"a\"}}");
    JsonNode a = s.predictions("e1", "{\"data\": {\"score\": \"high\", \"label\": \"b\"}}").json();
    assertThat(a.get("accepted").asInt()).isEqualTo(1);
    assertThat(a.get("warnings").get(0).get("warning").asText())
        .contains("'score'")
        .contains("bigint")
        .contains("string")
        .contains("_conflicts");
    s.flush();
    JsonNode row = s.query("SELECT score, _conflicts->>'score' FROM predictions WHERE label = 'b'").get("rows").get(0);
    assertThat(row.get(0).isNull()).isTrue();
    assertThat(row.get(1).asText()).isEqualTo("high");
    JsonNode schema = s.get("/v1/endpoints/e1/schema").json();
    JsonNode score = null;
    for (JsonNode c : schema.get("columns")) {
      if (c.get("name").asText().equals("score")) {
        score = c;
      }
    }
    assertThat(score.get("type").asText()).isEqualTo("bigint");
    assertThat(score.get("conflicts").asLong()).isEqualTo(1);
  }

  @Test
  void bigintWidensToDoubleAndKeysMatchCaseInsensitively() {
    s.predictions("e1", "{\"data\": {\"Amount\": 3}}");
    s.flush();
    JsonNode a = s.predictions("e1", "{\"data\": {\"amount\": 2.5}}").json();
    assertThat(a.get("warnings")).isEmpty();
    s.flush();
    assertThat(s.scalar("SELECT sum(amount) FROM predictions").asDouble()).isEqualTo(5.5);
    JsonNode cols = s.get("/v1/endpoints/e1/schema").json().get("columns");
    assertThat(cols.toString()).contains("{\"name\":\"Amount\",\"type\":\"double\"");
  }

  @Test
  void feedbackAndEventsAreStoredInTheirTables() {
    assertThat(s.postJson("/v1/endpoints/e1/feedback", "{\"prediction_id\": \"p1\", \"data\": {\"label\": \"fraud\"}}").json().get("accepted").asInt())
        .isEqualTo(1);
    JsonNode missing = s.postJson("/v1/endpoints/e1/feedback", "{\"data\": {\"label\": \"x\"}}").json();
    assertThat(TestServer.rejectionAt(missing, 0)).contains("'prediction_id' is missing");
    assertThat(s.postJson("/v1/endpoints/e1/events", "{\"kind\": \"deploy\", \"text\": \"v2 rollout\", \"data\": {\"version\": \"v2\"}}").json().get("accepted").asInt())
        .isEqualTo(1);
    s.flush();
    assertThat(s.scalar("SELECT label FROM feedback WHERE prediction_id = 'p1'").asText()).isEqualTo("fraud");
    JsonNode ev = s.query("SELECT endpoint, kind, text, data->>'version' FROM events").get("rows").get(0);
    assertThat(ev.toString()).isEqualTo("[\"e1\",\"deploy\",\"v2 rollout\",\"v2\"]");
  }

  @Test
  void aRetriedIdempotencyKeyGetsTheFirstAnswerAndStoresOnce() throws Exception {
    byte[] body = "[{\"data\": {\"x\": 1}}, {\"data\": {\"_bad\": 1}}]".getBytes(StandardCharsets.UTF_8);
    Map<String, String> key = Map.of("Idempotency-Key", "batch-42");
    TestServer.Response first = s.post("/v1/endpoints/e1/predictions", "application/json", body, key);
    TestServer.Response again = s.post("/v1/endpoints/e1/predictions", "application/json", body, key);
    assertThat(again.body()).isEqualTo(first.body());
    s.restart();
    TestServer.Response afterRestart = s.post("/v1/endpoints/e1/predictions", "application/json", body, key);
    assertThat(afterRestart.body()).isEqualTo(first.body());
    s.flush();
    assertThat(s.scalar("SELECT count(*) FROM predictions").asLong()).isEqualTo(1);
    TestServer.Response otherEndpoint = s.post("/v1/endpoints/e2/predictions", "application/json", body, key);
    assertThat(otherEndpoint.json().get("accepted").asInt()).isEqualTo(1);
  }

  @Test
  void malformedUnicodeAndOutOfRangeTimestampsGetClearAnswers() {
    JsonNode ts = s.predictions("e1", "[{\"ts\": 10000000000000000, \"data\": {}}, {\"data\": {\"x\": 1}}]").json();
    assertThat(ts.get("accepted").asInt()).isEqualTo(1);
    assertThat(TestServer.rejectionAt(ts, 0)).contains("outside the accepted range");
    byte[] overlong = {'{', '"', 'd', 'a', 't', 'a', '"', ':', '{', '"', 's', '"', ':', '"', 'a', (byte) 0xC0, (byte) 0xAF, 'b', '"', '}', '}'};
    TestServer.Response r = s.post("/v1/endpoints/e1/predictions", "application/json", overlong, Map.of());
    assertThat(r.status()).isEqualTo(400);
    assertThat(r.json().get("error").asText()).contains("not valid UTF-8");
    byte[] utf32 = {0, 0, (byte) 0xFE, (byte) 0xFF, 0, 0, 0, '{', 0, 0, 0, '}'};
    assertThat(s.post("/v1/endpoints/e1/predictions", "application/json", utf32, Map.of()).status()).isEqualTo(400);
    byte[] lines = "{\"data\": {\"s\": \"\\ud800\"}}\n{\"data\": {\"s\": \"ok\"}}\n".getBytes(StandardCharsets.UTF_8);
    JsonNode nd = s.post("/v1/endpoints/e1/predictions", "application/x-ndjson", lines, Map.of()).json();
    assertThat(nd.get("accepted").asInt()).isEqualTo(1);
    assertThat(TestServer.rejectionAt(nd, 0)).contains("unpaired surrogate");
    assertThat(s.post("/v1/endpoints/e1/predictions", "application/x-ndjson", new byte[0], Map.of()).status()).isEqualTo(400);
    s.flush();
    assertThat(s.scalar("SELECT count(*) FROM predictions").asLong()).isEqualTo(2);
  }
}
