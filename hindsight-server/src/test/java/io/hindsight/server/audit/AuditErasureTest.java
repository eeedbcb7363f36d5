package io.hindsight.server.audit;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.hindsight.server.TestServer;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * An erasure on an audited endpoint, end to end on a real server: the erased predictions leave the
 * lake, their leaves stay, a signed entry names them, and {@code audit verify} reports exactly those
 * as redacted and everything else as intact.
 */
class AuditErasureTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  @TempDir Path dir;

  @Test
  void anErasedSubjectIsReportedAsRedactedAndNothingElse() throws Exception {
    try (TestServer s = new TestServer(dir, c -> c.audit.endpoints.put("loans", Map.of("enabled", true, "retain_min", "P1D")))) {
      StringBuilder body = new StringBuilder("[");
      for (int i = 0; i < 6; i++) {
        body.append(i == 0 ? "" : ",").append("{\"prediction_id\": \"p").append(i)
            .append("\", \"ts\": \"2026-11-22T10:00:0").append(i).append("Z\", \"data\": {\"customer_id\": \"c-")
            .append(i % 3).append("\", \"amount\": ").append(100 * i).append("}}");
      }
      assertThat(s.predictions("loans", body.append("]").toString()).json().get("accepted").asInt()).isEqualTo(6);
      s.flush();
      TestServer.Response started = s.postJson("/v1/erasure", "{\"endpoint\": \"loans\", \"key\": \"customer_id\", \"value\": \"c-1\"}");
      assertThat(started.status()).as(started.body()).isEqualTo(202);
      String id = started.json().get("id").asText();
      JsonNode job = s.awaitJob(id);
      assertThat(job.get("state").asText()).as(job.toString()).isEqualTo("done");
      assertThat(s.query("SELECT prediction_id FROM predictions ORDER BY 1").get("rows"))
          .extracting(r -> r.get(0).asText())
          .containsExactly("p0", "p2", "p3", "p5");
    }

    AuditVerifier.Report report = new AuditVerifier(dir, JSON).verify(null);
    assertThat(report.lines()).as(report.lines().toString()).hasSize(3);
    String id = report.lines().get(0).replaceAll(".*\\(erasure (.*)\\)$", "$1");
    assertThat(report.lines())
        .containsExactly(
            "REDACTED loans record 1: redacted (erasure " + id + ")",
            "REDACTED loans record 4: redacted (erasure " + id + ")",
            report.lines().get(2));
    assertThat(report.lines().get(2)).startsWith("OK loans 6 records root ");
    assertThat(report.ok()).isTrue();
  }

  @Test
  void retentionNeverDeletesAuditedRecordsYoungerThanTheirMinimum() throws Exception {
    try (TestServer s = new TestServer(dir, c -> c.audit.endpoints.put("loans", Map.of("enabled", true, "retain_min", "P25M")))) {
      assertThat(s.predictions("loans", "{\"prediction_id\": \"p\", \"data\": {\"amount\": 1}}").status()).isEqualTo(200);
      s.flush();
      TestServer.Response refused = s.delete("/v1/endpoints/loans/data?before=2099-01-01&kind=predictions");
      assertThat(refused.status()).as(refused.body()).isEqualTo(409);
      assertThat(refused.json().get("error").asText()).contains("retain_min");
    }
  }
}
