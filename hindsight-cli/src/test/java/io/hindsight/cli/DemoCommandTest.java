package io.hindsight.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** {@code hindsight demo} end to end: a real server, the fraud service, traffic, feedback, SQL. */
class DemoCommandTest {
  @TempDir static Path dir;

  private static DemoCommand demo;
  private static int exit;
  private static String printed;

  @BeforeAll
  static void runTheDemo() {
    demo = new DemoCommand();
    PrintStream original = System.out;
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try {
      System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
      exit = new CommandLine(demo).execute(
          "--data-dir", dir.resolve("data").toString(), "--port", "0", "--transactions", "400");
    } finally {
      System.setOut(original);
    }
    printed = out.toString(StandardCharsets.UTF_8);
  }

  /** The rows of an answer as column name to value. */
  private static List<Map<String, JsonNode>> rows(JsonNode result) {
    List<String> names = new ArrayList<>();
    result.get("columns").forEach(c -> names.add(c.get("name").asText()));
    List<Map<String, JsonNode>> rows = new ArrayList<>();
    for (JsonNode r : result.get("rows")) {
      Map<String, JsonNode> row = new HashMap<>();
      for (int i = 0; i < names.size(); i++) {
        row.put(names.get(i), r.get(i));
      }
      rows.add(row);
    }
    return rows;
  }

  @Test
  void finishesAndPrintsThreeAnsweredQuestionsAndWhereToGoNext() {
    assertThat(exit).as(printed).isZero();
    assertThat(demo.answers).hasSize(3);
    assertThat(printed)
        .contains("Deployed model v2.0.0")
        .contains("== Why was " + demo.explainedId + " declined?")
        .contains("== Declines by segment today")
        .contains("== Accuracy by model version")
        .contains("| field ")
        .contains("score_logistic")
        .contains("Explore further:")
        .contains("/v1/endpoints/fraud-model/predictions/" + demo.explainedId);
    assertThat(dir.resolve("data/lake/predictions/endpoint=fraud-model")).isDirectory();
  }

  @Test
  void monitoringShowsTheDriftAfterTheDeployTheQualityAndTheAlertThatFired() {
    assertThat(demo.drift.get("columns")).isNotEmpty();
    JsonNode amount = demo.drift.get("columns").get(0);
    assertThat(amount.get("column").asText()).isEqualTo("amount");
    assertThat(amount.get("drifted").asBoolean()).as("amounts grew by 60 %%: %s", amount).isTrue();
    assertThat(demo.drift.get("drifted_share").asDouble()).isGreaterThan(0.3);
    assertThat(demo.evaluation.get("groups")).hasSize(2);
    for (JsonNode g : demo.evaluation.get("groups")) {
      assertThat(g.get("estimated").has("accuracy")).as("%s", g).isTrue();
      assertThat(g.get("realized").has("accuracy")).as("%s", g).isTrue();
    }
    assertThat(demo.alert.get("state").asText()).as("%s", demo.alert).isEqualTo("firing");
    assertThat(printed)
        .contains("== Drift after the deploy")
        .contains("== Quality by model version")
        .contains("== Alert 'input-drift' is firing")
        .contains("| input-drift | inactive   | firing");
    assertThat(demo.report).exists();
  }

  @Test
  void explainsADeclinedTransactionFromItsWholeRecord() {
    List<Map<String, JsonNode>> rows = rows(demo.answers.get(0).result());
    assertThat(rows).hasSize(1);
    Map<String, JsonNode> r = rows.get(0);
    assertThat(r.get("prediction_id").asText()).isEqualTo(demo.explainedId);
    assertThat(r.get("decision").asText()).isEqualTo("decline");
    assertThat(r.get("action").asText()).isEqualTo("block_card");
    for (String member : List.of("score_logistic", "score_tree", "score_rules")) {
      assertThat(r.get(member).isNumber()).as(member).isTrue();
      assertThat(r.get(member).asDouble()).as(member).isBetween(0.0, 1.0);
    }
    // Nested values are JSON text (DESIGN §5).
    assertThat(r.get("transaction").asText()).contains("\"merchant_category\"").contains(demo.explainedId);
    assertThat(r.get("features").asText()).contains("\"amount_zscore\"");
    assertThat(r.get("probabilities").asText()).startsWith("[").endsWith("]");
    assertThat(r.get("model_version").asText()).isIn("v1.0.0", "v2.0.0");
  }

  @Test
  void countsDeclinesBySegmentForToday() {
    List<Map<String, JsonNode>> rows = rows(demo.answers.get(1).result());
    assertThat(rows).isNotEmpty();
    assertThat(rows).allSatisfy(r -> assertThat(r.get("segment").asText()).isIn("standard", "high_value"));
    assertThat(rows.stream().mapToLong(r -> r.get("transactions").asLong()).sum()).isEqualTo(400);
    assertThat(rows.stream().mapToLong(r -> r.get("declined").asLong()).sum()).isPositive();
  }

  @Test
  void measuresAccuracyOfBothModelVersionsAgainstDelayedGroundTruth() {
    List<Map<String, JsonNode>> rows = rows(demo.answers.get(2).result());
    assertThat(rows).extracting(r -> r.get("model_version").asText()).containsExactly("v1.0.0", "v2.0.0");
    for (Map<String, JsonNode> r : rows) {
      assertThat(r.get("labelled").asLong()).isPositive().isLessThan(200);
      assertThat(r.get("accuracy").asDouble()).isBetween(0.0, 1.0);
      assertThat(r.get("accuracy").asDouble()).isGreaterThan(0.8);
    }
  }
}
