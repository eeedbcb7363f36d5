package io.hindsight.server.monitor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class IsotonicCalibrationTest {

  @Test
  void poolsAdjacentViolatorsIntoTheirWeightedMean() {
    // Labels 1, 3, 2, 4, 3.5, 5 at scores 1..6: (3, 2) pool to 2.5 and (4, 3.5) to 3.75.
    IsotonicCalibration fit =
        IsotonicCalibration.fit(
            new double[] {1, 2, 3, 4, 5, 6}, new double[] {1, 3, 2, 4, 3.5, 5}, new double[] {1, 1, 1, 1, 1, 1});

    assertThat(fit.knotScores()).containsExactly(1, 2, 3, 4, 5, 6);
    assertThat(fit.knotValues()).containsExactly(1, 2.5, 2.5, 3.75, 3.75, 5);
  }

  @Test
  void weighsEachScoreByItsRowsAndBacktracksOverEarlierBlocks() {
    // Score 1: 3 rows, 3 positive; score 2: 1 row, 0 positive -> pooled 3/4; score 3: 4 rows, 1
    // positive -> 0.25 breaks 0.75, pooled (3 + 0 + 1) / 8 = 0.5 over all three.
    IsotonicCalibration fit =
        IsotonicCalibration.fit(new double[] {1, 2, 3, 4}, new double[] {3, 0, 1, 2}, new double[] {3, 1, 4, 2});

    // The flat middle point goes; the ends and the points beside the step stay.
    assertThat(fit.knotScores()).containsExactly(1, 3, 4);
    assertThat(fit.knotValues()).containsExactly(0.5, 0.5, 1.0);
  }

  @Test
  void appliesInSqlByLinearInterpolationClippedAtBothEnds() throws Exception {
    IsotonicCalibration fit =
        IsotonicCalibration.fit(new double[] {0.2, 0.4, 0.8}, new double[] {0, 1, 1}, new double[] {1, 2, 1});
    assertThat(fit.knotValues()).containsExactly(0, 0.5, 1);

    try (EvaluationRows rows = new EvaluationRows()) {
      String sql =
          "SELECT score, calibrated_p FROM "
              + fit.calibratedRows("(SELECT unnest([0.0, 0.2, 0.3, 0.4, 0.7, 0.8, 0.95, NULL]) AS score)", 1)
              + " ORDER BY score NULLS LAST";
      List<Double> calibrated = new ArrayList<>();
      try (PreparedStatement ps = rows.db.prepareStatement(sql)) {
        fit.bind(ps, 1);
        try (ResultSet rs = ps.executeQuery()) {
          while (rs.next()) {
            calibrated.add((Double) rs.getObject(2));
          }
        }
      }
      assertThat(calibrated).hasSize(8).endsWith((Double) null);
      double[] expected = {0, 0, 0.25, 0.5, 0.875, 1, 1};
      for (int i = 0; i < expected.length; i++) {
        assertThat(calibrated.get(i)).as("score #%d", i).isCloseTo(expected[i], within(1e-12));
      }
    }
  }
}
