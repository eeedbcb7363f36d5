package io.hindsight.server.hostile;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assumptions.assumeThat;

import io.hindsight.server.HindsightServer;
import io.hindsight.server.ServerConfig;
import io.hindsight.server.TestServer;
import io.hindsight.server.auth.ApiKeys;
import io.hindsight.server.auth.Scope;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.NetworkInterface;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Collections;
import java.util.EnumSet;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Once keys exist, losing the key file never opens the server: every /v1 call is refused until
 * the file is back. Without keys, only clients on this machine are served, whenever that is.
 */
@Timeout(60)
class AuthFailsClosedTest {
  private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  @TempDir Path dir;

  private static HttpResponse<String> send(String base, String method, String path, String key) throws Exception {
    HttpRequest.Builder b =
        HttpRequest.newBuilder(URI.create(base + path))
            .timeout(Duration.ofSeconds(10))
            .header("Content-Type", "application/json")
            .method(
                method,
                method.equals("POST")
                    ? HttpRequest.BodyPublishers.ofString(path.equals("/v1/query") ? "{\"sql\": \"SELECT 1\"}" : "{\"data\": {}}")
                    : HttpRequest.BodyPublishers.noBody());
    if (key != null) {
      b.header("Authorization", "Bearer " + key);
    }
    return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  private static HttpResponse<String> send(TestServer s, String method, String path, String key) throws Exception {
    return send(s.url(""), method, path, key);
  }

  @Test
  void aKeyFileMovedAwayRefusesEveryCallUntilItIsRestored() throws Exception {
    String admin = new ApiKeys(dir, List.of()).create("admin", EnumSet.of(Scope.ADMIN), List.of()).key();
    Path file = dir.resolve("auth/keys.json");
    Path aside = dir.resolve("keys.json.moved");
    try (TestServer s = new TestServer(dir, c -> c.auth.reloadInterval = Duration.ZERO)) {
      assertThat(send(s, "POST", "/v1/query", null).statusCode()).isEqualTo(401);
      Files.move(file, aside);
      for (String key : new String[] {null, admin}) {
        for (String[] call : new String[][] {{"POST", "/v1/query"}, {"POST", "/v1/endpoints/e1/predictions"}, {"GET", "/metrics"}, {"GET", "/v1/nowhere"}}) {
          HttpResponse<String> r = send(s, call[0], call[1], key);
          assertThat(r.statusCode()).as(call[1] + " " + r.body()).isEqualTo(503);
          assertThat(r.body()).contains(file.toString()).contains("is missing").contains("until it is restored");
        }
      }
      assertThat(send(s, "GET", "/health", null).statusCode()).isEqualTo(200);

      Files.move(aside, file);
      assertThat(send(s, "POST", "/v1/query", admin).statusCode()).isEqualTo(200);
      assertThat(send(s, "POST", "/v1/query", null).statusCode()).isEqualTo(401);
      assertThat(send(s, "GET", "/metrics", admin).body()).contains("hindsight_guard_refusals_total{guard=\"keys_unavailable\"}");
    }
  }

  @Test
  void anUnreadableKeyFileRefusesEveryCallUntilItIsRepaired() throws Exception {
    String admin = new ApiKeys(dir, List.of()).create("admin", EnumSet.of(Scope.ADMIN), List.of()).key();
    Path file = dir.resolve("auth/keys.json");
    byte[] good = Files.readAllBytes(file);
    try (TestServer s = new TestServer(dir, c -> c.auth.reloadInterval = Duration.ZERO)) {
      Files.writeString(file, "{\"keys\": [");
      HttpResponse<String> r = send(s, "POST", "/v1/endpoints/e1/predictions", null);
      assertThat(r.statusCode()).isEqualTo(503);
      assertThat(r.body()).contains("cannot be read");
      assertThat(send(s, "POST", "/v1/query", admin).statusCode()).isEqualTo(503);
      Files.write(file, good);
      assertThat(send(s, "POST", "/v1/query", admin).statusCode()).isEqualTo(200);
    }
  }

  @Test
  void theKeyFileIsLookedAtAgainOnlyOnceTheReloadIntervalHasPassed() throws Exception {
    new ApiKeys(dir, List.of()).create("admin", EnumSet.of(Scope.ADMIN), List.of());
    SteppedClock clock = new SteppedClock();
    ApiKeys keys = new ApiKeys(dir, List.of(), clock, Duration.ofMillis(500));
    assertThat(keys.unavailable()).isNull();
    Files.move(dir.resolve("auth/keys.json"), dir.resolve("aside.json"));
    clock.step(Duration.ofMillis(499));
    assertThat(keys.unavailable()).isNull();
    clock.step(Duration.ofMillis(1));
    assertThat(keys.unavailable()).contains("is missing");
    assertThat(keys.enabled()).isTrue();
    Files.move(dir.resolve("aside.json"), dir.resolve("auth/keys.json"));
    clock.step(Duration.ofMillis(500));
    assertThat(keys.unavailable()).isNull();
  }

  @Test
  void aServerOnANetworkAddressWhoseKeysAllGoServesOnlyLoopbackClients() throws Exception {
    Optional<InetAddress> network = nonLoopbackAddress();
    assumeThat(network).as("a non-loopback address on this machine").isPresent();
    new ApiKeys(dir, List.of()).create("admin", EnumSet.of(Scope.ADMIN), List.of());
    ServerConfig c = new ServerConfig();
    c.dataDir = dir;
    c.host = "0.0.0.0";
    c.port = 0;
    c.auth.reloadInterval = Duration.ZERO;
    try (HindsightServer s = HindsightServer.start(c)) {
      String remote = "http://" + network.get().getHostAddress() + ":" + s.port();
      String local = "http://127.0.0.1:" + s.port();
      assertThat(send(remote, "POST", "/v1/query", null).statusCode()).isEqualTo(401);
      // Every key removed from a readable file: no key is in force any more.
      Files.writeString(dir.resolve("auth/keys.json"), "{\"keys\": []}");
      HttpResponse<String> fromNetwork = send(remote, "POST", "/v1/query", null);
      assertThat(fromNetwork.statusCode()).isEqualTo(403);
      assertThat(fromNetwork.body()).contains("no API keys").contains("only clients on this machine");
      assertThat(send(remote, "POST", "/v1/endpoints/e1/predictions", null).statusCode()).isEqualTo(403);
      assertThat(send(local, "POST", "/v1/query", null).statusCode()).isEqualTo(200);
    }
  }

  @Test
  void theDataFolderAndKeyFileAreOwnerOnly() throws Exception {
    assumeThat(dir.getFileSystem().supportedFileAttributeViews()).contains("posix");
    Path data = dir.resolve("new-data");
    try (TestServer s = new TestServer(data)) {
      assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(data))).isEqualTo("rwx------");
    }
    new ApiKeys(data, List.of()).create("k", EnumSet.of(Scope.READ), List.of());
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(data.resolve("auth")))).isEqualTo("rwx------");
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(data.resolve("auth/keys.json")))).isEqualTo("rw-------");
    // The command line may create the data folder before any server does.
    Path cliFirst = dir.resolve("cli-first");
    new ApiKeys(cliFirst, List.of()).create("k", EnumSet.of(Scope.READ), List.of());
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(cliFirst))).isEqualTo("rwx------");
  }

  private static Optional<InetAddress> nonLoopbackAddress() throws Exception {
    for (NetworkInterface n : Collections.list(NetworkInterface.getNetworkInterfaces())) {
      if (!n.isUp() || n.isLoopback()) {
        continue;
      }
      for (InetAddress a : Collections.list(n.getInetAddresses())) {
        if (a instanceof Inet4Address && !a.isLoopbackAddress()) {
          return Optional.of(a);
        }
      }
    }
    return Optional.empty();
  }

  /** A clock the test moves by hand. */
  private static final class SteppedClock extends Clock {
    private Instant now = Instant.parse("2026-11-30T00:00:00Z");

    void step(Duration d) {
      now = now.plus(d);
    }

    @Override
    public Instant instant() {
      return now;
    }

    @Override
    public java.time.ZoneId getZone() {
      return ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(java.time.ZoneId zone) {
      return this;
    }
  }
}
