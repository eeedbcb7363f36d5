package io.hindsight.server;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpRequest;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A server in a JVM started without {@code --add-opens java.base/java.nio=ALL-UNNAMED} (embedded
 * in an application, or run by hand with {@code java -cp}) cannot hand rows to DuckDB as Arrow
 * batches: it says so at start, names the option, and writes its lake with the Appender.
 */
class AppenderFallbackTest {
  @TempDir Path dir;

  @Test
  void withoutTheOpensTheServerWarnsAndWritesItsLakeThroughTheAppender() throws Exception {
    Path lake = dir.resolve("data").resolve("lake");
    try (ChildServer child = new ChildServer(dir)) {
      assertThat(child.log())
          .contains("Parquet files are encoded through DuckDB's Appender")
          .contains("--add-opens java.base\\/java.nio=ALL-UNNAMED") // '/' escaped in the JSON log
          .doesNotContain("\"ERROR\"");
      HttpRequest post =
          HttpRequest.newBuilder(URI.create(child.url("/v1/endpoints/e/predictions")))
              .header("Content-Type", "application/json")
              .POST(HttpRequest.BodyPublishers.ofString(
                  "[{\"prediction_id\": \"p1\", \"tags\": {\"k\": \"v\"}, \"data\": {\"x\": 1.5}},"
                      + " {\"prediction_id\": \"p2\", \"data\": {\"x\": 2, \"s\": \"Zoë\"}}]"))
              .build();
      TestServer.Response answer = TestServer.send(post);
      assertThat(answer.status()).isEqualTo(200);
      assertThat(answer.json().get("accepted").asInt()).as(answer.body()).isEqualTo(2);
      long deadline = System.nanoTime() + 30_000_000_000L;
      while (parquetFiles(lake) == 0 && System.nanoTime() < deadline) {
        Thread.sleep(50);
      }
      assertThat(parquetFiles(lake)).as("lake files the child wrote").isPositive();
    }
    // Read back by a server of this JVM: what the child wrote is in the lake, not replayed from its log.
    try (TestServer after = new TestServer(dir.resolve("data"))) {
      assertThat(after.query("SELECT prediction_id, tags['k'], x, s FROM predictions WHERE endpoint = 'e' ORDER BY 1")
              .get("rows").toString())
          .isEqualTo("[[\"p1\",\"v\",1.5,null],[\"p2\",null,2.0,\"Zoë\"]]");
    }
  }

  private static long parquetFiles(Path lake) throws java.io.IOException {
    if (!Files.exists(lake)) {
      return 0;
    }
    try (Stream<Path> s = Files.walk(lake)) {
      return s.filter(p -> p.toString().endsWith(".parquet") && !p.toString().contains("/.")).count();
    }
  }
}
