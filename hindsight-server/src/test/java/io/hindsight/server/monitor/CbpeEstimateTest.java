package io.hindsight.server.monitor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.hindsight.server.monitor.EvaluationRows.Row;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.function.DoubleUnaryOperator;
import org.junit.jupiter.api.Test;

/**
 * The label-free estimate against the truth: labels are drawn from known probabilities, and the
 * estimate made without them must come close to the metrics realized on them.
 */
class CbpeEstimateTest {
  private static final double ACCURACY_TOLERANCE = 0.02;
  private static final double AUC_TOLERANCE = 0.03;

  @Test
  void estimatesQualityFromCalibratedScoresAlone() throws Exception {
    try (EvaluationRows db = new EvaluationRows()) {
      String window = db.table("recent", false, draw(new Random(1), 20_000, "", p -> p));

      GroupEvaluation g = db.evaluate(Task.BINARY_CLASSIFICATION, window, null, EvaluationSpec.DEFAULTS).get(0);

      assertClose(g);
    }
  }

  @Test
  void estimateEqualsTheExpectedConfusionMatrixAndSoftLabelRocCurve() throws Exception {
    Random random = new Random(9);
    List<Row> rows = new ArrayList<>();
    for (int i = 0; i < 600; i++) {
      Double score = i % 40 == 0 ? null : Math.round(random.nextDouble() * 50) / 50.0; // ties
      rows.add(new Row("", score, i % 9 == 0 ? "true" : null, i % 3 == 0 ? "false" : null));
    }
    try (EvaluationRows db = new EvaluationRows()) {
      String t = db.table("t", false, rows);
      GroupEvaluation g = db.evaluate(Task.BINARY_CLASSIFICATION, t, null, new EvaluationSpec(0.6, "true")).get(0);

      double tp = 0, fp = 0, fn = 0, tn = 0, right = 0, pairs = 0;
      List<Row> scored = rows.stream().filter(r -> r.score() != null).toList();
      for (Row r : scored) {
        double p = r.score();
        boolean yhat = r.predicted() != null || p >= 0.6;
        tp += yhat ? p : 0;
        fp += yhat ? 1 - p : 0;
        fn += yhat ? 0 : p;
        tn += yhat ? 0 : 1 - p;
        // Each row is p of a positive and 1 - p of a negative; every (positive, negative) pair
        // counts by its weight, ranked right by score, a tie (a row with itself too) counting 1/2.
        for (Row other : scored) {
          double weight = p * (1 - other.score());
          pairs += weight;
          right += weight * (p > other.score() ? 1 : p == other.score() ? 0.5 : 0);
        }
      }
      assertThat(g.missingScore()).isEqualTo(15);
      assertThat(g.estimated().keySet()).containsExactly("accuracy", "precision", "recall", "f1", "roc_auc");
      assertThat(g.estimated().get("accuracy")).isCloseTo((tp + tn) / scored.size(), within(1e-12));
      assertThat(g.estimated().get("precision")).isCloseTo(tp / (tp + fp), within(1e-12));
      assertThat(g.estimated().get("recall")).isCloseTo(tp / (tp + fn), within(1e-12));
      assertThat(g.estimated().get("f1")).isCloseTo(2 * tp / (2 * tp + fp + fn), within(1e-12));
      assertThat(g.estimated().get("roc_auc")).isCloseTo(right / pairs, within(1e-12));
    }
  }

  @Test
  void estimatesFromRowsWhoseLabelsHaveNotArrived() throws Exception {
    List<Row> labeled = draw(new Random(2), 20_000, "", p -> p);
    List<Row> unlabeled = labeled.stream().map(r -> new Row(r.grp(), r.score(), r.predicted(), null)).toList();
    try (EvaluationRows db = new EvaluationRows()) {
      String labeledTable = db.table("labeled", false, labeled);
      String unlabeledTable = db.table("unlabeled", false, unlabeled);
      GroupEvaluation truth =
          db.evaluate(Task.BINARY_CLASSIFICATION, labeledTable, null, EvaluationSpec.DEFAULTS).get(0);
      GroupEvaluation blind =
          db.evaluate(Task.BINARY_CLASSIFICATION, unlabeledTable, null, EvaluationSpec.DEFAULTS).get(0);

      assertThat(blind.labeled()).isZero();
      assertThat(blind.realized()).isEmpty();
      assertThat(blind.estimated()).containsOnlyKeys(truth.estimated().keySet());
      truth.estimated().forEach((k, v) -> assertThat(blind.estimated().get(k)).as(k).isCloseTo(v, within(1e-12)));
      assertThat(blind.estimated().get("accuracy"))
          .isCloseTo(truth.realized().get("accuracy"), within(ACCURACY_TOLERANCE));
    }
  }

