package io.hindsight.server.monitor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.hindsight.server.monitor.EvaluationRows.Row;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** Binary realized metrics against textbook values and a brute-force computation on raw arrays. */
class BinaryMetricsTest {
  private static final double EXACT = 1e-12;

  @Test
  void matchesScikitLearnsDocumentedExamples() throws Exception {
    try (EvaluationRows db = new EvaluationRows()) {
      // roc_auc_score / average_precision_score: y = [0, 0, 1, 1], s = [0.1, 0.4, 0.35, 0.8].
      String ranking =
          db.table("ranking", false, rows(new double[] {0.1, 0.4, 0.35, 0.8}, "false", "false", "true", "true"));
      Map<String, Double> realized =
          only(db.evaluate(Task.BINARY_CLASSIFICATION, ranking, null, EvaluationSpec.DEFAULTS));
      assertThat(realized.get("roc_auc")).isCloseTo(0.75, within(EXACT));
      assertThat(realized.get("pr_auc")).isCloseTo(0.8333333333333333, within(EXACT));

      // log_loss(["spam", "ham", "ham", "spam"], [[.1, .9], [.9, .1], [.8, .2], [.35, .65]]).
      String spam = db.table("spam", false, rows(new double[] {0.9, 0.1, 0.2, 0.65}, "spam", "ham", "ham", "spam"));
      Map<String, Double> spamMetrics =
          only(db.evaluate(Task.BINARY_CLASSIFICATION, spam, null, new EvaluationSpec(0.5, "spam")));
      assertThat(spamMetrics.get("log_loss")).isCloseTo(0.21616187468057912, within(EXACT));
      assertThat(spamMetrics.get("accuracy")).isEqualTo(1.0);

      // brier_score_loss([0, 1, 1, 0], [0.1, 0.9, 0.8, 0.3]).
      String brier =
          db.table("brier", false, rows(new double[] {0.1, 0.9, 0.8, 0.3}, "false", "true", "true", "false"));
      assertThat(only(db.evaluate(Task.BINARY_CLASSIFICATION, brier, null, EvaluationSpec.DEFAULTS)).get("brier"))
          .isCloseTo(0.0375, within(EXACT));
    }
  }

  @Test
  void everyMetricEqualsItsDefinitionOnTiedScoresAndMissingValues() throws Exception {
    Random random = new Random(7);
    List<Row> rows = new ArrayList<>();
    for (int i = 0; i < 3000; i++) {
      double p = random.nextDouble();
      // Two decimals make many ties; a few extremes exercise the log-loss clipping.
      Double score = i % 50 == 0 ? null : i % 97 == 0 ? (double) (i % 2) : Math.round(p * 100) / 100.0;
      String label = i % 7 == 0 ? null : random.nextDouble() < p ? "true" : "false";
      String predicted = i % 11 == 0 ? (random.nextBoolean() ? "true" : "false") : null;
      rows.add(new Row("", score, predicted, label));
    }
    try (EvaluationRows db = new EvaluationRows()) {
      String t = db.table("t", false, rows);
      GroupEvaluation g = db.evaluate(Task.BINARY_CLASSIFICATION, t, null, new EvaluationSpec(0.4, "true")).get(0);

      assertThat(g.rows()).isEqualTo(3000);
      assertThat(g.labeled()).isEqualTo(rows.stream().filter(r -> r.label() != null).count());
      assertThat(g.missingScore()).isEqualTo(60);
      assertThat(g.realized().keySet())
          .containsExactly(
              "accuracy", "precision", "recall", "f1", "roc_auc", "pr_auc", "log_loss", "brier", "positive_rate");
      assertMatchesDefinitions(g, rows, 0.4);
    }
  }

  @Test
  void takesThePredictedClassOverTheThresholdWhenGiven() throws Exception {
    List<Row> rows =
        List.of(
            new Row("", 0.9, "false", "false"), // the score alone would call it positive
            new Row("", 0.1, "true", "true"),
            new Row("", 0.8, null, "true"),
            new Row("", 0.2, null, "true"));
    try (EvaluationRows db = new EvaluationRows()) {
      Map<String, Double> realized =
          only(db.evaluate(Task.BINARY_CLASSIFICATION, db.table("t", false, rows), null, EvaluationSpec.DEFAULTS));
      assertThat(realized.get("accuracy")).isEqualTo(0.75);
      assertThat(realized.get("positive_rate")).isEqualTo(0.5);
    }
  }

  @Test
  void leavesOutRankingMetricsWhenOnlyOneClassIsLabeled() throws Exception {
    try (EvaluationRows db = new EvaluationRows()) {
      String t = db.table("t", false, rows(new double[] {0.2, 0.7, 0.9}, "true", "true", "true"));
      GroupEvaluation g = db.evaluate(Task.BINARY_CLASSIFICATION, t, null, EvaluationSpec.DEFAULTS).get(0);
      assertThat(g.realized()).doesNotContainKey("roc_auc").containsKeys("accuracy", "pr_auc", "log_loss");
      assertThat(g.realized().get("precision")).isEqualTo(1.0);
    }
  }

