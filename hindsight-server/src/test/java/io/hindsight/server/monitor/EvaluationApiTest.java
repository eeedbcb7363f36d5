package io.hindsight.server.monitor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.JsonNode;
import io.hindsight.server.TestServer;
import io.hindsight.server.ops.ManualScheduler;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * GET /v1/endpoints/{e}/evaluation on a real server: realized metrics per model version against
 * their definitions on the logged values, and the label-free estimate next to them.
 */
class EvaluationApiTest {
  @TempDir Path dir;

  private static final Instant DAY = Instant.parse("2026-11-20T00:00:00Z");
  private static final String WINDOW = "from=2026-11-20T00:00:00Z&to=2026-11-21T00:00:00Z";

  /** One logged prediction with its label (null when no feedback came). */
  private record Logged(String version, double score, Integer label) {}

  @Test
  void realizedMetricsPerVersionMatchTheirDefinitionsAndTheEstimateTracksThem() throws Exception {
    try (TestServer s = new TestServer(dir, c -> {}, new ManualScheduler(Instant.parse("2026-11-30T12:00:00Z")))) {
      Random random = new Random(11);
      List<Logged> logged = new ArrayList<>();
      StringBuilder predictions = new StringBuilder();
      StringBuilder feedback = new StringBuilder();
      for (int i = 0; i < 6000; i++) {
        String version = i % 2 == 0 ? "v1" : "v2";
        double p = random.nextDouble();
        // v1's scores are calibrated probabilities; v2's labels ignore its score half of the time.
        int label = random.nextDouble() < (version.equals("v1") || random.nextBoolean() ? p : 0.5) ? 1 : 0;
        boolean labeled = i % 5 != 0;
        logged.add(new Logged(version, p, labeled ? label : null));
        predictions.append(predictions.length() == 0 ? "[" : ",")
            .append("{\"prediction_id\": \"p").append(i).append("\", \"ts\": \"").append(DAY.plusSeconds(i * 10L))
            .append("\", \"model_version\": \"").append(version).append("\", \"data\": {\"probabilities\": [")
            .append(1 - p).append(", ").append(p).append("]}}");
        if (labeled) {
          feedback.append(feedback.length() == 0 ? "[" : ",")
              .append("{\"prediction_id\": \"p").append(i).append("\", \"data\": {\"label\": ").append(label).append("}}");
        }
        if (predictions.length() > 200_000 || i == 5999) {
          assertThat(s.predictions("fraud", predictions.append("]").toString()).status()).isEqualTo(200);
          assertThat(s.postJson("/v1/endpoints/fraud/feedback", feedback.append("]").toString()).status()).isEqualTo(200);
          predictions.setLength(0);
          feedback.setLength(0);
        }
      }
      s.flush();
      assertThat(
              s.putJson(
                      "/v1/endpoints/fraud/monitoring",
                      "{\"task\": \"binary_classification\", \"score\": \"probabilities[1]\", \"label\": \"label\", \"threshold\": 0.5}")
                  .status())
          .isEqualTo(200);

      TestServer.Response r = s.get("/v1/endpoints/fraud/evaluation?" + WINDOW + "&by=model_version");
      assertThat(r.status()).as(r.body()).isEqualTo(200);
      JsonNode groups = r.json().get("groups");
      assertThat(r.json().get("task").asText()).isEqualTo("binary_classification");
      assertThat(groups).hasSize(2);
      for (JsonNode g : groups) {
        String version = g.get("group").get("model_version").asText();
        List<Logged> rows = logged.stream().filter(l -> l.version().equals(version)).toList();
        List<Logged> labeled = rows.stream().filter(l -> l.label() != null).toList();
        assertThat(g.get("rows").asLong()).isEqualTo(rows.size());
        assertThat(g.get("labeled").asLong()).isEqualTo(labeled.size());
        JsonNode realized = g.get("realized");
        long tp = labeled.stream().filter(l -> l.score() >= 0.5 && l.label() == 1).count();
        long fp = labeled.stream().filter(l -> l.score() >= 0.5 && l.label() == 0).count();
        long fn = labeled.stream().filter(l -> l.score() < 0.5 && l.label() == 1).count();
        double accuracy = (double) (labeled.size() - fp - fn) / labeled.size();
        double precision = (double) tp / (tp + fp);
        double recall = (double) tp / (tp + fn);
        assertThat(realized.get("accuracy").asDouble()).isCloseTo(accuracy, within(1e-9));
        assertThat(realized.get("precision").asDouble()).isCloseTo(precision, within(1e-9));
        assertThat(realized.get("recall").asDouble()).isCloseTo(recall, within(1e-9));
        assertThat(realized.get("f1").asDouble()).isCloseTo(2 * precision * recall / (precision + recall), within(1e-9));
        assertThat(realized.get("roc_auc").asDouble()).isCloseTo(aucByPairs(labeled), within(1e-9));
        assertThat(realized.get("brier").asDouble())
            .isCloseTo(labeled.stream().mapToDouble(l -> Math.pow(l.score() - l.label(), 2)).average().orElseThrow(), within(1e-9));
        if (version.equals("v1")) {
          // Calibrated scores: the estimate over every row lands near the truth of the labeled ones.
          assertThat(g.get("estimated").get("accuracy").asDouble()).isCloseTo(accuracy, within(0.03));
          assertThat(g.get("estimated").get("roc_auc").asDouble()).isCloseTo(aucByPairs(labeled), within(0.03));
        }
      }

      JsonNode all = s.get("/v1/endpoints/fraud/evaluation?" + WINDOW).json();
      assertThat(all.get("groups")).singleElement().satisfies(g -> {
        assertThat(g.get("group").size()).isZero();
        assertThat(g.get("rows").asLong()).isEqualTo(6000);
      });
    }
  }

