package io.hindsight.server.hostile;

import static org.assertj.core.api.Assertions.assertThat;

import io.hindsight.server.TestServer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** {@code POST /v1/query} reads at most {@code query.max-body-bytes}, declared or not. */
@Timeout(60)
class QueryBodyLimitTest {
  @TempDir Path dir;

  private static String queryOfSize(int bytes) {
    String head = "{\"sql\": \"SELECT 1 /* ";
    String tail = " */\"}";
    return head + "x".repeat(bytes - head.length() - tail.length()) + tail;
  }

  @Test
  void aQueryBodyOverTheLimitIs413AndOneWithinItRuns() throws Exception {
    try (TestServer s = new TestServer(dir, c -> c.query.maxBodyBytes = 4096)) {
      TestServer.Response tooLarge = s.postJson("/v1/query", queryOfSize(4097));
      assertThat(tooLarge.status()).isEqualTo(413);
      assertThat(tooLarge.json().get("error").asText()).contains("4096 bytes").contains("query.max-body-bytes");
      assertThat(s.postJson("/v1/query", queryOfSize(4096)).status()).isEqualTo(200);
    }
  }

  @Test
  void aChunkedQueryBodyWithoutALengthIsCutAtTheLimit() throws Exception {
    try (TestServer s = new TestServer(dir, c -> c.query.maxBodyBytes = 4096);
        RawConnection c = new RawConnection(s.server().port(), 10_000)) {
      String body = queryOfSize(64 * 1024);
      c.send("POST /v1/query HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
          + Integer.toHexString(body.length()) + "\r\n" + body + "\r\n0\r\n\r\n");
      String answer = c.readAll();
      assertThat(RawConnection.status(answer)).as(answer).isEqualTo(413);
      assertThat(answer).contains("query.max-body-bytes");
    }
  }

  @Test
  void theDefaultLimitIsOneMebibyte() throws Exception {
    try (TestServer s = new TestServer(dir)) {
      byte[] body = queryOfSize((1 << 20) + 1).getBytes(StandardCharsets.UTF_8);
      assertThat(s.post("/v1/query", "application/json", body, Map.of()).status()).isEqualTo(413);
    }
  }
}
