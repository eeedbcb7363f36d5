package io.hindsight.server.monitor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.hindsight.server.monitor.EvaluationRows.Row;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

class MulticlassMetricsTest {
  private static final double EXACT = 1e-12;

  @Test
  void matchesScikitLearnsDocumentedMacroAverages() throws Exception {
    // precision_score(y_true=[0, 1, 2, 0, 1, 2], y_pred=[0, 2, 1, 0, 0, 1], average='macro').
    String[] labels = {"0", "1", "2", "0", "1", "2"};
    String[] predicted = {"0", "2", "1", "0", "0", "1"};
    List<Row> rows = new ArrayList<>();
    for (int i = 0; i < labels.length; i++) {
      rows.add(new Row("", null, predicted[i], labels[i]));
    }
    try (EvaluationRows db = new EvaluationRows()) {
      GroupEvaluation g =
          db.evaluate(Task.MULTICLASS_CLASSIFICATION, db.table("t", false, rows), null, EvaluationSpec.DEFAULTS).get(0);
      assertThat(g.realized().get("accuracy")).isCloseTo(2.0 / 6, within(EXACT));
      assertThat(g.realized().get("macro_precision")).isCloseTo(0.2222222222222222, within(EXACT));
      assertThat(g.realized().get("macro_recall")).isCloseTo(0.3333333333333333, within(EXACT));
      assertThat(g.realized().get("macro_f1")).isCloseTo(0.26666666666666666, within(EXACT));
      assertThat(g.estimated()).isEmpty();
    }
  }

  @Test
  void macroAveragesTakeEveryClassSeenAsLabelOrPredictionWithZeroForEmptyRatios() throws Exception {
    Random random = new Random(3);
    String[] classes = {"cat", "dog", "bird", "fish"};
    List<Row> rows = new ArrayList<>();
    for (int i = 0; i < 2000; i++) {
      String label = i % 9 == 0 ? null : classes[random.nextInt(3)]; // "fish" is never a label
      String predicted = i % 13 == 0 ? null : random.nextInt(3) == 0 ? classes[random.nextInt(4)] : label;
      rows.add(new Row(i % 2 == 0 ? "a" : "b", null, predicted, label));
    }
    try (EvaluationRows db = new EvaluationRows()) {
      List<GroupEvaluation> groups =
          db.evaluate(Task.MULTICLASS_CLASSIFICATION, db.table("t", false, rows), null, EvaluationSpec.DEFAULTS);
      assertThat(groups).extracting(GroupEvaluation::group).containsExactly("a", "b");
      for (GroupEvaluation g : groups) {
        List<Row> mine = rows.stream().filter(r -> r.grp().equals(g.group())).toList();
        assertThat(g.rows()).isEqualTo(mine.size());
        assertThat(g.missingScore()).isEqualTo(mine.stream().filter(r -> r.predicted() == null).count());
        List<Row> judged = mine.stream().filter(r -> r.label() != null && r.predicted() != null).toList();
        TreeSet<String> seen = new TreeSet<>();
        judged.forEach(r -> { seen.add((String) r.label()); seen.add(r.predicted()); });
        double precision = 0, recall = 0, f1 = 0, hits = 0;
        for (String c : seen) {
          double tp = judged.stream().filter(r -> r.label().equals(c) && r.predicted().equals(c)).count();
          double asPredicted = judged.stream().filter(r -> r.predicted().equals(c)).count();
          double asLabel = judged.stream().filter(r -> r.label().equals(c)).count();
          double p = asPredicted == 0 ? 0 : tp / asPredicted;
          double rc = asLabel == 0 ? 0 : tp / asLabel;
          precision += p;
          recall += rc;
          f1 += p + rc == 0 ? 0 : 2 * p * rc / (p + rc);
          hits += tp;
        }
        assertThat(g.realized().get("accuracy")).isCloseTo(hits / judged.size(), within(EXACT));
        assertThat(g.realized().get("macro_precision")).isCloseTo(precision / seen.size(), within(EXACT));
        assertThat(g.realized().get("macro_recall")).isCloseTo(recall / seen.size(), within(EXACT));
        assertThat(g.realized().get("macro_f1")).isCloseTo(f1 / seen.size(), within(EXACT));
      }
    }
  }
}
