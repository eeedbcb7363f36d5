package io.hindsight.server.monitor.stats;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import org.junit.jupiter.api.Test;

/** The statistics on summaries, against values derived by hand or from published tables. */
class DriftStatisticsTest {

  @Test
  void kolmogorovSurvivalMatchesItsTable() {
    // the two-sided 5 % and 1 % critical values of Kolmogorov's distribution are 1.3581 and 1.6276
    assertThat(KolmogorovSmirnov.kolmogorovSurvival(1.3581)).isCloseTo(0.05, within(1e-4));
    assertThat(KolmogorovSmirnov.kolmogorovSurvival(1.6276)).isCloseTo(0.01, within(1e-4));
    assertThat(KolmogorovSmirnov.kolmogorovSurvival(1.0)).isCloseTo(0.2700, within(1e-4));
    // both series agree where they switch
    assertThat(KolmogorovSmirnov.kolmogorovSurvival(1.1799))
        .isCloseTo(KolmogorovSmirnov.kolmogorovSurvival(1.1801), within(1e-3));
    assertThat(KolmogorovSmirnov.kolmogorovSurvival(0.1)).isEqualTo(1.0);
  }

  @Test
  void ksStatisticOfDisjointGridsIsOne() {
    QuantileGrid low = new QuantileGrid(new double[] {0, 1, 2});
    QuantileGrid high = new QuantileGrid(new double[] {3, 4, 5});

    assertThat(KolmogorovSmirnov.statistic(low, high)).isEqualTo(1.0);
    assertThat(KolmogorovSmirnov.statistic(low, low)).isZero();
  }

  @Test
  void cdfOfAGridCountsTheLevelsAtOrBelow() {
    QuantileGrid grid = new QuantileGrid(new double[] {1, 1, 2, 3, 3});

    assertThat(grid.cdf(0.5)).isZero();
    assertThat(grid.cdf(1)).isEqualTo(0.25);
    assertThat(grid.cdf(2.5)).isEqualTo(0.5);
    assertThat(grid.cdf(3)).isEqualTo(1.0);
  }

  @Test
  void wassersteinOfAShiftIsTheShift() {
    QuantileGrid a = new QuantileGrid(new double[] {0, 1, 2, 3, 4});
    QuantileGrid b = new QuantileGrid(new double[] {0.5, 1.5, 2.5, 3.5, 4.5});

    assertThat(Wasserstein.distance(a, b)).isCloseTo(0.5, within(1e-12));
  }

  @Test
  void jensenShannonOfFixedDistributions() {
    // disjoint: sqrt(ln 2); (1/2, 1/2) against (1, 0): m = (3/4, 1/4),
    // KL(p||m) = ½ ln(2/3) + ½ ln 2 = 0.143841, KL(q||m) = ln(4/3) = 0.287682 → sqrt(0.215762) = 0.464502
    assertThat(JensenShannon.distance(new double[] {1, 0}, new double[] {0, 1}))
        .isCloseTo(Math.sqrt(Math.log(2)), within(1e-12));
    assertThat(JensenShannon.distance(new double[] {5, 5}, new double[] {3, 0})).isCloseTo(0.464502, within(1e-6));
    assertThat(JensenShannon.distance(new double[] {2, 3}, new double[] {4, 6})).isZero();
  }

  @Test
  void chiSquareOfAnUnevenCoin() {
    // reference 50/50, current 10 and 20: e = 15, 15; χ² = 2 · 25 / 15 = 3.3333, df 1, p = 0.0679
    PearsonChiSquare.Result r = PearsonChiSquare.test(new long[] {50, 50}, new long[] {10, 20});

    assertThat(r.statistic()).isCloseTo(10.0 / 3, within(1e-12));
    assertThat(r.pValue()).isCloseTo(0.0679, within(1e-4));
  }

  @Test
  void chiSquareOfASingleCategoryFindsNothing() {
    assertThat(PearsonChiSquare.test(new long[] {7}, new long[] {9}).pValue()).isEqualTo(1.0);
  }

  @Test
  void psiOfEqualGridsIsZeroAndEmptyBinsStayFinite() {
    double[] levels = QuantileGrid.levels(10);
    QuantileGrid reference = new QuantileGrid(levels);
    double[] above = levels.clone();
    for (int i = 0; i < above.length; i++) {
      above[i] += 10; // all current values beyond the last decile
    }

    assertThat(PopulationStability.index(reference, reference)).isZero();
    // nine bins 0.1 → 0.0001 and the last 0.1 → 1: 9 (0.0001 - 0.1) ln(0.001) + 0.9 ln 10
    double expected = 9 * (0.0001 - 0.1) * Math.log(0.0001 / 0.1) + (1 - 0.1) * Math.log(1 / 0.1);
    assertThat(PopulationStability.index(reference, new QuantileGrid(above))).isCloseTo(expected, within(1e-9));
  }

  @Test
  void aGridOutOfOrderIsRefused() {
    assertThatThrownBy(() -> new QuantileGrid(new double[] {2, 1})).isInstanceOf(IllegalArgumentException.class);
  }
}
