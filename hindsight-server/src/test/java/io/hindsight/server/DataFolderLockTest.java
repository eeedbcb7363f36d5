package io.hindsight.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.hindsight.server.files.DataFolderLock;
import java.net.URI;
import java.net.http.HttpRequest;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * One server a data folder: a second one on the same folder would replay and truncate the same
 * write-ahead log and remove the first one's files in flight, so it stops at start, names the
 * first, and touches nothing; the folder is free again once the first stops, however it stops.
 */
class DataFolderLockTest {
  @TempDir Path dir;

  @Test
  void aSecondServerOnTheFolderOfARunningOneStopsNamingItAndTouchesNothing() throws Exception {
    Path data = dir.resolve("data");
    try (ChildServer first = new ChildServer(dir)) {
      assertThat(post(first, "[{\"prediction_id\": \"p1\", \"data\": {\"x\": 1}}]")).isEqualTo(200);
      // The start of a server empties tmp/; a refused start must not get that far.
      Path marker = Files.writeString(data.resolve("tmp").resolve("of-the-running-server"), "x");

      assertThatThrownBy(() -> new TestServer(data))
          .isInstanceOf(DataFolderLock.InUse.class)
          .hasMessageContaining("the data folder " + data.toAbsolutePath() + " is in use by another Hindsight server")
          .hasMessageContaining("process " + first.pid())
          .hasMessageContaining("listening on http://127.0.0.1:" + first.port)
          .hasMessageContaining("--data-dir");

      assertThat(marker).as("a file of the running server after the refused start").exists();
      assertThat(post(first, "[{\"prediction_id\": \"p2\", \"data\": {\"x\": 2}}]")).isEqualTo(200);
    }
    // Killed (kill -9): the operating system let go of the lock with the process.
    try (TestServer after = new TestServer(data)) {
      after.flush();
      assertThat(after.scalar("SELECT count(*) FROM predictions WHERE endpoint = 'e'").asLong()).isEqualTo(2);
    }
  }

  @Test
  void theFolderIsFreeOnceItsServerIsClosed() throws Exception {
    Path data = dir.resolve("data");
    try (TestServer first = new TestServer(data)) {
      assertThatThrownBy(() -> new TestServer(data)).isInstanceOf(DataFolderLock.InUse.class);
      assertThat(first.get("/health").status()).isEqualTo(200);
    }
    try (TestServer second = new TestServer(data)) {
      assertThat(second.get("/health").status()).isEqualTo(200);
    }
  }

  private static int post(ChildServer server, String body) {
    return TestServer.send(
            HttpRequest.newBuilder(URI.create(server.url("/v1/endpoints/e/predictions")))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body))
                .build())
        .status();
  }
}
