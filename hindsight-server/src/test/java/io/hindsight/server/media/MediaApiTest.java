package io.hindsight.server.media;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.hindsight.server.TestServer;
import io.hindsight.server.auth.ApiKeys;
import io.hindsight.server.auth.Scope;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code GET /v1/media} against a real server and real files: it serves what lies under a
 * configured root and refuses everything else — network addresses, other files of the machine,
 * {@code ..} paths, symbolic links out of a root — with the reason and the setting to change.
 */
class MediaApiTest {
  private static final long MAX_BYTES = 8192;
  private static final HttpClient HTTP = HttpClient.newHttpClient();

  @TempDir Path dir;
  Path root;
  Path secret;
  TestServer s;

  @BeforeEach
  void start() throws Exception {
    root = dir.resolve("media");
    SampleMedia.png(root.resolve("scans/cat.png"));
    SampleMedia.wav(root.resolve("calls/7.wav"));
    SampleMedia.text(root.resolve("notes/a.txt"), "hello media");
    SampleMedia.text(root.resolve("notes/page.html"), "<script>alert(1)</script>");
    SampleMedia.text(root.resolve("notes/big.txt"), "x".repeat((int) MAX_BYTES + 1));
    secret = SampleMedia.text(dir.resolve("secret/passwd.txt"), "root:x:0:0");
    Files.createSymbolicLink(root.resolve("notes/escape.txt"), secret);
    Files.createSymbolicLink(root.resolve("elsewhere"), dir.resolve("secret"));
    s = new TestServer(dir.resolve("data"), c -> {
      c.media.roots = List.of(root.toString());
      c.media.maxBytes = MAX_BYTES;
    });
  }

  @AfterEach
  void stop() {
    s.close();
  }

  @Test
  void servesAFileUnderARootAsTheTypeItsExtensionSaysMarkedNeverToRun() throws IOException {
    Path png = root.resolve("scans/cat.png");
    for (String uri : List.of(png.toString(), png.toUri().toString())) {
      HttpResponse<byte[]> r = get(uri, null);

      assertThat(r.statusCode()).as(uri).isEqualTo(200);
      assertThat(r.body()).isEqualTo(Files.readAllBytes(png));
      assertThat(r.headers().firstValue("Content-Type")).hasValue("image/png");
      assertThat(r.headers().firstValue("X-Content-Type-Options")).hasValue("nosniff");
      assertThat(r.headers().firstValue("Content-Security-Policy").orElseThrow()).startsWith("sandbox");
      assertThat(r.headers().firstValue("Content-Disposition")).hasValue("inline; filename=\"cat.png\"");
    }
  }

  @Test
  void servesOneByteRangeForSeekingInAudio() throws IOException {
    Path wav = root.resolve("calls/7.wav");
    HttpResponse<byte[]> r = get(wav.toString(), "bytes=40-99");

    assertThat(r.statusCode()).isEqualTo(206);
    assertThat(r.headers().firstValue("Content-Range")).hasValue("bytes 40-99/" + Files.size(wav));
    assertThat(r.body()).isEqualTo(Arrays.copyOfRange(Files.readAllBytes(wav), 40, 100));
    assertThat(r.headers().firstValue("Content-Type")).hasValue("audio/wav");
  }

  @Test
  void refusesTheCloudMetadataAddressAndEveryNetworkUrl() {
    for (String uri : List.of("http://169.254.169.254/latest/meta-data/", "https://example.com/a.png", "ftp://host/a.txt",
        "jar:file:" + root.resolve("scans/cat.png") + "!/x", "//169.254.169.254/a.png")) {
      assertRefused(uri, 400, "media.roots");
    }
    assertThat(error("http://169.254.169.254/latest/meta-data/")).contains("scheme is 'http'").contains("never fetched from a network address");
  }

  @Test
  void refusesFilesOfTheMachineOutsideEveryRoot() {
    assertRefused("file:///etc/passwd", 403, "not under a media root");
    assertRefused("/etc/passwd", 403, "media.roots");
    assertRefused(secret.toString(), 403, "not under a media root");
  }

  @Test
  void refusesDotDotPathsHoweverTheyAreWritten() {
    String up = root + "/../secret/passwd.txt";
    assertRefused(up, 400, "'..' segment");
    assertRefused("file://" + up, 400, "'..' segment");
    assertRefused("file://" + root + "/%2e%2e/secret/passwd.txt", 400, "'..' segment");
    assertRefused("file://" + root + "/notes%2F..%2F..%2Fsecret/passwd.txt", 400, "'..' segment");
    assertRefused(root + "/notes/./a.txt", 400, "'.' segment");
    assertRefused("scans/cat.png", 400, "relative path");
  }

