package io.hindsight.server.web;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.hindsight.server.TestServer;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code GET /v1/endpoints/{e}/predictions}: keyset pages that together hold every filtered row
 * exactly once, whatever the sort column (ties and missing values included), and filters that
 * reach SQL only as checked names and parameters.
 */
class ExplorerApiTest {
  @TempDir static Path dir;
  static TestServer server;

  @BeforeAll
  static void logPredictions() throws Exception {
    server = new TestServer(dir);
    StringBuilder sb = new StringBuilder("[");
    Instant t0 = Instant.parse("2026-11-20T10:00:00Z");
    for (int i = 0; i < 57; i++) {
      // Scores repeat (ties) and every seventh record has none (missing values).
      String score = i % 7 == 0 ? "" : ", \"score\": " + (i % 5);
      sb.append(i == 0 ? "" : ",")
          .append(String.format("{\"prediction_id\": \"p%02d\", \"ts\": \"%s\", \"model_version\": \"v%d\", \"data\": {\"note\": \"n%d\"%s}}",
              i, t0.plusSeconds(3600L * i), i % 2, i, score));
    }
    assertThat(server.predictions("scores", sb.append("]").toString()).status()).isEqualTo(200);
    server.flush();
  }

  @AfterAll
  static void stop() {
    server.close();
  }

  @Test
  void pagesByCursorHoldEveryRowOnceInOrder() {
    for (String sort : List.of("sort=ts&order=desc", "sort=ts&order=asc", "sort=score&order=asc", "sort=score&order=desc", "sort=note&order=asc")) {
      List<String> ids = new ArrayList<>();
      String after = null;
      int pages = 0;
      do {
        JsonNode page = page("scores", sort + "&limit=8" + (after == null ? "" : "&after=" + after));
        page.get("rows").forEach(r -> ids.add(r.get(0).asText()));
        after = page.get("next").isNull() ? null : page.get("next").asText();
        pages++;
      } while (after != null);
      assertThat(ids).as(sort).hasSize(57).doesNotHaveDuplicates();
      assertThat(pages).isEqualTo(8);
      if (sort.startsWith("sort=score&order=asc")) {
        // Missing scores come last, in id order.
        assertThat(ids.subList(48, 57)).containsExactly("p00", "p07", "p14", "p21", "p28", "p35", "p42", "p49", "p56");
      }
    }
  }

  @Test
  void filtersCombineAndTheTimeRangeIsHalfOpen() {
    JsonNode page =
        page("scores", "from=2026-11-20T12:00:00Z&to=2026-11-21T00:00:00Z&version=v0&where=" + enc("score >= 2") + "&sort=ts&order=asc");
    List<String> ids = new ArrayList<>();
    page.get("rows").forEach(r -> ids.add(r.get(0).asText()));
    assertThat(ids).containsExactly("p02", "p04", "p08", "p12");
  }

  @Test
  void namesAreCheckedAndValuesNeverBecomeSql() {
    assertThat(server.get("/v1/endpoints/scores/predictions?sort=" + enc("ts; DROP TABLE x")).json().get("error").asText())
        .contains("'ts; DROP TABLE x' (in sort) is not a column of endpoint 'scores'");
    assertThat(server.get("/v1/endpoints/scores/predictions?where=" + enc("score > 1 OR 1=1")).json().get("error").asText())
        .contains("'score' holds numbers; '1 OR 1=1' is not one");
    JsonNode quoted = page("scores", "where=" + enc("note = n1' OR '1'='1") + "&tags." + enc("x' OR 1=1 --") + "=y");
    assertThat(quoted.get("rows")).as("a quote is part of the value, not of the SQL").isEmpty();
    assertThat(server.get("/v1/endpoints/scores/predictions?after=bm90IGEgY3Vyc29y").json().get("error").asText())
        .contains("'after' is not a cursor this server gave out");
  }

  private static JsonNode page(String endpoint, String query) {
    TestServer.Response r = server.get("/v1/endpoints/" + endpoint + "/predictions?" + query);
    assertThat(r.status()).as(r.body()).isEqualTo(200);
    return r.json();
  }

  private static String enc(String s) {
    return URLEncoder.encode(s, StandardCharsets.UTF_8);
  }
}
