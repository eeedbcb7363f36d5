package io.hindsight.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * The server's half of the naming contract in {@code contract/names.json}, through the HTTP API;
 * the SDK runs the same cases, so the two can never disagree on what a valid name is.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class NamingContractTest {
  private TestServer server;
  private JsonNode contract;

  @BeforeAll
  void start(@TempDir Path dir) throws Exception {
    server = new TestServer(dir);
    Path root = Path.of("").toAbsolutePath();
    while (root != null && !Files.isRegularFile(root.resolve("contract/names.json"))) {
      root = root.getParent();
    }
    assertThat(root).as("contract/names.json above the module folder").isNotNull();
    contract = TestServer.JSON.readTree(root.resolve("contract/names.json").toFile());
  }

  @AfterAll
  void stop() {
    server.close();
  }

  private List<String> cases(String section, String kind) {
    List<String> out = new ArrayList<>();
    contract.get(section).get(kind).forEach(n -> out.add(n.asText()));
    return out;
  }

  private int ingestStatus(String endpoint) {
    String path = "/v1/endpoints/" + URLEncoder.encode(endpoint, StandardCharsets.UTF_8).replace("+", "%20") + "/predictions";
    return server.postJson(path, "{\"data\": {\"x\": 1}}").status();
  }

  /** Whether a record with this one data key is accepted. */
  private boolean accepted(String table, String key) throws Exception {
    String record =
        TestServer.JSON.writeValueAsString(Map.of("prediction_id", "p-1", "data", Map.of(key, 1)));
    TestServer.Response r = server.postJson("/v1/endpoints/contract/" + table, record);
    assertThat(r.status()).as("%s key %s", table, key).isEqualTo(200);
    return r.json().get("accepted").asInt() == 1;
  }

  @Test
  void endpointNames() {
    for (String e : cases("endpoints", "valid")) {
      assertThat(ingestStatus(e)).as("endpoint %s", e).isEqualTo(200);
    }
    for (String e : cases("endpoints", "invalid")) {
      assertThat(ingestStatus(e)).as("endpoint %s", e).isBetween(400, 404);
    }
  }

  @Test
  void predictionKeys() throws Exception {
    for (String k : cases("keys", "valid")) {
      assertThat(accepted("predictions", k)).as("prediction key %s", k).isTrue();
    }
    for (String k : cases("keys", "invalid")) {
      assertThat(accepted("predictions", k)).as("prediction key %s", k).isFalse();
    }
    for (String k : cases("predictions", "reserved")) {
      assertThat(accepted("predictions", k)).as("prediction key %s", k).isFalse();
    }
  }

  @Test
  void feedbackKeys() throws Exception {
    for (String k : cases("keys", "valid")) {
      assertThat(accepted("feedback", k)).as("feedback key %s", k).isTrue();
    }
    for (String k : cases("feedback", "allowed")) {
      assertThat(accepted("feedback", k)).as("feedback key %s", k).isTrue();
    }
    for (String k : cases("keys", "invalid")) {
      assertThat(accepted("feedback", k)).as("feedback key %s", k).isFalse();
    }
    for (String k : cases("feedback", "reserved")) {
      assertThat(accepted("feedback", k)).as("feedback key %s", k).isFalse();
    }
  }

  @Test
  void mediaReferences() throws Exception {
    for (JsonNode ref : contract.get("media").get("valid")) {
      JsonNode answer = server.predictions("contract-media", "{\"data\": {\"m\": " + ref + "}}").json();
      assertThat(answer.get("accepted").asInt()).as("%s", ref).isEqualTo(1);
    }
    assertThat(server.get("/v1/endpoints/contract-media/schema").json().get("columns").toString()).contains("\"name\":\"m\",\"type\":\"media\"");
    for (JsonNode ref : contract.get("media").get("invalid")) {
      JsonNode answer = server.predictions("contract-media", "{\"data\": {\"m\": " + ref + "}}").json();
      assertThat(answer.get("accepted").asInt()).as("%s", ref).isZero();
    }
  }
}