  @Test
  void refusesSymbolicLinksThatLeadOutOfTheRoot() {
    assertRefused(root.resolve("notes/escape.txt").toString(), 403, "symbolic link");
    assertRefused(root.resolve("elsewhere/passwd.txt").toUri().toString(), 403, "outside media root");
  }

  @Test
  void refusesFilesOverTheSizeLimitAndTypesNotServed() {
    assertRefused(root.resolve("notes/big.txt").toString(), 413, "media.max-bytes");
    assertRefused(root.resolve("notes/page.html").toString(), 415, "not served");
    assertRefused(root.resolve("notes/missing.txt").toString(), 404, "no file");
  }

  @Test
  void refusesAFileWhoseExtensionContradictsTheReferencesType() throws IOException {
    HttpResponse<byte[]> r = send("/v1/media?uri=" + enc(root.resolve("calls/7.wav").toString()) + "&content_type=image/png", null);

    assertThat(r.statusCode()).isEqualTo(415);
    assertThat(new String(r.body(), StandardCharsets.UTF_8)).contains("audio/wav by its extension").contains("image/png");
  }

  @Test
  void withoutRootsNothingIsServedAndTheAnswerSaysHowToConfigureThem() throws IOException {
    s.close();
    s = new TestServer(dir.resolve("data"));

    assertRefused(root.resolve("scans/cat.png").toString(), 403, "no media roots are configured");
    assertThat(error("/x.png")).contains("media.roots");
  }

  @Test
  void aRootThatIsNotAFolderStopsTheStartWithItsName() {
    assertThatThrownBy(() -> new TestServer(dir.resolve("data2"), c -> c.media.roots = List.of(dir.resolve("nope").toString())))
        .hasMessageContaining("media root")
        .hasMessageContaining("nope");
    assertThatThrownBy(() -> new TestServer(dir.resolve("data3"), c -> c.media.roots = List.of("http://example.com/")))
        .hasMessageContaining("media.roots");
  }

  @Test
  void withKeysInForceMediaNeedsTheReadScope() throws Exception {
    s.close();
    Path data = dir.resolve("keyed");
    ApiKeys keys = new ApiKeys(data, List.of());
    String reader = keys.create("reader", EnumSet.of(Scope.READ), List.of()).key();
    String writer = keys.create("writer", EnumSet.of(Scope.WRITE), List.of()).key();
    s = new TestServer(data, c -> c.media.roots = List.of(root.toString()));
    String path = "/v1/media?uri=" + enc(root.resolve("scans/cat.png").toString());

    assertThat(keyed(path, null).statusCode()).isEqualTo(401);
    assertThat(keyed(path, writer).statusCode()).isEqualTo(403);
    assertThat(keyed(path, reader).statusCode()).isEqualTo(200);
  }

  private HttpResponse<byte[]> keyed(String path, String key) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(s.url(path))).GET();
    if (key != null) {
      b.header("Authorization", "Bearer " + key);
    }
    return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofByteArray());
  }

  private void assertRefused(String uri, int status, String reason) {
    HttpResponse<byte[]> r;
    try {
      r = get(uri, null);
    } catch (IOException e) {
      throw new AssertionError(e);
    }
    assertThat(r.statusCode()).as(uri).isEqualTo(status);
    assertThat(r.headers().firstValue("Content-Type").orElse("")).as(uri).startsWith("application/json");
    assertThat(new String(r.body(), StandardCharsets.UTF_8)).as(uri).contains(reason);
  }

  private String error(String uri) {
    try {
      return new String(get(uri, null).body(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new AssertionError(e);
    }
  }

  private HttpResponse<byte[]> get(String uri, String range) throws IOException {
    return send("/v1/media?uri=" + enc(uri), range);
  }

  private HttpResponse<byte[]> send(String path, String range) throws IOException {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(s.url(path))).GET();
    if (range != null) {
      b.header("Range", range);
    }
    try {
      return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofByteArray());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException(e);
    }
  }

  private static String enc(String s) {
    return URLEncoder.encode(s, StandardCharsets.UTF_8);
  }
}
