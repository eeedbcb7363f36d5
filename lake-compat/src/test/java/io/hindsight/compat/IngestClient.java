package io.hindsight.compat;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;

/** A small client for a server's API; checks every record was accepted. */
final class IngestClient {
  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
  private final String base;

  IngestClient(int port) {
    this.base = "http://127.0.0.1:" + port;
  }

  void post(String path, String json, int expectedAccepted) throws IOException, InterruptedException {
    HttpResponse<String> response =
        http.send(
            HttpRequest.newBuilder(URI.create(base + path))
                .timeout(Duration.ofSeconds(10))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(json))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(response.statusCode()).as("POST %s: %s", path, response.body()).isEqualTo(200);
    assertThat(response.body()).as("POST %s", path).contains("\"accepted\":" + expectedAccepted);
    assertThat(response.body()).as("POST %s", path).contains("\"rejected\":[]");
  }

  /** The body of a successful GET. */
  String get(String path) throws IOException, InterruptedException {
    HttpResponse<String> response =
        http.send(
            HttpRequest.newBuilder(URI.create(base + path)).timeout(Duration.ofSeconds(10)).GET().build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(response.statusCode()).as("GET %s: %s", path, response.body()).isEqualTo(200);
    return response.body();
  }

  /** Posts one prediction to {@code endpoint}. */
  void predict(String endpoint, String id, String ts, String data) throws IOException, InterruptedException {
    post("/v1/endpoints/" + endpoint + "/predictions", "[" + LakeSample.prediction(id, ts, "v1", "a", data) + "]", 1);
  }
}
