package io.hindsight.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** DESIGN §4 query: tables, views, formats, limits and the read-only sandbox. */
class QueryTest {
  @TempDir Path dir;
  TestServer s;

  @BeforeEach
  void start() throws Exception {
    s = new TestServer(dir, c -> c.query.timeout = Duration.ofSeconds(2));
  }

  @AfterEach
  void stop() {
    s.close();
  }

  @Test
  void emptyTablesAnswerWithTheirColumns() {
    JsonNode r = s.query("SELECT * FROM predictions_with_feedback");
    assertThat(r.get("rows")).isEmpty();
    assertThat(r.get("columns").toString()).contains("prediction_id").contains("feedback_ts");
    assertThat(s.query("SELECT * FROM events").get("columns").toString()).contains("kind");
  }

  @Test
  void aRecordIsVisibleWithinOneSecondOfItsAck() throws Exception {
    s.predictions("e1", "{\"prediction_id\": \"fresh-1\", \"data\": {\"x\": 1}}");
    long acked = System.nanoTime();
    long visibleAfterMs = -1;
    while (System.nanoTime() - acked < 5_000_000_000L) {
      if (s.scalar("SELECT count(*) FROM predictions WHERE prediction_id = 'fresh-1'").asLong() == 1) {
        visibleAfterMs = (System.nanoTime() - acked) / 1_000_000;
        break;
      }
      Thread.sleep(20);
    }
    assertThat(visibleAfterMs).isBetween(0L, 1000L);
  }

  @Test
  void predictionsUnionEveryEndpointsColumns() {
    s.predictions("a", "{\"data\": {\"only_a\": 1}}");
    s.predictions("b", "{\"data\": {\"only_b\": \"x\"}}");
    s.flush();
    JsonNode r = s.query("SELECT endpoint, only_a, only_b FROM predictions ORDER BY endpoint");
    assertThat(r.get("rows").toString()).isEqualTo("[[\"a\",1,null],[\"b\",null,\"x\"]]");
  }

  @Test
  void predictionsWithFeedbackTakesTheLatestValuePerKeyAlsoWhenFeedbackCameFirst() {
    s.postJson("/v1/endpoints/e1/feedback", "{\"prediction_id\": \"p1\", \"ts\": \"2026-11-20T00:00:00Z\", \"data\": {\"label\": \"legit\", \"rating\": 2}}");
    s.postJson("/v1/endpoints/e1/feedback", "{\"prediction_id\": \"p1\", \"ts\": \"2026-11-21T00:00:00Z\", \"data\": {\"label\": \"fraud\"}}");
    s.predictions("e1", "{\"prediction_id\": \"p1\", \"ts\": \"2026-11-19T00:00:00Z\", \"data\": {\"score\": 0.9}}");
    s.predictions("e1", "{\"prediction_id\": \"p2\", \"data\": {\"score\": 0.1}}");
    s.predictions("e2", "{\"prediction_id\": \"p1\", \"data\": {\"score\": 0.5}}");
    s.flush();
    JsonNode rows =
        s.query(
                "SELECT endpoint, prediction_id, feedback_label, feedback_rating, feedback_ts"
                    + " FROM predictions_with_feedback ORDER BY endpoint, prediction_id")
            .get("rows");
    assertThat(rows.toString())
        .isEqualTo(
            "[[\"e1\",\"p1\",\"fraud\",2,\"2026-11-21T00:00:00.000000Z\"],"
                + "[\"e1\",\"p2\",null,null,null],"
                + "[\"e2\",\"p1\",null,null,null]]");
  }

  @Test
  void paramsLimitsAndTruncation() {
    StringBuilder sb = new StringBuilder("[");
    for (int i = 0; i < 30; i++) {
      sb.append(i == 0 ? "" : ",").append("{\"data\": {\"i\": ").append(i).append("}}");
    }
    s.predictions("e1", sb.append("]").toString());
    s.flush();
    JsonNode r = s.query("SELECT i FROM predictions WHERE i >= ? ORDER BY i", 25);
    assertThat(r.get("rows")).hasSize(5);
    assertThat(r.get("truncated").asBoolean()).isFalse();
    assertThat(r.has("elapsed_ms")).isTrue();
    JsonNode limited = s.postJson("/v1/query", "{\"sql\": \"SELECT i FROM predictions\", \"limit\": 10}").json();
    assertThat(limited.get("rows")).hasSize(10);
    assertThat(limited.get("truncated").asBoolean()).isTrue();
    assertThat(s.postJson("/v1/query", "{\"sql\": \"SELECT 1\", \"limit\": 100000000}").status()).isEqualTo(400);
  }

