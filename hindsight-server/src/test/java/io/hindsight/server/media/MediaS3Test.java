package io.hindsight.server.media;

import static org.assertj.core.api.Assertions.assertThat;

import io.hindsight.server.TestServer;
import io.hindsight.server.objects.LocalS3;
import io.hindsight.server.objects.ObjectStore;
import io.hindsight.server.objects.S3Location;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code GET /v1/media} from an S3 root ({@code s3://bucket/prefix}) against an S3-compatible
 * store in the test's process ({@link LocalS3}): objects under the prefix are served, whole or
 * by range; objects beside it, {@code ..} keys and missing objects are not.
 */
class MediaS3Test {
  private static final HttpClient HTTP = HttpClient.newHttpClient();

  @TempDir static Path dir;
  static LocalS3 store;
  static TestServer server;
  static byte[] png;

  @BeforeAll
  static void start() throws Exception {
    store = new LocalS3("scans");
    Path file = SampleMedia.png(dir.resolve("42.png"));
    png = Files.readAllBytes(file);
    try (ObjectStore objects = ObjectStore.open(store.settings())) {
      objects.upload(file, S3Location.parse("s3://scans/cases/2026/42.png"));
      objects.upload(SampleMedia.text(dir.resolve("1.txt"), "old"), S3Location.parse("s3://scans/cases-old/1.txt"));
      objects.upload(SampleMedia.text(dir.resolve("key.txt"), "secret"), S3Location.parse("s3://scans/private/key.txt"));
    }
    server = new TestServer(dir.resolve("data"), c -> {
      c.media.roots = List.of("s3://scans/cases");
      c.media.s3.endpoint = store.endpoint().toString();
      c.media.s3.pathStyle = true;
      c.media.s3.accessKey = LocalS3.ACCESS_KEY;
      c.media.s3.secretKey = LocalS3.SECRET_KEY;
    });
  }

  @AfterAll
  static void stop() throws Exception {
    if (server != null) {
      server.close();
    }
    if (store != null) {
      store.close();
    }
  }

  @Test
  void servesAnObjectUnderThePrefixWholeAndByRange() throws Exception {
    HttpResponse<byte[]> whole = get("s3://scans/cases/2026/42.png", null);
    assertThat(whole.statusCode()).isEqualTo(200);
    assertThat(whole.body()).isEqualTo(png);
    assertThat(whole.headers().firstValue("Content-Type")).hasValue("image/png");
    assertThat(whole.headers().firstValue("X-Content-Type-Options")).hasValue("nosniff");

    HttpResponse<byte[]> part = get("s3://scans/cases/2026/42.png", "bytes=8-15");
    assertThat(part.statusCode()).isEqualTo(206);
    assertThat(part.body()).isEqualTo(Arrays.copyOfRange(png, 8, 16));
    assertThat(part.headers().firstValue("Content-Range")).hasValue("bytes 8-15/" + png.length);
  }

  @Test
  void refusesObjectsBesideThePrefixDotDotKeysAndOtherBuckets() throws Exception {
    assertRefused("s3://scans/private/key.txt", 403, "not under a media root");
    assertRefused("s3://scans/cases-old/1.txt", 403, "not under a media root");
    assertRefused("s3://other/cases/2026/42.png", 403, "not under a media root");
    assertRefused("s3://scans/cases/../private/key.txt", 400, "'..' segment");
    assertRefused("s3://scans/cases/%2e%2e/private/key.txt", 400, "'..' segment");
    assertRefused("s3://scans/cases/2026/missing.png", 404, "no object");
  }

  private void assertRefused(String uri, int status, String reason) throws Exception {
    HttpResponse<byte[]> r = get(uri, null);
    assertThat(r.statusCode()).as(uri).isEqualTo(status);
    assertThat(new String(r.body(), StandardCharsets.UTF_8)).as(uri).contains(reason);
  }

  private static HttpResponse<byte[]> get(String uri, String range) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(server.url("/v1/media?uri=" + URLEncoder.encode(uri, StandardCharsets.UTF_8))));
    if (range != null) {
      b.header("Range", range);
    }
    return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofByteArray());
  }
}
