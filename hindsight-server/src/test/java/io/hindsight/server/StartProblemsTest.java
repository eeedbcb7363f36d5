package io.hindsight.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What stops a start is named with the way out, in one sentence (the CLI prints it as the error),
 * and a refused start leaves nothing held behind.
 */
class StartProblemsTest {
  @TempDir Path dir;

  @Test
  void aPortInUseIsNamedAndTheRefusedStartLetsGoOfTheDataFolder() throws Exception {
    Path data = dir.resolve("data");
    try (ServerSocket taken = new ServerSocket()) {
      taken.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
      int port = taken.getLocalPort();
      assertThatThrownBy(() -> new TestServer(data, c -> c.port = port))
          .isInstanceOf(IOException.class)
          .hasMessage(
              "port " + port + " on 127.0.0.1 is in use by another process; stop that one, or give this server another port"
                  + " (--port, or port: in the config; 0 picks a free one)");
    }
    try (TestServer next = new TestServer(data)) {
      assertThat(next.get("/health").status()).isEqualTo(200);
    }
  }

  @Test
  void aDataFolderThatIsAFileIsNamed() throws Exception {
    Path file = Files.writeString(dir.resolve("data"), "not a folder");
    assertThatThrownBy(() -> new TestServer(file))
        .isInstanceOf(IOException.class)
        .hasMessage(
            "cannot use the data folder " + file + ": " + file + " is a file where a folder belongs; give --data-dir"
                + " (data-dir: in the config) a folder this user may write, created if missing");
    assertThat(Files.readString(file)).isEqualTo("not a folder");
  }

  @Test
  void aFileDamagedOutsideTheServerIsNamedWithTheWayBackAndTheStartWorksOnceItIsBack() throws Exception {
    Path data = dir.resolve("data");
    try (TestServer s = new TestServer(data)) {
      assertThat(s.predictions("e", "[{\"prediction_id\": \"p1\", \"data\": {\"x\": 1}}]").status()).isEqualTo(200);
      assertThat(s.putJson("/v1/endpoints/audited/audit", "{\"enabled\": true}").status()).isEqualTo(200);
    }
    Map<String, Path> files =
        Map.of(
            "schema file", data.resolve("catalog/predictions/e.json"),
            "audit settings file", data.resolve("audit/settings/audited.json"),
            "audit signing key", data.resolve("audit/key/ed25519.pk8"),
            "audit public key", data.resolve("audit/key/ed25519.pub"));
    for (Map.Entry<String, Path> f : files.entrySet()) {
      Path file = f.getValue().toAbsolutePath();
      byte[] whole = Files.readAllBytes(file);
      Files.writeString(file, "{broken");
      assertThatThrownBy(() -> new TestServer(data))
          .as(f.getKey())
          .isInstanceOf(IOException.class)
          .hasMessageStartingWith("the " + f.getKey() + " " + file + " cannot be read (")
          .hasMessageEndingWith(
              "it was changed outside the server; put back the copy from a backup of the data folder (hindsight restore,"
                  + " or the file alone from the backup)");
      Files.write(file, whole);
    }
    try (TestServer s = new TestServer(data)) {
      assertThat(s.scalar("SELECT count(*) FROM predictions").asLong()).isEqualTo(1);
    }
  }
}