  @Test
  void streamsCsvAndNdjson() {
    s.predictions("e1", "[{\"prediction_id\": \"a\", \"data\": {\"note\": \"x, \\\"quoted\\\"\"}}, {\"prediction_id\": \"b\", \"data\": {\"note\": \"plain\"}}]");
    s.flush();
    byte[] q = "{\"sql\": \"SELECT prediction_id, note FROM predictions ORDER BY 1\"}".getBytes(StandardCharsets.UTF_8);
    TestServer.Response csv = s.post("/v1/query", "application/json", q, Map.of("Accept", "text/csv"));
    assertThat(csv.headers().firstValue("Content-Type").orElse("")).startsWith("text/csv");
    assertThat(csv.body()).isEqualTo("prediction_id,note\r\na,\"x, \"\"quoted\"\"\"\r\nb,plain\r\n");
    TestServer.Response nd = s.post("/v1/query", "application/json", q, Map.of("Accept", "application/x-ndjson"));
    assertThat(nd.body())
        .isEqualTo("{\"prediction_id\":\"a\",\"note\":\"x, \\\"quoted\\\"\"}\n{\"prediction_id\":\"b\",\"note\":\"plain\"}\n");
  }

  @Test
  void aQueryOverTheTimeoutIsCancelledWith400() {
    TestServer.Response r = s.queryResponse("SELECT count(*) FROM range(100000000000) a");
    assertThat(r.status()).isEqualTo(400);
    assertThat(r.json().get("error").asText()).contains("query.timeout");
    assertThat(s.scalar("SELECT 42").asInt()).isEqualTo(42);
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "SELECT * FROM read_text('/etc/passwd')",
        "SELECT * FROM read_csv('/etc/passwd')",
        "SELECT * FROM glob('/etc/*')",
        "SELECT * FROM read_parquet('/etc/../etc/passwd')",
        "COPY (SELECT 1) TO 'LAKE/evil.csv'",
        "ATTACH 'LAKE/evil.db' AS evil",
        "INSTALL httpfs",
        "LOAD httpfs",
        "SET enable_external_access = true",
        "RESET memory_limit",
        "PRAGMA enable_profiling",
        "DROP VIEW predictions",
        "CREATE TABLE t AS SELECT 1",
        "INSERT INTO predictions SELECT * FROM predictions",
        "SELECT 1; DROP VIEW predictions",
        "/* harmless */ dRoP /* really */ VIEW predictions",
        "SELECT * FROM query('DROP VIEW predictions')",
        "EXPORT DATABASE 'LAKE/dump'",
        "CALL duckdb_secrets()",
      })
  void theSandboxRefusesEscapes(String attempt) throws Exception {
    String sql = attempt.replace("LAKE", dir.resolve("lake").toAbsolutePath().toString());
    TestServer.Response r = s.queryResponse(sql);
    assertThat(r.status()).as(r.body()).isEqualTo(400);
    assertThat(r.json().get("error").asText()).isNotBlank();
    try (var files = Files.walk(dir)) {
      assertThat(files.map(p -> p.getFileName().toString())).noneMatch(n -> n.startsWith("evil") || n.equals("dump"));
    }
    assertThat(s.query("SELECT count(*) FROM predictions").get("rows")).hasSize(1);
  }

  @Test
  void theLakeItselfIsReadableThroughSql() {
    s.predictions("e1", "{\"data\": {\"x\": 7}}");
    s.flush();
    String glob = dir.resolve("lake").toAbsolutePath() + "/predictions/*/*/*.parquet";
    assertThat(s.scalar("SELECT sum(x) FROM read_parquet(?)", glob).asLong()).isEqualTo(7);
  }

  /** A table's folder may be a link to another disk: SQL reads the folder it links to, and nothing beside it. */
  @Test
  void aTableFolderLinkedToAnotherDiskIsReadThroughSql() throws Exception {
    s.close();
    Path otherDisk = Files.createDirectories(dir.resolve("other-disk"));
    Path data = dir.resolve("linked");
    Files.createDirectories(data.resolve("lake"));
    Files.createSymbolicLink(data.resolve("lake/predictions"), Files.createDirectories(otherDisk.resolve("predictions")));
    Path beside = Files.writeString(otherDisk.resolve("beside.csv"), "a\n1\n");
    s = new TestServer(data);
    s.predictions("e1", "{\"data\": {\"x\": 7}}");
    s.flush();
    try (var files = Files.walk(otherDisk.resolve("predictions"))) {
      assertThat(files.filter(f -> f.toString().endsWith(".parquet"))).hasSize(1);
    }
    assertThat(s.scalar("SELECT sum(x) FROM predictions").asLong()).isEqualTo(7);
    assertThat(s.queryResponse("SELECT * FROM read_csv('" + beside.toAbsolutePath() + "')").status()).isEqualTo(400);
  }

  @Test
  void syntaxErrorsAndMissingSqlSayWhatIsWrong() {
    TestServer.Response r = s.queryResponse("SELEC 1");
    assertThat(r.status()).isEqualTo(400);
    assertThat(r.json().get("error").asText()).contains("syntax error");
    TestServer.Response missing = s.postJson("/v1/query", "{}");
    assertThat(missing.json().get("error").asText()).contains("'sql' is missing");
    TestServer.Response unknown = s.queryResponse("SELECT nope FROM predictions");
    assertThat(unknown.status()).isEqualTo(400);
    assertThat(unknown.json().get("error").asText()).contains("nope");
  }
}
