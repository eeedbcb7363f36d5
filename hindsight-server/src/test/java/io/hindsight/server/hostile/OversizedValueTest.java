package io.hindsight.server.hostile;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.hindsight.server.TestServer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A record with a value over the record limit is rejected on its own; the good records beside it
 * are stored, as long as the body is within the body limit.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class OversizedValueTest {
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

  private static String good(String id) {
    return "{\"prediction_id\": \"" + id + "\", \"data\": {\"x\": 1}}";
  }

  private static String withString(String id, int chars) {
    return "{\"prediction_id\": \"" + id + "\", \"data\": {\"blob\": \"" + "a".repeat(chars) + "\"}}";
  }

  private void assertOnlyTheOversizedRecordIsRejected(JsonNode answer, int index) {
    assertThat(answer.get("accepted").asInt()).isEqualTo(3);
    assertThat(answer.get("rejected")).hasSize(1);
    assertThat(answer.get("rejected").get(0).get("index").asInt()).isEqualTo(index);
    assertThat(answer.get("rejected").get(0).get("error").asText())
        .contains("1048576 bytes")
        .contains("ingest.max-record-bytes");
  }

  @Test
  void aTwoMiBStringRejectsOnlyItsRecord() {
    String body = "[" + good("g-1") + ", " + withString("big", 2 << 20) + ", " + good("g-2") + ", " + good("g-3") + "]";

    TestServer.Response r = server.predictions("e", body);

    assertThat(r.status()).isEqualTo(200);
    assertOnlyTheOversizedRecordIsRejected(r.json(), 1);
    server.flush();
    assertThat(server.scalar("SELECT count(*) FROM predictions WHERE endpoint = 'e'").asLong()).isEqualTo(3);
  }

  @Test
  void aThirtyMiBStringInValidJsonRejectsOnlyItsRecord() {
    // Was: 400 "String value length (20051112) exceeds the maximum allowed" and the batch lost.
    String body = "[" + good("g-1") + ", " + good("g-2") + ", " + withString("big", 30 << 20) + ", " + good("g-3") + "]";

    TestServer.Response r = server.predictions("e", body);

    assertThat(r.status()).isEqualTo(200);
    assertOnlyTheOversizedRecordIsRejected(r.json(), 2);
  }

  @Test
  void aThirtyMiBLineOfNdjsonRejectsOnlyItsRecord() {
    String body = good("g-1") + "\n" + withString("big", 30 << 20) + "\n" + good("g-2") + "\n" + good("g-3") + "\n";

    TestServer.Response r =
        server.post("/v1/endpoints/e/predictions", "application/x-ndjson", body.getBytes(StandardCharsets.UTF_8), Map.of());

    assertThat(r.status()).isEqualTo(200);
    assertOnlyTheOversizedRecordIsRejected(r.json(), 1);
  }

  @Test
  void aBodyOverTheBodyLimitIsStill413NamingTheLimit() {
    String body = "[" + good("g-1") + ", " + withString("big", 70 << 20) + "]";

    TestServer.Response r = server.predictions("e", body);

    assertThat(r.status()).isEqualTo(413);
    assertThat(r.json().get("error").asText()).contains("ingest.max-body-bytes");
  }
}