  @Test
  void calibrationOnALabeledReferenceRepairsMiscalibratedScores() throws Exception {
    DoubleUnaryOperator squared = p -> p * p; // over-confident about negatives
    try (EvaluationRows db = new EvaluationRows()) {
      String reference = db.table("reference", false, draw(new Random(3), 20_000, "", squared));
      String window = db.table("recent", false, draw(new Random(4), 20_000, "", squared));

      GroupEvaluation calibrated =
          db.evaluate(Task.BINARY_CLASSIFICATION, window, reference, EvaluationSpec.DEFAULTS).get(0);
      GroupEvaluation raw = db.evaluate(Task.BINARY_CLASSIFICATION, window, null, EvaluationSpec.DEFAULTS).get(0);

      assertClose(calibrated);
      double truth = calibrated.realized().get("accuracy");
      assertThat(Math.abs(raw.estimated().get("accuracy") - truth))
          .as("the raw scores taken as probabilities miss the accuracy")
          .isGreaterThan(0.05);
      assertThat(Math.abs(raw.estimated().get("roc_auc") - calibrated.realized().get("roc_auc")))
          .as("and the ROC AUC")
          .isGreaterThan(AUC_TOLERANCE);
    }
  }

  @Test
  void estimatesEachGroupOnItsOwn() throws Exception {
    Random random = new Random(5);
    List<Row> rows = new ArrayList<>(draw(random, 20_000, "sharp", p -> p));
    // A weaker model: its probabilities stay near the middle, so its ranking is worse.
    rows.addAll(draw(random, 20_000, "vague", p -> 0.3 + 0.4 * p, p -> p));
    try (EvaluationRows db = new EvaluationRows()) {
      List<GroupEvaluation> groups =
          db.evaluate(Task.BINARY_CLASSIFICATION, db.table("recent", false, rows), null, EvaluationSpec.DEFAULTS);

      assertThat(groups).extracting(GroupEvaluation::group).containsExactly("sharp", "vague");
      groups.forEach(CbpeEstimateTest::assertClose);
      assertThat(groups.get(0).estimated().get("roc_auc"))
          .isGreaterThan(groups.get(1).estimated().get("roc_auc") + 0.1);
    }
  }

  /**
   * {@code n} predictions whose true positive probability p is uniform, label ~ Bernoulli(p), and
   * score = {@code scoreOf}(p).
   */
  private static List<Row> draw(Random random, int n, String group, DoubleUnaryOperator scoreOf) {
    return draw(random, n, group, u -> u, scoreOf);
  }

  /** As above with p = {@code probabilityOf}(u) for u uniform. */
  private static List<Row> draw(
      Random random, int n, String group, DoubleUnaryOperator probabilityOf, DoubleUnaryOperator scoreOf) {
    List<Row> rows = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      double p = probabilityOf.applyAsDouble(random.nextDouble());
      rows.add(new Row(group, scoreOf.applyAsDouble(p), null, random.nextDouble() < p ? "true" : "false"));
    }
    return rows;
  }

  private static void assertClose(GroupEvaluation g) {
    assertThat(g.estimated().get("accuracy"))
        .as("estimated accuracy of %s", g.group())
        .isCloseTo(g.realized().get("accuracy"), within(ACCURACY_TOLERANCE));
    assertThat(g.estimated().get("roc_auc"))
        .as("estimated ROC AUC of %s", g.group())
        .isCloseTo(g.realized().get("roc_auc"), within(AUC_TOLERANCE));
  }
}
