package io.hindsight.server.hostile;

import static org.assertj.core.api.Assertions.assertThat;

import io.hindsight.server.TestServer;
import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** Bodies the docs refuse are refused, each with a 400 that names the problem, and nothing is stored. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class BodyFormatTest {
  private static final String RECORD = "{\"prediction_id\": \"p-1\", \"data\": {\"x\": 1}}";

  @TempDir Path dir;
  private TestServer server;

  @BeforeEach
  void start() throws Exception {
    server = new TestServer(dir);
  }

  @AfterEach
  void stop() {
    server.close();
  }

  private TestServer.Response post(byte[] body, Map<String, String> headers) {
    return server.post("/v1/endpoints/e/predictions", "application/json", body, headers);
  }

  private void assertNothingStored() {
    server.flush();
    assertThat(server.get("/v1/endpoints").body()).doesNotContain("\"e\"");
  }

  @Test
  void aUtf32BodyIsRefused() {
    TestServer.Response r = post(RECORD.getBytes(Charset.forName("UTF-32BE")), Map.of());

    assertThat(r.status()).isEqualTo(400);
    assertThat(r.json().get("error").asText()).contains("UTF-8");
    assertNothingStored();
  }

  @Test
  void aUtf32NdjsonBodyIsRefused() {
    byte[] body = (RECORD + "\n" + RECORD.replace("p-1", "p-2") + "\n").getBytes(Charset.forName("UTF-32LE"));

    TestServer.Response r = server.post("/v1/endpoints/e/predictions", "application/x-ndjson", body, Map.of());

    assertThat(r.status()).isEqualTo(400);
    assertThat(r.json().get("error").asText()).contains("UTF-8");
  }

  @Test
  void aUtf16BodyIsRefused() {
    TestServer.Response r = post(RECORD.getBytes(StandardCharsets.UTF_16LE), Map.of());

    assertThat(r.status()).isEqualTo(400);
    assertThat(r.json().get("error").asText()).contains("UTF-8");
  }

  @Test
  void gzipFollowedByJunkIsRefused() {
    byte[] gz = TestServer.gzip(RECORD.getBytes(StandardCharsets.UTF_8));
    byte[] body = Arrays.copyOf(gz, gz.length + 5);
    System.arraycopy("junk!".getBytes(StandardCharsets.US_ASCII), 0, body, gz.length, 5);

    TestServer.Response r = post(body, Map.of("Content-Encoding", "gzip"));

    assertThat(r.status()).isEqualTo(400);
    assertThat(r.json().get("error").asText()).contains("gzip").contains("after");
    assertNothingStored();
  }

  @Test
  void twoGzipMembersAreOneBody() {
    byte[] a = TestServer.gzip("[".concat(RECORD).concat(",").getBytes(StandardCharsets.UTF_8));
    byte[] b = TestServer.gzip(RECORD.replace("p-1", "p-2").concat("]").getBytes(StandardCharsets.UTF_8));
    byte[] body = Arrays.copyOf(a, a.length + b.length);
    System.arraycopy(b, 0, body, a.length, b.length);

    TestServer.Response r = post(body, Map.of("Content-Encoding", "gzip"));

    assertThat(r.status()).isEqualTo(200);
    assertThat(r.json().get("accepted").asInt()).isEqualTo(2);
  }

  @Test
  void aTruncatedGzipBodyIsRefusedWithAMessage() {
    byte[] gz = TestServer.gzip(RECORD.repeat(1).getBytes(StandardCharsets.UTF_8));

    TestServer.Response r = post(Arrays.copyOf(gz, gz.length - 6), Map.of("Content-Encoding", "gzip"));

    assertThat(r.status()).isEqualTo(400);
    String error = r.json().get("error").asText();
    assertThat(error).contains("gzip").contains("ends early").doesNotContain("null");
    assertNothingStored();
  }

  @Test
  void aGzipBodyCutInItsCompressedDataIsRefusedWithAMessage() {
    byte[] gz = TestServer.gzip(RECORD.repeat(50).getBytes(StandardCharsets.UTF_8));

    TestServer.Response r = post(Arrays.copyOf(gz, gz.length / 2), Map.of("Content-Encoding", "gzip"));

    assertThat(r.status()).isEqualTo(400);
    assertThat(r.json().get("error").asText()).contains("gzip").contains("ends early").doesNotContain("null");
  }
}
