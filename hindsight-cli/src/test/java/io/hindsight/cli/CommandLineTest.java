package io.hindsight.cli;

import static io.hindsight.cli.CliRun.run;
import static org.assertj.core.api.Assertions.assertThat;

import io.hindsight.server.HindsightServer;
import io.hindsight.server.ServerConfig;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The hindsight command line against a real server. */
class CommandLineTest {
  @TempDir Path dir;

  private static HindsightServer server(Path data) throws Exception {
    ServerConfig c = new ServerConfig();
    c.dataDir = data;
    c.port = 0;
    c.lake.flushInterval = Duration.ofMillis(50);
    c.auth.reloadInterval = Duration.ZERO;
    return HindsightServer.start(c);
  }

  private static int post(int port, String path, String key, String body) throws Exception {
    HttpRequest.Builder b =
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
            .header("Content-Type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofString(body));
    if (key != null) {
      b.header("Authorization", "Bearer " + key);
    }
    return HttpClient.newHttpClient().send(b.build(), HttpResponse.BodyHandlers.discarding()).statusCode();
  }

  @Test
  void reportWritesTheEndpointsReportToAFile() throws Exception {
    try (HindsightServer s = server(dir.resolve("data"))) {
      post(s.port(), "/v1/endpoints/fraud/predictions", null, "[{\"data\": {\"amount\": 12.5}}]");
      s.flushLake();
      String url = "http://127.0.0.1:" + s.port();
      Path file = dir.resolve("report.html");
      CliRun ok = run("report", "--server", url, "--endpoint", "fraud", "--out", file.toString());
      assertThat(ok.exit()).as(ok.err()).isZero();
      assertThat(ok.out()).startsWith("wrote " + file.toAbsolutePath());
      assertThat(java.nio.file.Files.readString(file)).startsWith("<!DOCTYPE html>").contains("<h1>fraud</h1>", "1 predictions");
      CliRun bad = run("report", "--server", url, "--endpoint", "fraud", "--from", "last week");
      assertThat(bad.exit()).isEqualTo(1);
      assertThat(bad.err()).contains("error 400", "'from' must be an ISO-8601 UTC time");
    }
  }

  @Test
  void queryPrintsATableCsvAndJson() throws Exception {
    try (HindsightServer s = server(dir)) {
      post(s.port(), "/v1/endpoints/fraud/predictions", null,
          "[{\"prediction_id\": \"t1\", \"data\": {\"decision\": \"declined\"}}, {\"prediction_id\": \"t2\", \"data\": {\"decision\": \"approved\"}}]");
      s.flushLake();
      String url = "http://127.0.0.1:" + s.port();
      CliRun table = run("query", "--server", url, "SELECT prediction_id, decision FROM predictions ORDER BY 1");
      assertThat(table.exit()).isZero();
      assertThat(table.out())
          .contains("| prediction_id | decision |")
          .contains("| t1            | declined |")
          .contains("2 rows");
      CliRun csv = run("query", "--server", url, "--format", "csv", "SELECT prediction_id FROM predictions ORDER BY 1");
      assertThat(csv.out().replace("\r", "\\r")).isEqualTo("prediction_id\\r\nt1\\r\nt2\\r\n");
      CliRun json = run("query", "--server", url, "--format", "json", "SELECT count(*) AS n FROM predictions");
      assertThat(json.out()).contains("\"rows\":[[2]]");
      CliRun bad = run("query", "--server", url, "DROP VIEW predictions");
      assertThat(bad.exit()).isEqualTo(1);
      assertThat(bad.err()).contains("error 400").contains("only read queries");
    }
  }

  @Test
  void keysCreatedOnTheCommandLineGuardTheServerAndRevokeWithoutRestart() throws Exception {
    CliRun none = run("keys", "list", "--data-dir", dir.toString());
    assertThat(none.out()).isEmpty();
    assertThat(none.err()).contains("no API keys in").contains("hindsight keys create --name");
    CliRun created = run("keys", "create", "--data-dir", dir.toString(), "--name", "svc", "--scope", "write", "--endpoint", "fraud");
    assertThat(created.exit()).isZero();
    String key = created.out().trim();
    assertThat(key).startsWith("hs_");
    try (HindsightServer s = server(dir)) {
      assertThat(post(s.port(), "/v1/endpoints/fraud/predictions", null, "{\"data\": {}}")).isEqualTo(401);
      assertThat(post(s.port(), "/v1/endpoints/fraud/predictions", key, "{\"data\": {}}")).isEqualTo(200);
      assertThat(run("keys", "list", "--data-dir", dir.toString()).out()).contains("svc").contains("write").contains("fraud");
      assertThat(run("keys", "revoke", "--data-dir", dir.toString(), "svc").exit()).isZero();
      // The server reads the key file on every request (auth.reload-interval 0): revoked is revoked at once.
      assertThat(post(s.port(), "/v1/endpoints/fraud/predictions", key, "{\"data\": {}}")).isEqualTo(401);
    }
  }

  @Test
  void aBadConfigFileIsAClearError() throws Exception {
    Path cfg = dir.resolve("hindsight.yaml");
    java.nio.file.Files.writeString(cfg, "ingest:\n  max-bodybytes: 10\n");
    CliRun r = run("serve", "--config", cfg.toString(), "--data-dir", dir.resolve("d").toString(), "--port", "0");
    assertThat(r.exit()).isEqualTo(2);
    assertThat(r.err()).contains("config file").contains("max-bodybytes");
  }

  @Test
  void ingestUploadsCsvAndNdjsonOnceEvenWhenRunTwice() throws Exception {
    Path csv = dir.resolve("scores.csv");
    StringBuilder sb = new StringBuilder("prediction_id,ts,amount,approved,segment\n");
    for (int i = 0; i < 2500; i++) {
      sb.append("b-").append(i).append(",2026-11-20T10:00:00Z,").append(i).append(".5,").append(i % 2 == 0).append(",retail\n");
    }
    java.nio.file.Files.writeString(csv, sb.toString());
    Path nd = dir.resolve("more.ndjson");
    java.nio.file.Files.writeString(nd, "{\"prediction_id\": \"n-1\", \"data\": {\"amount\": 1.0}}\n{\"data\": {\"_bad\": 1}}\n");
    try (HindsightServer s = server(dir.resolve("data"))) {
      String url = "http://127.0.0.1:" + s.port();
      CliRun first = run("ingest", "--server", url, "--endpoint", "offline", csv.toString());
      assertThat(first.exit()).isZero();
      assertThat(first.out()).contains("done: 2500 accepted, 0 rejected");
      assertThat(first.err()).contains("scores.csv: 1000 records sent").contains("2500 records sent");
      CliRun again = run("ingest", "--server", url, "--endpoint", "offline", csv.toString());
      assertThat(again.out()).contains("done: 2500 accepted");
      CliRun mixed = run("ingest", "--server", url, "--endpoint", "offline", nd.toString());
      assertThat(mixed.exit()).isEqualTo(1);
      assertThat(mixed.out()).contains("done: 1 accepted, 1 rejected");
      assertThat(mixed.err()).contains(nd + ":2: rejected: ").contains("'_bad'");
      s.flushLake();
      CliRun count =
          run("query", "--server", url, "--format", "csv",
              "SELECT count(*), count(DISTINCT prediction_id), sum(amount), count(*) FILTER (WHERE approved) FROM predictions");
      assertThat(count.out()).contains("2501,2501,3125001.0,1250");
    }
  }

  @Test
  void servePrintsTheEffectiveConfigurationWithFlagsOverTheFile() throws Exception {
    Path file = dir.resolve("hindsight.yaml");
    // The file's port is out of range; the flag replaces it before anything is checked.
    java.nio.file.Files.writeString(file, "port: 70000\nlake: {flush-interval: PT1S}\n");
    CliRun r = run("serve", "--config", file.toString(), "--port", "9090", "--print-config");
    assertThat(r.exit()).isZero();
    assertThat(r.out()).contains("port: 9090", "flush-interval: \"PT1S\"", "max-body-bytes: 67108864");
  }

  @Test
  void serveRefusesAnInvalidConfigurationNamingTheSetting() throws Exception {
    Path file = dir.resolve("hindsight.yaml");
    java.nio.file.Files.writeString(file, "wal: {queue-capacity: 0}\n");
    CliRun r = run("serve", "--config", file.toString(), "--data-dir", dir.resolve("data").toString());
    assertThat(r.exit()).isEqualTo(2);
    assertThat(r.err()).contains("error: invalid configuration: wal.queue-capacity is 0; it must be between 1 and");
  }

  @Test
  void serveRoleTakesKafkaSettingsFromTheFileAndRefusesAWriterWithoutKafka() throws Exception {
    Path file = dir.resolve("hindsight.yaml");
    java.nio.file.Files.writeString(file, "transport: {type: kafka, bootstrap-servers: \"kafka-0:9092\"}\n");
    CliRun ok = run("serve", "--config", file.toString(), "--role", "writer", "--print-config");
    assertThat(ok.exit()).isZero();
    assertThat(ok.out()).contains("role: \"writer\"", "bootstrap-servers: \"kafka-0:9092\"");

    CliRun refused = run("serve", "--role", "ingest", "--data-dir", dir.resolve("data").toString());
    assertThat(refused.exit()).isEqualTo(2);
    assertThat(refused.err()).contains("transport.type is wal with role ingest; it must be kafka");
  }
}
