package io.hindsight.server.monitor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.hindsight.server.monitor.EvaluationRows.Row;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class RegressionMetricsTest {
  private static final double CLOSE = 1e-10;

  @Test
  void matchesScikitLearnsDocumentedExamples() throws Exception {
    // y_true = [3, -0.5, 2, 7], y_pred = [2.5, 0.0, 2, 8] in scikit-learn's regression metric docs.
    List<Row> rows =
        List.of(
            new Row("", 2.5, null, 3.0),
            new Row("", 0.0, null, -0.5),
            new Row("", 2.0, null, 2.0),
            new Row("", 8.0, null, 7.0));
    try (EvaluationRows db = new EvaluationRows()) {
      GroupEvaluation g = db.evaluate(Task.REGRESSION, db.table("t", true, rows), null, EvaluationSpec.DEFAULTS).get(0);
      assertThat(g.realized().get("mae")).isCloseTo(0.5, within(CLOSE));
      assertThat(g.realized().get("rmse")).isCloseTo(Math.sqrt(0.375), within(CLOSE));
      assertThat(g.realized().get("mape")).isCloseTo(0.3273809523809524, within(CLOSE));
      assertThat(g.realized().get("r2")).isCloseTo(0.9486081370449679, within(CLOSE));
      assertThat(g.realized().get("mean_error"))
          .as("predictions run 0.25 high on average")
          .isCloseTo(0.25, within(CLOSE));
    }
  }

  @Test
  void everyMetricEqualsItsDefinitionOverRowsWithBothValues() throws Exception {
    Random random = new Random(5);
    List<Row> rows = new ArrayList<>();
    for (int i = 0; i < 3000; i++) {
      double y = i % 101 == 0 ? 0.0 : 50 + 20 * random.nextGaussian(); // a zero label exercises mape's eps
      Double score = i % 40 == 0 ? null : y + 5 * random.nextGaussian() + 1;
      rows.add(new Row("", score, null, i % 6 == 0 ? null : y));
    }
    try (EvaluationRows db = new EvaluationRows()) {
      GroupEvaluation g = db.evaluate(Task.REGRESSION, db.table("t", true, rows), null, EvaluationSpec.DEFAULTS).get(0);

      List<double[]> pairs = new ArrayList<>(); // {prediction, label}
      for (Row r : rows) {
        if (r.score() != null && r.label() != null) {
          pairs.add(new double[] {r.score(), (Double) r.label()});
        }
      }
      double n = pairs.size(), abs = 0, sq = 0, pct = 0, err = 0, mean = 0;
      for (double[] p : pairs) {
        abs += Math.abs(p[0] - p[1]);
        sq += (p[0] - p[1]) * (p[0] - p[1]);
        pct += Math.abs(p[0] - p[1]) / Math.max(Math.abs(p[1]), Math.ulp(1.0));
        err += p[0] - p[1];
        mean += p[1] / n;
      }
      double total = 0;
      for (double[] p : pairs) {
        total += (p[1] - mean) * (p[1] - mean);
      }
      assertThat(g.rows()).isEqualTo(3000);
      assertThat(g.missingScore()).isEqualTo(75);
      assertThat(g.realized().get("mae")).isCloseTo(abs / n, within(CLOSE));
      assertThat(g.realized().get("rmse")).isCloseTo(Math.sqrt(sq / n), within(CLOSE));
      assertThat(g.realized().get("mape")).isCloseTo(pct / n, within(pct / n * CLOSE));
      assertThat(g.realized().get("r2")).isCloseTo(1 - sq / total, within(CLOSE));
      assertThat(g.realized().get("mean_error")).isCloseTo(err / n, within(CLOSE));
    }
  }

  @Test
  void constantLabelsGiveR2AsScikitLearnDoes() throws Exception {
    try (EvaluationRows db = new EvaluationRows()) {
      String perfect = db.table("perfect", true, List.of(new Row("", 2.0, null, 2.0), new Row("", 2.0, null, 2.0)));
      String off = db.table("off", true, List.of(new Row("", 1.0, null, 2.0), new Row("", 3.0, null, 2.0)));
      assertThat(r2(db, perfect)).isEqualTo(1.0);
      assertThat(r2(db, off)).isEqualTo(0.0);
    }
  }

  private static double r2(EvaluationRows db, String table) throws Exception {
    return db.evaluate(Task.REGRESSION, table, null, EvaluationSpec.DEFAULTS).get(0).realized().get("r2");
  }
}
