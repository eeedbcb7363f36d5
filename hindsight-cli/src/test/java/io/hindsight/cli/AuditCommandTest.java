package io.hindsight.cli;

import static io.hindsight.cli.CliRun.run;
import static org.assertj.core.api.Assertions.assertThat;

import io.hindsight.server.HindsightServer;
import io.hindsight.server.ServerConfig;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code hindsight audit verify|export} on a running server's data folder, and on an export alone. */
class AuditCommandTest {
  @TempDir Path dir;

  @Test
  void verifiesALiveDataFolderExportsAPeriodAndVerifiesTheExportOnItsOwn() throws Exception {
    Path data = dir.resolve("data");
    ServerConfig c = new ServerConfig();
    c.dataDir = data;
    c.port = 0;
    c.lake.flushInterval = Duration.ofMillis(50);
    c.audit.endpoints.put("fraud", Map.of("enabled", true, "retain_min", "P25M"));
    try (HindsightServer s = HindsightServer.start(c)) {
      String base = "http://127.0.0.1:" + s.port();
      HttpClient http = HttpClient.newHttpClient();
      String body =
          "[{\"prediction_id\": \"a\", \"ts\": \"2026-11-20T09:00:00Z\", \"data\": {\"amount\": 12.5, \"reasons\": [{\"code\": \"R1\"}]}},"
              + " {\"prediction_id\": \"b\", \"ts\": \"2026-11-21T09:00:00Z\", \"data\": {\"amount\": 7}},"
              + " {\"prediction_id\": \"c\", \"ts\": \"2026-11-22T09:00:00Z\", \"data\": {\"amount\": 1}}]";
      http.send(HttpRequest.newBuilder(URI.create(base + "/v1/endpoints/fraud/predictions"))
          .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.discarding());
      s.flushLake();
      http.send(HttpRequest.newBuilder(URI.create(base + "/v1/endpoints/fraud/audit/checkpoint")).build(), HttpResponse.BodyHandlers.discarding());

      CliRun verify = run("audit", "verify", "--data-dir", data.toString());
      assertThat(verify.exit()).as(verify.out() + verify.err()).isZero();
      assertThat(verify.out()).matches("OK fraud 3 records root [0-9a-f]{64}\\R");

      Path bundle = dir.resolve("bundle");
      CliRun export = run("audit", "export", "--data-dir", data.toString(), "--endpoint", "fraud", "--from", "2026-11-21", "--to", "2026-11-22", "--out", bundle.toString());
      assertThat(export.exit()).as(export.err()).isZero();
      assertThat(export.out()).startsWith("exported 2 records of 'fraud'");
    }
    Path bundle = dir.resolve("bundle");
    CliRun ok = run("audit", "verify", "--bundle", bundle.toString());
    assertThat(ok.exit()).as(ok.out() + ok.err()).isZero();
    assertThat(ok.out()).matches("OK hindsight/fraud bundle 2 records in checkpoint 3 root [0-9a-f]{64}\\R");

    Path records = bundle.resolve("records.ndjson");
    Files.writeString(records, Files.readString(records).replace("\"amount\":7", "\"amount\":70"));
    CliRun bad = run("audit", "verify", "--bundle", bundle.toString());
    assertThat(bad.exit()).isEqualTo(1);
    assertThat(bad.out()).contains("FAIL hindsight/fraud record 1 b: not in the signed log");

    CliRun missing = run("audit", "verify", "--data-dir", data.toString(), "--endpoint", "nope");
    assertThat(missing.exit()).isEqualTo(1);
    assertThat(missing.out()).startsWith("FAIL nope: no audit log in ");
  }
}
