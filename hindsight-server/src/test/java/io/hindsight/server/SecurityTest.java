package io.hindsight.server;

import static org.assertj.core.api.Assertions.assertThat;

import io.hindsight.server.auth.ApiKeys;
import io.hindsight.server.ops.ManualScheduler;
import io.hindsight.server.auth.Scope;
import java.io.ByteArrayOutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.time.Duration;
import java.util.Base64;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.zip.GZIPOutputStream;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** DESIGN §4 Auth, TLS, and the limits that keep hostile input from hurting the server. */
class SecurityTest {
  @TempDir Path dir;

  private static HttpRequest.Builder req(TestServer s, String path, String key) {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(s.url(path))).timeout(Duration.ofSeconds(30));
    if (key != null) {
      b.header("Authorization", "Bearer " + key);
    }
    return b;
  }

  private static int status(TestServer s, String method, String path, String key, String body) {
    HttpRequest.Builder b = req(s, path, key).header("Content-Type", "application/json");
    b = body == null ? b.method(method, HttpRequest.BodyPublishers.noBody()) : b.method(method, HttpRequest.BodyPublishers.ofString(body));
    return TestServer.send(b.build()).status();
  }

  @Nested
  class ApiKeysAndScopes {
    @Test
    void everyScopeCombination() throws Exception {
      ApiKeys keys = new ApiKeys(dir, List.of());
      String write = keys.create("writer", EnumSet.of(Scope.WRITE), List.of()).key();
      String writeOne = keys.create("writer-fraud", EnumSet.of(Scope.WRITE), List.of("fraud")).key();
      String read = keys.create("reader", EnumSet.of(Scope.READ), List.of()).key();
      String admin = keys.create("admin", EnumSet.of(Scope.ADMIN), List.of()).key();
      try (TestServer s = new TestServer(dir)) {
        String rec = "{\"data\": {\"x\": 1}}";
        String query = "{\"sql\": \"SELECT 1\"}";
        // no key, a wrong key
        assertThat(status(s, "POST", "/v1/endpoints/fraud/predictions", null, rec)).isEqualTo(401);
        assertThat(status(s, "POST", "/v1/endpoints/fraud/predictions", "hs_nope_nope", rec)).isEqualTo(401);
        assertThat(status(s, "POST", "/v1/endpoints/fraud/predictions", write + "x", rec)).isEqualTo(401);
        assertThat(status(s, "GET", "/v1/endpoints/nonexistent/schema", null, null)).isEqualTo(401);
        assertThat(status(s, "GET", "/v1/no/such/route", null, null)).isEqualTo(401);
        // write
        assertThat(status(s, "POST", "/v1/endpoints/fraud/predictions", write, rec)).isEqualTo(200);
        assertThat(status(s, "POST", "/v1/endpoints/other/feedback", write, "{\"prediction_id\": \"a\", \"data\": {}}")).isEqualTo(200);
        assertThat(status(s, "POST", "/v1/query", write, query)).isEqualTo(403);
        assertThat(status(s, "GET", "/v1/endpoints", write, null)).isEqualTo(403);
        // write for one endpoint
        assertThat(status(s, "POST", "/v1/endpoints/fraud/predictions", writeOne, rec)).isEqualTo(200);
        assertThat(status(s, "POST", "/v1/endpoints/other/predictions", writeOne, rec)).isEqualTo(403);
        // read
        assertThat(status(s, "POST", "/v1/query", read, query)).isEqualTo(200);
        assertThat(status(s, "GET", "/v1/endpoints", read, null)).isEqualTo(200);
        assertThat(status(s, "GET", "/metrics", read, null)).isEqualTo(200);
        assertThat(status(s, "POST", "/v1/endpoints/fraud/predictions", read, rec)).isEqualTo(403);
        assertThat(status(s, "POST", "/v1/keys", read, "{\"name\": \"x\", \"scopes\": [\"read\"]}")).isEqualTo(403);
        // 403 and 401 do not depend on whether the endpoint exists
        assertThat(status(s, "GET", "/v1/endpoints/fraud/schema", write, null)).isEqualTo(403);
        assertThat(status(s, "GET", "/v1/endpoints/ghost/schema", write, null)).isEqualTo(403);
        // admin
        assertThat(status(s, "POST", "/v1/query", admin, query)).isEqualTo(200);
        assertThat(status(s, "POST", "/v1/endpoints/any/predictions", admin, rec)).isEqualTo(200);
        assertThat(status(s, "GET", "/v1/keys", admin, null)).isEqualTo(200);
        // open and protected operations endpoints
        assertThat(status(s, "GET", "/health", null, null)).isEqualTo(200);
        assertThat(status(s, "GET", "/metrics", null, null)).isEqualTo(401);
      }
    }

    @Test
    void keysAreStoredOnlyAsSaltedHashes() throws Exception {
      ApiKeys keys = new ApiKeys(dir, List.of());
      String key = keys.create("k", EnumSet.of(Scope.READ), List.of()).key();
      String stored = Files.readString(dir.resolve("auth/keys.json"));
      String secret = key.substring(key.lastIndexOf('_') + 1);
      assertThat(stored).doesNotContain(secret).contains("\"salt\"").contains("\"hash\"");
    }

    @Test
    void aRevokedKeyStopsWorkingWithoutARestart() throws Exception {
      ApiKeys cli = new ApiKeys(dir, List.of());
      String key = cli.create("temp", EnumSet.of(Scope.READ), List.of()).key();
      ManualScheduler time = new ManualScheduler();
      try (TestServer s = new TestServer(dir, c -> c.auth.reloadInterval = Duration.ofSeconds(2), time)) {
        assertThat(status(s, "GET", "/v1/endpoints", key, null)).isEqualTo(200);
        assertThat(new ApiKeys(dir, List.of()).revoke("temp")).isEqualTo(1);
        assertThat(status(s, "GET", "/v1/endpoints", key, null))
            .as("the key file is read again once per reload interval")
            .isEqualTo(200);
        time.advance(Duration.ofSeconds(2));
        assertThat(status(s, "GET", "/v1/endpoints", key, null)).isEqualTo(401);
      }
    }

    @Test
    void theAdminApiCreatesAndRevokesKeys() throws Exception {
      String admin = new ApiKeys(dir, List.of()).create("root", EnumSet.of(Scope.ADMIN), List.of()).key();
      try (TestServer s = new TestServer(dir)) {
        TestServer.Response created =
            TestServer.send(
                req(s, "/v1/keys", admin)
                    .header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString("{\"name\": \"svc\", \"scopes\": [\"write\"], \"endpoints\": [\"fraud\"]}"))
                    .build());
        assertThat(created.status()).isEqualTo(201);
        String key = created.json().get("key").asText();
        assertThat(created.json().has("hash")).isFalse();
        assertThat(status(s, "POST", "/v1/endpoints/fraud/predictions", key, "{\"data\": {}}")).isEqualTo(200);
        assertThat(status(s, "DELETE", "/v1/keys/svc", admin, null)).isEqualTo(200);
        assertThat(status(s, "POST", "/v1/endpoints/fraud/predictions", key, "{\"data\": {}}")).isEqualTo(401);
        assertThat(TestServer.send(req(s, "/v1/keys", admin).GET().build()).body()).doesNotContain(key.substring(20));
      }
    }

    @Test
    void withoutKeysTheServerRefusesANonLoopbackAddressButWithKeysItListens() throws Exception {
      ServerConfig c = new ServerConfig();
      c.dataDir = dir;
      c.host = "0.0.0.0";
      c.port = 0;
      org.assertj.core.api.Assertions.assertThatThrownBy(() -> HindsightServer.start(c))
          .hasMessageContaining("refusing to listen on 0.0.0.0");
      new ApiKeys(dir, List.of()).create("k", EnumSet.of(Scope.READ), List.of());
      try (HindsightServer s = HindsightServer.start(c)) {
        assertThat(s.port()).isPositive();
      }
    }
  }

  @Test
  void servesHttpsWithAGeneratedCertificateFromPemFiles() throws Exception {
    Path ks = dir.resolve("server.p12");
    Process keytool =
        new ProcessBuilder(
                Path.of(System.getProperty("java.home"), "bin", "keytool").toString(),
                "-genkeypair", "-alias", "hindsight", "-keyalg", "RSA", "-keysize", "2048", "-validity", "2",
                "-dname", "CN=localhost", "-ext", "SAN=ip:127.0.0.1,dns:localhost",
                "-keystore", ks.toString(), "-storetype", "PKCS12", "-storepass", "changeit")
            .redirectErrorStream(true)
            .start();
    assertThat(keytool.waitFor(60, TimeUnit.SECONDS)).isTrue();
    assertThat(keytool.exitValue()).isZero();
    KeyStore store = KeyStore.getInstance("PKCS12");
    try (var in = Files.newInputStream(ks)) {
      store.load(in, "changeit".toCharArray());
    }
    Certificate cert = store.getCertificate("hindsight");
    Base64.Encoder b64 = Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII));
    Path certPem = dir.resolve("cert.pem");
    Path keyPem = dir.resolve("key.pem");
    Files.writeString(certPem, "-----BEGIN CERTIFICATE-----\n" + b64.encodeToString(cert.getEncoded()) + "\n-----END CERTIFICATE-----\n");
    Files.writeString(
        keyPem,
        "-----BEGIN PRIVATE KEY-----\n" + b64.encodeToString(store.getKey("hindsight", "changeit".toCharArray()).getEncoded())
            + "\n-----END PRIVATE KEY-----\n");
    TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    KeyStore trust = KeyStore.getInstance("PKCS12");
    trust.load(null, null);
    trust.setCertificateEntry("server", cert);
    tmf.init(trust);
    SSLContext ssl = SSLContext.getInstance("TLS");
    ssl.init(null, tmf.getTrustManagers(), null);
    HttpClient https = HttpClient.newBuilder().sslContext(ssl).connectTimeout(Duration.ofSeconds(5)).build();

    for (boolean pem : new boolean[] {true, false}) {
      try (TestServer s =
          new TestServer(
              dir.resolve(pem ? "pem-data" : "ks-data"),
              c -> {
                if (pem) {
                  c.tls.cert = certPem;
                  c.tls.key = keyPem;
                } else {
                  c.tls.keystore = ks;
                  c.tls.keystorePassword = "changeit";
                }
              })) {
        String base = "https://localhost:" + s.server().port();
        HttpResponse<String> r =
            https.send(
                HttpRequest.newBuilder(URI.create(base + "/v1/endpoints/e1/predictions"))
                    .header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString("{\"data\": {\"x\": 1}}"))
                    .build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.body()).contains("\"accepted\":1");
        // plain HTTP is not served on the TLS port
        assertThat(TestServerTls.plainHttpFails(s.server().port())).isTrue();
      }
    }
  }

  /** A plain-HTTP probe of a TLS port. */
  static final class TestServerTls {
    static boolean plainHttpFails(int port) {
      try {
        HttpResponse<String> r =
            HttpClient.newHttpClient()
                .send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/health")).timeout(Duration.ofSeconds(5)).build(),
                    HttpResponse.BodyHandlers.ofString());
        return r.statusCode() >= 400;
      } catch (Exception e) {
        return true;
      }
    }
  }

  @Nested
  class HostileInput {
    @Test
    void aZipBombIsRefusedNotInflated() throws Exception {
      try (TestServer s = new TestServer(dir)) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (GZIPOutputStream gz = new GZIPOutputStream(out)) {
          // Whitespace is valid JSON, so only the expansion ratio can stop this body.
          byte[] spaces = new byte[1 << 20];
          java.util.Arrays.fill(spaces, (byte) ' ');
          gz.write('[');
          for (int i = 0; i < 50; i++) {
            gz.write(spaces);
          }
        }
        TestServer.Response r =
            s.post("/v1/endpoints/e1/predictions", "application/json", out.toByteArray(), Map.of("Content-Encoding", "gzip"));
        assertThat(r.status()).isEqualTo(413);
        assertThat(r.json().get("error").asText()).contains("ingest.max-gzip-ratio");
        assertThat(s.get("/health").status()).isEqualTo(200);
      }
    }

    @Test
    void aHundredMegabyteBodyIsRefusedWith413() throws Exception {
      try (TestServer s = new TestServer(dir)) {
        byte[] body = new byte[100 << 20];
        java.util.Arrays.fill(body, (byte) ' ');
        body[0] = '[';
        TestServer.Response r = s.post("/v1/endpoints/e1/predictions", "application/json", body, Map.of());
        assertThat(r.status()).isEqualTo(413);
        assertThat(r.json().get("error").asText()).contains("ingest.max-body-bytes");
      }
    }

    @Test
    void aLakeWriterThatFallsBehindPushesBackInsteadOfFillingTheHeap() throws Exception {
      try (TestServer s =
          new TestServer(
              dir,
              c -> {
                c.lake.flushInterval = Duration.ofHours(1);
                c.ingest.maxLakeBacklogBytes = 1;
              })) {
        assertThat(s.predictions("e1", "{\"data\": {\"x\": 1}}").status()).isEqualTo(200);
        TestServer.Response r = s.predictions("e1", "{\"data\": {\"x\": 2}}");
        assertThat(r.status()).isEqualTo(503);
        assertThat(r.headers().firstValue("Retry-After")).contains("1");
        assertThat(r.json().get("error").asText()).contains("ingest.max-lake-backlog-bytes").contains("nothing was stored");
        s.flush();
        assertThat(s.predictions("e1", "{\"data\": {\"x\": 3}}").status()).isEqualTo(200);
        s.flush();
        assertThat(s.scalar("SELECT sum(x) FROM predictions").asLong()).isEqualTo(4);
      }
    }

    /** Posts a small record until the answer has {@code status}, for at most 5 s; the last answer. */
    private TestServer.Response awaitStatus(TestServer s, int status) throws InterruptedException {
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
      TestServer.Response r = s.predictions("e1", "{\"data\": {}}");
      while (r.status() != status && System.nanoTime() < deadline) {
        Thread.sleep(20);
        r = s.predictions("e1", "{\"data\": {}}");
      }
      return r;
    }

    @Test
    void tooManyConcurrentIngestRequestsAre503WithRetryAfter() throws Exception {
      try (TestServer s =
          new TestServer(
              dir,
              c -> {
                c.ingest.maxConcurrentRequests = 1;
                c.ingest.readAheadBytes = 1;
                c.http.minBodyBytesPerSecond = 0; // the upload below may stall as long as the test needs
              })) {
        // An upload past the read-ahead holds the only slot while a second request arrives.
        java.net.Socket slow = new java.net.Socket("127.0.0.1", s.server().port());
        var w = slow.getOutputStream();
        w.write(("POST /v1/endpoints/e1/predictions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                + "Content-Length: 1000\r\n\r\n[").getBytes(StandardCharsets.US_ASCII));
        w.flush();
        // Wait until the upload holds the slot (its body is being read), without taking the slot first.
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (!s.get("/metrics").body().matches("(?s).*\nhindsight_ingest_in_flight_bytes [1-9].*")
            && System.nanoTime() < deadline) {
          Thread.sleep(20);
        }
        TestServer.Response r = s.predictions("e1", "{\"data\": {}}");
        assertThat(r.status()).isEqualTo(503);
        assertThat(r.headers().firstValue("Retry-After")).contains("1");
        slow.close();
        assertThat(awaitStatus(s, 200).status()).isEqualTo(200);
      }
    }
  }

  @Test
  void aFullDiskIsAnswered503AndServiceResumesWhenSpaceReturns() throws Exception {
    try (SmallDisk disk = new SmallDisk(dir.resolve("small-disk"), "8m")) {
      Path mount = disk.root;
      // The disk itself full, with no room kept (wal.min-free-bytes: 0); the kept room: DiskReserveTest.
      try (TestServer s =
          new TestServer(
              mount.resolve("data"),
              c -> {
                c.wal.segmentBytes = 1 << 20;
                c.wal.minFreeBytes = 0;
              })) {
        String payload = "{\"data\": {\"s\": \"" + "q".repeat(200_000) + "\"}}";
        Path filler = mount.resolve("filler");
        int ok = 0;
        TestServer.Response r = null;
        // Fill the disk until ingest refuses.
        for (int i = 0; i < 200; i++) {
          r = s.predictions("e1", payload);
          if (r.status() != 200) {
            break;
          }
          ok++;
          if (i == 5) {
            Files.write(filler, new byte[4 << 20]);
          }
        }
        assertThat(r.status()).as(r.body()).isEqualTo(503);
        assertThat(r.headers().firstValue("Retry-After")).isPresent();
        assertThat(r.json().get("error").asText()).contains("storage cannot take writes").contains("nothing from this request was stored");
        assertThat(s.get("/health").status()).isEqualTo(200);
        Files.delete(filler);
        TestServer.Response after = null;
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (System.nanoTime() < deadline) {
          after = s.predictions("e1", "{\"prediction_id\": \"after-space\", \"data\": {\"s\": \"small\"}}");
          if (after.status() == 200) {
            break;
          }
          Thread.sleep(200);
        }
        assertThat(after.status()).as(after.body()).isEqualTo(200);
        long deadline2 = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        long stored = 0;
        while (System.nanoTime() < deadline2) {
          stored = s.scalar("SELECT count(*) FROM predictions").asLong();
          if (stored == ok + 1) {
            break;
          }
          Thread.sleep(200);
        }
        assertThat(stored).as("every acknowledged record is in the lake, nothing else").isEqualTo(ok + 1);
      }
      // Writes that failed for room took their half-written files with them.
      try (java.util.stream.Stream<Path> files = Files.walk(mount.resolve("data"))) {
        assertThat(files.filter(f -> f.getFileName().toString().endsWith(".tmp")).toList()).isEmpty();
      }
    }
  }

  @Test
  void theKeptRoomRefusesRecordsBeforeTheDiskIsFullAndTakesThemOnceThereIsRoom() throws Exception {
    try (SmallDisk disk = new SmallDisk(dir.resolve("kept-room-disk"), "24m")) {
      Path mount = disk.root;
      try (TestServer s = new TestServer(mount.resolve("data"), c -> c.wal.minFreeBytes = 12L << 20)) {
        assertThat(s.predictions("e1", "{\"prediction_id\": \"before\", \"data\": {\"x\": 1}}").status()).isEqualTo(200);
        // Another program takes the disk down to less than the kept room, yet far from full.
        Path filler = mount.resolve("filler");
        Files.write(filler, new byte[16 << 20]);
        TestServer.Response refused = s.predictions("e1", "{\"prediction_id\": \"refused\", \"data\": {\"x\": 2}}");
        assertThat(refused.status()).isEqualTo(503);
        assertThat(refused.json().get("error").asText()).contains("MB free and 12 MB of it are kept for writing the lake (wal.min-free-bytes)");
        assertThat(s.get("/health").json().path("status").asText()).isEqualTo("degraded");
        assertThat(Files.getFileStore(mount).getUsableSpace()).as("the disk was never full").isGreaterThan(4L << 20);

        Files.delete(filler);
        assertThat(s.predictions("e1", "{\"prediction_id\": \"after\", \"data\": {\"x\": 3}}").status()).isEqualTo(200);
        assertThat(s.get("/health").json().path("status").asText()).isEqualTo("ok");
        s.flush();
        assertThat(s.query("SELECT prediction_id FROM predictions ORDER BY prediction_id").path("rows").toString())
            .isEqualTo("[[\"after\"],[\"before\"]]");
      }
    }
  }
}