  @Test
  void regressionAndMulticlassModelsGetTheirOwnMetrics() throws Exception {
    try (TestServer s = new TestServer(dir, c -> {}, new ManualScheduler(Instant.parse("2026-11-30T12:00:00Z")))) {
      // Regression: predictions 10, 20, 30, 40 against truths 12, 18, 33, 40.
      double[] predicted = {10, 20, 30, 40};
      double[] truth = {12, 18, 33, 40};
      StringBuilder p = new StringBuilder("[");
      StringBuilder f = new StringBuilder("[");
      for (int i = 0; i < 4; i++) {
        p.append(i == 0 ? "" : ",").append("{\"prediction_id\": \"r").append(i).append("\", \"ts\": \"").append(DAY.plusSeconds(i))
            .append("\", \"data\": {\"eta\": ").append(predicted[i]).append("}}");
        f.append(i == 0 ? "" : ",").append("{\"prediction_id\": \"r").append(i).append("\", \"data\": {\"actual\": ").append(truth[i]).append("}}");
      }
      s.predictions("eta", p.append("]").toString());
      s.postJson("/v1/endpoints/eta/feedback", f.append("]").toString());
      s.flush();
      s.putJson("/v1/endpoints/eta/monitoring", "{\"task\": \"regression\", \"score\": \"eta\", \"label\": \"actual\"}");
      JsonNode realized = s.get("/v1/endpoints/eta/evaluation?" + WINDOW).json().get("groups").get(0).get("realized");
      assertThat(realized.get("mae").asDouble()).isCloseTo((2 + 2 + 3 + 0) / 4.0, within(1e-12));
      assertThat(realized.get("rmse").asDouble()).isCloseTo(Math.sqrt((4 + 4 + 9 + 0) / 4.0), within(1e-12));
      assertThat(realized.get("mean_error").asDouble()).isCloseTo((-2 + 2 - 3 + 0) / 4.0, within(1e-12));

      // Multiclass: predicted a, b, c, a against truths a, b, b, c.
      String[] classes = {"a", "b", "c", "a"};
      String[] labels = {"a", "b", "b", "c"};
      p = new StringBuilder("[");
      f = new StringBuilder("[");
      for (int i = 0; i < 4; i++) {
        p.append(i == 0 ? "" : ",").append("{\"prediction_id\": \"m").append(i).append("\", \"ts\": \"").append(DAY.plusSeconds(i))
            .append("\", \"data\": {\"species\": \"").append(classes[i]).append("\"}}");
        f.append(i == 0 ? "" : ",").append("{\"prediction_id\": \"m").append(i).append("\", \"data\": {\"truth\": \"").append(labels[i]).append("\"}}");
      }
      s.predictions("iris", p.append("]").toString());
      s.postJson("/v1/endpoints/iris/feedback", f.append("]").toString());
      s.flush();
      s.putJson("/v1/endpoints/iris/monitoring", "{\"task\": \"multiclass_classification\", \"prediction\": \"species\", \"label\": \"truth\"}");
      JsonNode multi = s.get("/v1/endpoints/iris/evaluation?" + WINDOW).json().get("groups").get(0).get("realized");
      assertThat(multi.get("accuracy").asDouble()).isEqualTo(0.5);
      // Per class precision a 1/2, b 1, c 0; recall a 1, b 1/2, c 0: macro averages over the three.
      assertThat(multi.get("macro_precision").asDouble()).isCloseTo((0.5 + 1 + 0) / 3, within(1e-12));
      assertThat(multi.get("macro_recall").asDouble()).isCloseTo((1 + 0.5 + 0) / 3, within(1e-12));
    }
  }

  @Test
  void evaluationWithoutWhatItNeedsIsRefusedWithWhatToDo() throws Exception {
    try (TestServer s = new TestServer(dir)) {
      s.predictions("fraud", "{\"data\": {\"score\": 0.3}}");
      assertThat(s.get("/v1/endpoints/fraud/evaluation").json().get("error").asText())
          .contains("PUT it to /v1/endpoints/fraud/monitoring");
      s.putJson("/v1/endpoints/fraud/monitoring", "{\"score\": \"score\", \"label\": \"label\"}");
      assertThat(s.get("/v1/endpoints/fraud/evaluation").json().get("error").asText())
          .contains("'label': endpoint 'fraud' has no feedback yet");
      s.postJson("/v1/endpoints/fraud/feedback", "{\"prediction_id\": \"x\", \"data\": {\"outcome\": 1}}");
      assertThat(s.get("/v1/endpoints/fraud/evaluation").json().get("error").asText())
          .contains("no feedback of endpoint 'fraud' has the key 'label'; its feedback keys: outcome");
      assertThat(s.get("/v1/endpoints/nobody/evaluation").status()).isEqualTo(404);
    }
  }

  /** ROC AUC as the share of (positive, negative) pairs ranked right, ties counting one half. */
  private static double aucByPairs(List<Logged> labeled) {
    double right = 0;
    long pairs = 0;
    for (Logged p : labeled) {
      if (p.label() != 1) {
        continue;
      }
      for (Logged n : labeled) {
        if (n.label() != 0) {
          continue;
        }
        pairs++;
        right += p.score() > n.score() ? 1 : p.score() == n.score() ? 0.5 : 0;
      }
    }
    return right / pairs;
  }
}
