package io.hindsight.server.web;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.hindsight.server.ServerConfig;
import io.hindsight.server.TestServer;
import io.hindsight.server.files.FileSync;
import io.hindsight.server.ops.ManualScheduler;
import io.hindsight.server.schema.SqlText;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.time.Instant;
import java.util.Base64;
import java.util.HexFormat;
import java.util.Map;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;

/**
 * The prediction page of an audited endpoint checks the record's inclusion proof in the browser
 * (leaf hash from the record's canonical JSON, the path folded into the root, the checkpoint's
 * Ed25519 signature): an intact record is verified, one changed in the lake afterwards (its
 * Parquet file rewritten with DuckDB, as anyone with file access could) is not.
 */
class AuditProofPageTest extends BrowserTest {
  private static final Consumer<ServerConfig> AUDIT_FRAUD = c -> c.audit.endpoints.put("fraud", Map.of("enabled", true));
  private static final Instant START = Instant.parse("2026-11-22T10:00:00Z");

  @TempDir static Path dir;
  static TestServer server;

  @BeforeAll
  static void logAuditedPredictionsThenChangeOneInTheLake() throws Exception {
    if (browser == null) {
      return;
    }
    try (TestServer first = new TestServer(dir, AUDIT_FRAUD, new ManualScheduler(START))) {
      StringBuilder body = new StringBuilder("[");
      for (int i = 0; i < 5; i++) {
        // Values that canonical JSON must write exactly as the server did: fractions, tiny and huge
        // numbers, an integer beyond 2^53, escapes, and keys whose UTF-16 order differs from their
        // code point order.
        body.append(i == 0 ? "" : ",")
            .append(String.format(
                "{\"prediction_id\": \"p%d\", \"ts\": \"%s\", \"model_version\": \"v1\", \"latency_ms\": %s, \"tags\": {\"segment\": \"s%d\"},"
                    + " \"data\": {\"amount\": %d, \"account\": 1152921504606846977, \"decision\": \"approved\", \"probabilities\": [0.1, 0.9],"
                    + " \"features\": {\"tiny\": 1e-7, \"huge\": 1.5e300, \"zeta\": \"é\", \"Alpha\": -0.0, \"\uD83D\uDE00\": 1, \"\uFB00\": 2, \"text\": \"a\\\"b\\n\\u0001\"}}}",
                i, START.plusSeconds(i), 3.25 + i, i, 100 + i));
      }
      assertThat(first.predictions("fraud", body.append("]").toString()).json().get("accepted").asInt()).isEqualTo(5);
      assertThat(first.predictions("plain", "{\"prediction_id\": \"u1\", \"data\": {\"amount\": 1}}").status()).isEqualTo(200);
      first.flush();
      assertThat(first.get("/v1/endpoints/fraud/audit/checkpoint").json().get("size").asInt()).isEqualTo(5);
    }
    rewriteFraudParquet("SELECT * REPLACE (CASE WHEN prediction_id = 'p3' THEN 999 ELSE amount END AS amount) FROM f");
    server = new TestServer(dir, AUDIT_FRAUD, new ManualScheduler(START.plusSeconds(60)));
  }

  /** Rewrites the endpoint's Parquet file with a SELECT over it (view {@code f}) while no server runs. */
  private static void rewriteFraudParquet(String select) throws Exception {
    Path parquet;
    try (Stream<Path> files = Files.walk(dir.resolve("lake/predictions/endpoint=fraud"))) {
      parquet = files.filter(p -> p.toString().endsWith(".parquet")).findFirst().orElseThrow();
    }
    Path tmp = parquet.resolveSibling("rewritten.tmp");
    try (Connection c = DriverManager.getConnection("jdbc:duckdb:");
        Statement st = c.createStatement()) {
      st.execute("CREATE VIEW f AS SELECT * FROM read_parquet(" + SqlText.string(parquet.toString()) + ")");
      st.execute("COPY (" + select + ") TO " + SqlText.string(tmp.toString()) + " (FORMAT parquet)");
    }
    FileSync.moveDurably(tmp, parquet);
  }

  @AfterAll
  static void stopServer() {
    if (server != null) {
      server.close();
    }
  }

  @Test
  void anIntactRecordIsVerifiedAgainstTheSignedCheckpoint() {
    JsonNode checkpoint = server.get("/v1/endpoints/fraud/audit/checkpoint").json();
    long leaf = server.get("/v1/endpoints/fraud/audit/proof/p2").json().get("leaf_index").asLong();
    String root = HexFormat.of().formatHex(Base64.getDecoder().decode(checkpoint.get("root_hash").asText()));
    String key = server.get("/v1/audit/key").json().get("verifier_keys").get("fraud").asText();

    open(server, "/endpoints/fraud/predictions/p2");
    awaitText(By.id("audit-proof"), "Verified in your browser");
    assertThat(browser.findElement(By.cssSelector("#audit-proof p")).getText())
        .isEqualTo("Verified in your browser: leaf " + leaf + " of 5, root " + root + ", signed by key " + key + ".");
    waiting().until(d -> !d.findElement(By.id("main")).getText().contains("Loading"));
    browser.executeScript("document.getElementById('audit-proof').scrollIntoView()");
    screenshot("prediction-audit");
  }

  @Test
  void aRecordChangedInTheLakeFailsOnItsLeafHash() {
    open(server, "/endpoints/fraud/predictions/p3");
    awaitText(By.id("audit-proof"), "Not verified");
    assertThat(browser.findElement(By.id("main")).getText()).contains("999");
    assertThat(browser.findElement(By.cssSelector("#audit-proof p[role=alert]")).getText())
        .startsWith("Not verified: the leaf hash does not match.")
        .contains("the record was changed after it was logged");
  }

  @Test
  void anUnauditedEndpointSaysSo() {
    open(server, "/endpoints/plain/predictions/u1");
    awaitText(By.id("audit-proof"), "Endpoint plain is not audited");
  }
}
