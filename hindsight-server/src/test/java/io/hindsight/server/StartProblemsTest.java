package io.hindsight.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
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
}
