package io.hindsight.examples.spring;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.hindsight.Hindsight;
import io.hindsight.server.HindsightServer;
import io.hindsight.server.ServerConfig;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.client.TestRestTemplate;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/**
 * The Spring Boot service on a random port, logging to a real Hindsight server started in this
 * JVM over a temporary data folder: each answered request is one prediction record, found by SQL.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
class ScoringServiceTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static HindsightServer server;

  @DynamicPropertySource
  static void hindsightServer(DynamicPropertyRegistry registry) throws Exception {
    ServerConfig config = new ServerConfig();
    config.dataDir = Files.createTempDirectory("hindsight-spring-test");
    config.port = 0;
    server = HindsightServer.start(config);
    registry.add("hindsight.server-url", () -> "http://127.0.0.1:" + server.port());
    registry.add("hindsight.endpoint", () -> "fraud-model");
  }

  @AfterAll
  static void stopServer() {
    server.close();
  }

  @Autowired TestRestTemplate rest;
  @Autowired Hindsight hindsight;

  @Test
  void eachScoredTransactionIsOnePredictionRecordWithItsInputsScoresAndDecision() throws Exception {
    ScoreController.Decision small =
        rest.postForObject("/score", new ScoreController.Transaction("txn-1", 12.5, "grocery"), ScoreController.Decision.class);
    ScoreController.Decision large =
        rest.postForObject("/score", new ScoreController.Transaction("txn-2", 9500.0, "electronics"), ScoreController.Decision.class);
    assertThat(small.decision()).isEqualTo("approved");
    assertThat(large.decision()).isEqualTo("declined");

    assertThat(hindsight.flush(Duration.ofSeconds(10))).as("records shipped").isTrue();
    server.flushLake();
    JsonNode rows =
        query("SELECT prediction_id, model_version, amount, merchant_category, decision, probabilities->>'$[1]' AS fraud,"
            + " tags['channel'] AS channel, status FROM predictions ORDER BY prediction_id");
    assertThat(rows).hasSize(2);
    assertThat(rows.get(0).toString())
        .isEqualTo("[\"txn-1\",\"fraud-logit-1.0\",12.5,\"grocery\",\"approved\",\"" + small.fraudProbability() + "\",\"api\",\"ok\"]");
    assertThat(rows.get(1).get(0).asText()).isEqualTo("txn-2");
    assertThat(rows.get(1).get(4).asText()).isEqualTo("declined");
  }

  private static JsonNode query(String sql) throws Exception {
    HttpRequest req =
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + "/v1/query"))
            .header("Content-Type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofString(JSON.writeValueAsString(Map.of("sql", sql))))
            .build();
    HttpResponse<String> r = HttpClient.newHttpClient().send(req, HttpResponse.BodyHandlers.ofString());
    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    return JSON.readTree(r.body()).get("rows");
  }
}
