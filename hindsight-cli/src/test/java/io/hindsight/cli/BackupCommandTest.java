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

/** {@code hindsight backup} against a running server, then {@code hindsight restore} and a server on the copy. */
class BackupCommandTest {
  @TempDir Path dir;

  @Test
  void backsUpARunningServerAndRestoresIntoANewDataFolder() throws Exception {
    Path data = dir.resolve("data");
    Path backup = dir.resolve("backup");
    Path restored = dir.resolve("restored");
    try (HindsightServer s = HindsightServer.start(config(data))) {
      String base = "http://127.0.0.1:" + s.port();
      HttpResponse<String> r =
          HttpClient.newHttpClient().send(
              HttpRequest.newBuilder(URI.create(base + "/v1/endpoints/churn/predictions"))
                  .header("Content-Type", "application/json")
                  .POST(HttpRequest.BodyPublishers.ofString("[{\"prediction_id\": \"a\", \"data\": {\"x\": 1}}, {\"prediction_id\": \"b\", \"data\": {\"x\": 2}}]"))
                  .build(),
              HttpResponse.BodyHandlers.ofString());
      assertThat(r.statusCode()).isEqualTo(200);

      CliRun b = run("backup", "--to", backup.toString(), "--server", base);
      assertThat(b.exit()).as(b.out() + b.err()).isZero();
      assertThat(b.out()).startsWith("backed up ");

      CliRun again = run("backup", "--to", backup.toString(), "--server", base);
      assertThat(again.exit()).isEqualTo(1);
      assertThat(again.err()).contains("not empty");
    }
    CliRun restore = run("restore", "--from", backup.toString(), "--data-dir", restored.toString());
    assertThat(restore.exit()).as(restore.err()).isZero();
    try (HindsightServer s = HindsightServer.start(config(restored))) {
      s.flushLake();
      CliRun q = run("query", "SELECT count(*) AS n FROM predictions", "--format", "csv", "--server", "http://127.0.0.1:" + s.port());
      assertThat(q.out().lines()).containsExactly("n", "2");
    }
  }

  private static ServerConfig config(Path data) {
    ServerConfig c = new ServerConfig();
    c.dataDir = data;
    c.port = 0;
    c.lake.flushInterval = Duration.ofHours(1); // the records stay in the write-ahead log: the copy must hold it
    return c;
  }
}