  @Test
  void evaluatesEachGroupOnItsOwnRows() throws Exception {
    Random random = new Random(11);
    List<Row> good = new ArrayList<>();
    List<Row> poor = new ArrayList<>();
    for (int i = 0; i < 2000; i++) {
      double p = random.nextDouble();
      good.add(new Row("v2", p, null, random.nextDouble() < p ? "true" : "false"));
      double q = 0.4 + 0.2 * random.nextDouble(); // a weak model: scores say little
      poor.add(new Row("v1", q, null, random.nextDouble() < q ? "true" : "false"));
    }
    List<Row> both = new ArrayList<>(good);
    both.addAll(poor);
    try (EvaluationRows db = new EvaluationRows()) {
      List<GroupEvaluation> groups =
          db.evaluate(Task.BINARY_CLASSIFICATION, db.table("t", false, both), null, EvaluationSpec.DEFAULTS);

      assertThat(groups).extracting(GroupEvaluation::group).containsExactly("v1", "v2");
      assertMatchesDefinitions(groups.get(0), poor, 0.5);
      assertMatchesDefinitions(groups.get(1), good, 0.5);
      assertThat(groups.get(1).realized().get("roc_auc")).isGreaterThan(groups.get(0).realized().get("roc_auc") + 0.2);
    }
  }

  private static void assertMatchesDefinitions(GroupEvaluation g, List<Row> rows, double threshold) {
    new Definitions(rows, threshold)
        .metrics()
        .forEach((name, value) -> assertThat(g.realized().get(name)).as(name).isCloseTo(value, within(EXACT)));
  }

  private static List<Row> rows(double[] scores, String... labels) {
    List<Row> rows = new ArrayList<>();
    for (int i = 0; i < scores.length; i++) {
      rows.add(new Row("", scores[i], null, labels[i]));
    }
    return rows;
  }

  private static Map<String, Double> only(List<GroupEvaluation> groups) {
    assertThat(groups).hasSize(1);
    return groups.get(0).realized();
  }

  /** The metrics from their textbook definitions, over raw arrays, pair by pair where it counts. */
  static final class Definitions {
    private final List<Row> rows;
    private final double threshold;

    Definitions(List<Row> rows, double threshold) {
      this.rows = rows;
      this.threshold = threshold;
    }

    Map<String, Double> metrics() {
      double tp = 0, fp = 0, fn = 0, tn = 0;
      List<double[]> scored = new ArrayList<>(); // {score, label}
      for (Row r : rows) {
        if (r.label() == null) {
          continue;
        }
        boolean y = r.label().equals("true");
        if (r.predicted() != null || r.score() != null) {
          boolean yhat = r.predicted() != null ? r.predicted().equals("true") : r.score() >= threshold;
          if (yhat && y) tp++;
          else if (yhat) fp++;
          else if (y) fn++;
          else tn++;
        }
        if (r.score() != null) {
          scored.add(new double[] {r.score(), y ? 1 : 0});
        }
      }
      double eps = Math.ulp(1.0);
      double logLoss = 0, brier = 0;
      for (double[] s : scored) {
        double p = s[1] == 1 ? s[0] : 1 - s[0];
        logLoss -= Math.log(Math.min(Math.max(p, eps), 1 - eps));
        brier += (s[0] - s[1]) * (s[0] - s[1]);
      }
      double total = tp + fp + fn + tn;
      return Map.of(
          "accuracy", (tp + tn) / total,
          "precision", tp / (tp + fp),
          "recall", tp / (tp + fn),
          "f1", 2 * tp / (2 * tp + fp + fn),
          "roc_auc", rocAucByPairs(scored),
          "pr_auc", averagePrecision(scored),
          "log_loss", logLoss / scored.size(),
          "brier", brier / scored.size(),
          "positive_rate", (tp + fp) / total);
    }

    /** The share of (positive, negative) pairs ranked right, a tie counting 1/2. */
    static double rocAucByPairs(List<double[]> scored) {
      double right = 0, pairs = 0;
      for (double[] pos : scored) {
        for (double[] neg : scored) {
          if (pos[1] == 1 && neg[1] == 0) {
            pairs++;
            right += pos[0] > neg[0] ? 1 : pos[0] == neg[0] ? 0.5 : 0;
          }
        }
      }
      return right / pairs;
    }

    /** The mean over positives of the precision among rows scored at least as high. */
    static double averagePrecision(List<double[]> scored) {
      double sum = 0, positives = 0;
      for (double[] pos : scored) {
        if (pos[1] == 1) {
          positives++;
          double above = 0, positiveAbove = 0;
          for (double[] other : scored) {
            if (other[0] >= pos[0]) {
              above++;
              positiveAbove += other[1];
            }
          }
          sum += positiveAbove / above;
        }
      }
      return sum / positives;
    }
  }
}
