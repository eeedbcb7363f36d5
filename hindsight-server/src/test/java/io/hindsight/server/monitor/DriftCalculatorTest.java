package io.hindsight.server.monitor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;
import static org.assertj.core.api.Assertions.withinPercentage;

import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.apache.commons.statistics.inference.KolmogorovSmirnovTest;
import org.apache.commons.statistics.inference.PValueMethod;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Drift against the formulas on the raw values (DriftFormulas), within DESIGN §10's tolerances:
 * KS D ± 0.01, Wasserstein ± 3 % relative, Jensen–Shannon ± 0.01, p-values on the same side of the
 * threshold.
 */
class DriftCalculatorTest {
  private static final List<MonitoredColumn> X = List.of(MonitoredColumn.of("x"));

  private SampleTables tables;
  private DriftCalculator drift;

  @BeforeEach
  void open() throws SQLException {
    tables = new SampleTables();
    drift = new DriftCalculator(tables.connection());
  }

  @AfterEach
  void close() throws SQLException {
    tables.close();
  }

  @Test
  void ksOfTwoTinySamplesIsTheLargestGapBetweenTheirStepCdfsWithKolmogorovsLimitAsPValue() throws SQLException {
    tables.numbers("ref", "x", new double[] {1, 2, 3, 4, 5, 6, 7});
    tables.numbers("cur", "x", new double[] {3, 4, 5, 6, 7, 8, 9});

    ColumnDrift x = drift.compute("ref", "cur", X, null).columns().get(0);

    // F_ref(2) = 2/7, F_cur(2) = 0: D = 2/7. en = 7 * 7 / 14 = 3.5, z = sqrt(3.5) * 2/7 = 0.5345,
    // P(K > z) = 2 (e^(-2z^2) - e^(-8z^2) + e^(-18z^2) - ...) = 2 (0.5647 - 0.1017 + 0.0058 - 0.0001)
    assertThat(x.method()).isEqualTo("ks");
    assertThat(x.statistic()).isCloseTo(2.0 / 7, within(0.001));
    assertThat(x.pValue()).isCloseTo(0.9375, within(0.001));
    assertThat(x.drifted()).isFalse();
  }

  @Test
  void smallReferenceUsesKsAndFindsAShift() throws SQLException {
    Random random = new Random(1);
    double[] ref = SampleTables.normal(random, 800, 10, 2);
    double[] cur = SampleTables.normal(random, 900, 10.6, 2);
    tables.numbers("ref", "x", ref);
    tables.numbers("cur", "x", cur);

    ColumnDrift x = drift.compute("ref", "cur", X, null).columns().get(0);

    assertThat(x.kind()).isEqualTo("numeric");
    assertThat(x.method()).isEqualTo("ks");
    assertThat(x.threshold()).isEqualTo(0.05);
    assertThat(x.statistic()).isCloseTo(DriftFormulas.ksStatistic(ref, cur), within(0.01));
    assertThat(asymptoticP(ref, cur)).isLessThan(0.05);
    assertThat(x.pValue()).isLessThan(0.05);
    assertThat(x.drifted()).isTrue();
  }

  @Test
  void sameDistributionIsNotDriftedOnASmallReference() throws SQLException {
    Random random = new Random(2);
    double[] ref = SampleTables.normal(random, 1000, 0, 1);
    double[] cur = SampleTables.normal(random, 1500, 0, 1);
    tables.numbers("ref", "x", ref);
    tables.numbers("cur", "x", cur);

    ColumnDrift x = drift.compute("ref", "cur", X, null).columns().get(0);

    assertThat(x.method()).isEqualTo("ks");
    assertThat(x.statistic()).isCloseTo(DriftFormulas.ksStatistic(ref, cur), within(0.01));
    assertThat(asymptoticP(ref, cur)).isGreaterThan(0.05);
    assertThat(x.pValue()).isGreaterThan(0.05);
    assertThat(x.drifted()).isFalse();
  }

  @Test
  void referenceAboveAThousandRowsSwitchesToWassersteinAndJensenShannon() throws SQLException {
    Random random = new Random(3);
    double[] ref = SampleTables.normal(random, 1001, 5, 3);
    double[] cur = SampleTables.normal(random, 1200, 6, 3);
    tables.numbers("ref", "x", ref);
    tables.numbers("cur", "x", cur);
    tables.texts("ref_c", "c", draw(random, 1001, new String[] {"a", "b", "c"}, new double[] {0.5, 0.3, 0.2}));
    tables.texts("cur_c", "c", draw(random, 1200, new String[] {"a", "b", "c"}, new double[] {0.5, 0.3, 0.2}));

    ColumnDrift x = drift.compute("ref", "cur", X, null).columns().get(0);
    ColumnDrift c = drift.compute("ref_c", "cur_c", List.of(MonitoredColumn.of("c")), null).columns().get(0);

    assertThat(x.method()).isEqualTo("wasserstein_norm");
    assertThat(x.pValue()).isNull();
    assertThat(x.threshold()).isEqualTo(0.1);
    assertThat(x.statistic())
        .isCloseTo(DriftFormulas.wasserstein(ref, cur) / DriftFormulas.populationStd(ref), withinPercentage(3));
    assertThat(x.drifted()).isTrue();
    assertThat(c.kind()).isEqualTo("categorical");
    assertThat(c.method()).isEqualTo("jensenshannon");
    assertThat(c.drifted()).isFalse();
  }

  @Test
  void largeWindowsMeetTheToleranceThroughTheSketch() throws SQLException {
    Random random = new Random(4);
    int n = (int) Profiler.EXACT_QUANTILE_ROWS * 3;
    double[] ref = lognormal(random, n, 0, 1);
    double[] cur = lognormal(random, n + 5_000, 0.1, 1.1);
    tables.numbers("ref", "x", ref);
    tables.numbers("cur", "x", cur);

    ColumnDrift w = drift.compute("ref", "cur", X, null).columns().get(0);
    ColumnDrift ks = drift.compute("ref", "cur", X, DriftMethod.KS).columns().get(0);
    ColumnDrift psi = drift.compute("ref", "cur", X, DriftMethod.PSI).columns().get(0);

    assertThat(w.statistic())
        .isCloseTo(DriftFormulas.wasserstein(ref, cur) / DriftFormulas.populationStd(ref), withinPercentage(3));
    assertThat(ks.statistic()).isCloseTo(DriftFormulas.ksStatistic(ref, cur), within(0.01));
    assertThat(psi.statistic()).isCloseTo(DriftFormulas.psi(ref, cur), within(0.01));
  }

  @Test
  void largeWindowsOfTiedIntegersMeetTheToleranceThroughTheSketch() throws SQLException {
    Random random = new Random(12);
    int n = (int) Profiler.EXACT_QUANTILE_ROWS * 3;
    double[] ref = new double[n];
    double[] cur = new double[n];
    for (int i = 0; i < n; i++) {
      ref[i] = random.nextInt(40);
      cur[i] = Math.min(39, random.nextInt(40) + (random.nextDouble() < 0.2 ? 3 : 0));
    }
    tables.numbers("ref", "x", ref);
    tables.numbers("cur", "x", cur);

    ColumnDrift w = drift.compute("ref", "cur", X, null).columns().get(0);
    ColumnDrift ks = drift.compute("ref", "cur", X, DriftMethod.KS).columns().get(0);

    assertThat(w.statistic())
        .isCloseTo(DriftFormulas.wasserstein(ref, cur) / DriftFormulas.populationStd(ref), withinPercentage(3));
    assertThat(ks.statistic()).isCloseTo(DriftFormulas.ksStatistic(ref, cur), within(0.01));
  }

  @Test
  void largeZeroInflatedWindowsMeetTheToleranceThroughTheSketch() throws SQLException {
    Random random = new Random(13);
    int n = (int) Profiler.EXACT_QUANTILE_ROWS * 3;
    double[] ref = new double[n];
    double[] cur = new double[n];
    for (int i = 0; i < n; i++) {
      ref[i] = random.nextDouble() < 0.6 ? 0 : Math.exp(3 + random.nextGaussian());
      cur[i] = random.nextDouble() < 0.5 ? 0 : Math.exp(3 + random.nextGaussian());
    }
    tables.numbers("ref", "x", ref);
    tables.numbers("cur", "x", cur);

    ColumnDrift w = drift.compute("ref", "cur", X, null).columns().get(0);
    ColumnDrift ks = drift.compute("ref", "cur", X, DriftMethod.KS).columns().get(0);

    assertThat(w.statistic())
        .isCloseTo(DriftFormulas.wasserstein(ref, cur) / DriftFormulas.populationStd(ref), withinPercentage(3));
    assertThat(ks.statistic()).isCloseTo(DriftFormulas.ksStatistic(ref, cur), within(0.01));
  }

  @Test
  void windowsLargerThanTheQuantileSampleMeetTheTolerance() throws SQLException {
    Random random = new Random(21);
    int n = Profiler.QUANTILE_SAMPLE * 3;
    double[] ref = lognormal(random, n, 0, 1);
    double[] cur = lognormal(random, n, 0.05, 1);
    tables.numbers("ref", "x", ref);
    tables.numbers("cur", "x", cur);

    ColumnDrift w = drift.compute("ref", "cur", X, null).columns().get(0);
    ColumnDrift ks = drift.compute("ref", "cur", X, DriftMethod.KS).columns().get(0);

    assertThat(w.statistic())
        .isCloseTo(DriftFormulas.wasserstein(ref, cur) / DriftFormulas.populationStd(ref), withinPercentage(3));
    assertThat(ks.statistic()).isCloseTo(DriftFormulas.ksStatistic(ref, cur), within(0.01));
  }

  @Test
  void sameDistributionIsNotDriftedOnALargeReference() throws SQLException {
    Random random = new Random(5);
    double[] ref = SampleTables.normal(random, 20_000, 100, 15);
    double[] cur = SampleTables.normal(random, 25_000, 100, 15);
    tables.numbers("ref", "x", ref);
    tables.numbers("cur", "x", cur);

    ColumnDrift x = drift.compute("ref", "cur", X, null).columns().get(0);

    assertThat(x.method()).isEqualTo("wasserstein_norm");
    assertThat(x.statistic()).isLessThan(0.1);
    assertThat(x.drifted()).isFalse();
  }

  @Test
  void numbersWithAtMostFiveDistinctValuesAreComparedAsCategories() throws SQLException {
    Random random = new Random(6);
    double[] ref = new double[600];
    double[] cur = new double[700];
    for (int i = 0; i < ref.length; i++) {
      ref[i] = random.nextInt(5);
    }
    for (int i = 0; i < cur.length; i++) {
      cur[i] = random.nextInt(6); // 5 is new in the current window
    }
    tables.numbers("ref", "x", ref);
    tables.numbers("cur", "x", cur);

    ColumnDrift x = drift.compute("ref", "cur", X, null).columns().get(0);

    List<String> refText = asText(ref);
    List<String> curText = asText(cur);
    double chi = DriftFormulas.chiSquare(refText, curText);
    assertThat(x.kind()).isEqualTo("categorical");
    assertThat(x.method()).isEqualTo("chisquare");
    assertThat(x.statistic()).isCloseTo(chi, withinPercentage(0.0001));
    assertThat(x.drifted()).isTrue();
  }

  @Test
  void sixDistinctNumbersAreNumeric() throws SQLException {
    tables.numbers("ref", "x", new double[] {1, 2, 3, 4, 5, 6, 1, 2});
    tables.numbers("cur", "x", new double[] {1, 2, 3});

    assertThat(drift.compute("ref", "cur", X, null).columns().get(0).kind()).isEqualTo("numeric");
  }

  @Test
  void chiSquareCountsCategoriesNewInTheCurrentWindowAgainstATinyShare() throws SQLException {
    List<String> ref = repeat(Map.of("a", 50, "b", 30, "c", 20));
    List<String> cur = repeat(Map.of("a", 45, "b", 30, "c", 20, "d", 5));
    tables.texts("ref", "c", ref);
    tables.texts("cur", "c", cur);

    ColumnDrift c = drift.compute("ref", "cur", List.of(MonitoredColumn.of("c")), null).columns().get(0);

    // d: expected 0.0001 * 100 = 0.01, (5 - 0.01)^2 / 0.01 = 2490.01; a: (45 - 50)^2 / 50 = 0.5
    assertThat(c.statistic()).isCloseTo(2490.51, within(1e-6));
    assertThat(c.statistic()).isCloseTo(DriftFormulas.chiSquare(ref, cur), within(1e-6));
    assertThat(c.pValue()).isLessThan(1e-10);
    assertThat(c.drifted()).isTrue();
  }

  @Test
  void jensenShannonMatchesTheFormulaWhenCategoriesAppearAndVanish() throws SQLException {
    Random random = new Random(7);
    List<String> ref = draw(random, 3000, new String[] {"a", "b", "c", "d"}, new double[] {0.4, 0.3, 0.2, 0.1});
    List<String> cur = draw(random, 2000, new String[] {"a", "b", "c", "e"}, new double[] {0.2, 0.3, 0.3, 0.2});
    tables.texts("ref", "c", ref);
    tables.texts("cur", "c", cur);

    ColumnDrift c = drift.compute("ref", "cur", List.of(MonitoredColumn.of("c")), null).columns().get(0);

    assertThat(c.method()).isEqualTo("jensenshannon");
    assertThat(c.statistic()).isCloseTo(DriftFormulas.jensenShannon(ref, cur), within(1e-9));
    assertThat(c.drifted()).isTrue();
  }

  @Test
  void missingAndInfiniteValuesAreLeftOutAndReportedAsShares() throws SQLException {
    Random random = new Random(8);
    double[] ref = SampleTables.normal(random, 2000, 0, 1);
    double[] cur = SampleTables.normal(random, 2000, 0.5, 1);
    for (int i = 0; i < 100; i++) {
      cur[i * 20] = i % 2 == 0 ? Double.NaN : Double.POSITIVE_INFINITY;
    }
    tables.numbers("ref", "x", ref);
    tables.numbers("cur", "x", cur);
    tables.execute("UPDATE ref SET x = NULL WHERE rowid < 50");

    ColumnDrift x = drift.compute("ref", "cur", X, null).columns().get(0);

    double[] refValues = Arrays.copyOfRange(ref, 50, ref.length);
    double[] curValues = Arrays.stream(cur).filter(Double::isFinite).toArray();
    assertThat(x.referenceMissingShare()).isEqualTo(50 / 2000.0);
    assertThat(x.currentMissingShare()).isEqualTo(100 / 2000.0);
    assertThat(x.statistic()).isCloseTo(
        DriftFormulas.wasserstein(refValues, curValues) / DriftFormulas.populationStd(refValues), withinPercentage(3));
  }

  @Test
  void missingCategoriesAreLeftOutAndReportedAsShares() throws SQLException {
    List<String> ref = new ArrayList<>(repeat(Map.of("a", 60, "b", 30)));
    ref.addAll(java.util.Collections.nCopies(10, null));
    List<String> cur = repeat(Map.of("a", 60, "b", 40));
    tables.texts("ref", "c", ref);
    tables.texts("cur", "c", cur);

    ColumnDrift c = drift.compute("ref", "cur", List.of(MonitoredColumn.of("c")), null).columns().get(0);

    assertThat(c.referenceMissingShare()).isEqualTo(0.1);
    assertThat(c.currentMissingShare()).isZero();
    assertThat(c.statistic())
        .isCloseTo(DriftFormulas.chiSquare(ref.subList(0, 90), cur), within(1e-9));
  }

  @Test
  void forcedPsiComparesNumericColumnsOverTheReferenceDecilesAndLeavesCategoricalOnesTheirDefault()
      throws SQLException {
    Random random = new Random(9);
    double[] ref = SampleTables.normal(random, 3000, 0, 1);
    double[] cur = SampleTables.normal(random, 3000, 0.7, 1.3);
    double[] few = new double[3000];
    for (int i = 0; i < few.length; i++) {
      few[i] = i % 3;
    }
    Map<String, double[]> refColumns = new LinkedHashMap<>();
    refColumns.put("x", ref);
    refColumns.put("k", few);
    Map<String, double[]> curColumns = new LinkedHashMap<>();
    curColumns.put("x", cur);
    curColumns.put("k", few);
    tables.numbers("ref", refColumns);
    tables.numbers("cur", curColumns);

    List<ColumnDrift> columns =
        drift.compute("ref", "cur", List.of(MonitoredColumn.of("x"), MonitoredColumn.of("k")), DriftMethod.PSI)
            .columns();

    assertThat(columns.get(0).method()).isEqualTo("psi");
    assertThat(columns.get(0).threshold()).isEqualTo(0.2);
    assertThat(columns.get(0).statistic()).isCloseTo(DriftFormulas.psi(ref, cur), within(0.005));
    assertThat(columns.get(0).drifted()).isTrue();
    assertThat(columns.get(1).kind()).isEqualTo("categorical");
    assertThat(columns.get(1).method()).isEqualTo("jensenshannon");
    assertThat(columns.get(1).statistic()).isZero();
  }

  @Test
  void datasetDriftsWhenHalfTheColumnsOrMoreDrift() throws SQLException {
    Random random = new Random(10);
    Map<String, double[]> ref = new LinkedHashMap<>();
    Map<String, double[]> cur = new LinkedHashMap<>();
    for (String name : List.of("a", "b", "c", "d")) {
      ref.put(name, SampleTables.normal(random, 2000, 0, 1));
    }
    cur.put("a", SampleTables.normal(random, 2000, 1, 1));
    cur.put("b", SampleTables.normal(random, 2000, 1, 1));
    cur.put("c", SampleTables.normal(random, 2000, 0, 1));
    cur.put("d", SampleTables.normal(random, 2000, 0, 1));
    tables.numbers("ref", ref);
    tables.numbers("cur", cur);
    List<MonitoredColumn> four = ref.keySet().stream().map(MonitoredColumn::of).toList();

    DriftReport half = drift.compute("ref", "cur", four, null);
    DriftReport quarter = drift.compute("ref", "cur", four.subList(1, 4), null);

    assertThat(half.columns()).extracting(ColumnDrift::drifted).containsExactly(true, true, false, false);
    assertThat(half.driftedShare()).isEqualTo(0.5);
    assertThat(half.datasetDrift()).isTrue();
    assertThat(quarter.driftedShare()).isCloseTo(1 / 3.0, within(1e-12));
    assertThat(quarter.datasetDrift()).isFalse();
    assertThat(half.referenceRows()).isEqualTo(2000);
    assertThat(half.currentRows()).isEqualTo(2000);
  }

  @Test
  void aColumnWithoutValuesOnOneSideIsReportedWithoutAStatistic() throws SQLException {
    tables.numbers("ref", "x", new double[] {1, 2, 3, 4, 5, 6, 7, 8});
    tables.numbers("cur", "x", new double[] {Double.NaN, Double.NaN});

    DriftReport report = drift.compute("ref", "cur", X, null);

    ColumnDrift x = report.columns().get(0);
    assertThat(x.statistic()).isNull();
    assertThat(x.pValue()).isNull();
    assertThat(x.drifted()).isFalse();
    assertThat(x.currentMissingShare()).isEqualTo(1.0);
    assertThat(report.driftedShare()).isZero();
  }

  @Test
  void anEmptyReferenceIsRefused() throws SQLException {
    tables.numbers("ref", "x", new double[0]);
    tables.numbers("cur", "x", new double[] {1, 2, 3});

    assertThatThrownBy(() -> drift.compute("ref", "cur", X, null))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("the reference window has no rows");
  }

  @Test
  void aColumnListedTwiceIsRefused() throws SQLException {
    tables.numbers("t", "x", new double[] {1, 2, 3});

    assertThatThrownBy(() -> drift.compute("t", "t", List.of(MonitoredColumn.of("x"), MonitoredColumn.of("x")), null))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("listed twice");
  }

  @Test
  void relationsMayBeSubqueriesAndColumnsExpressions() throws SQLException {
    tables.execute(
        "CREATE TABLE t AS SELECT i, CASE WHEN i % 2 = 0 THEN 'even' ELSE 'odd' END AS p FROM range(2000) r(i)");

    DriftReport report = drift.compute("(SELECT * FROM t WHERE i < 1000)", "(SELECT * FROM t WHERE i >= 1000)",
        List.of(new MonitoredColumn("scaled", "i / 1000.0"), new MonitoredColumn("parity", "p")), null);

    assertThat(report.referenceRows()).isEqualTo(1000);
    assertThat(report.columns().get(0).statistic()).isCloseTo(1.0, within(0.002)); // disjoint ranges: D = 1
    assertThat(report.columns().get(1).statistic()).isZero();
  }

  private static double asymptoticP(double[] a, double[] b) {
    return KolmogorovSmirnovTest.withDefaults().with(PValueMethod.ASYMPTOTIC).test(a, b).getPValue();
  }

  private static double[] lognormal(Random random, int n, double mu, double sigma) {
    double[] v = SampleTables.normal(random, n, mu, sigma);
    return Arrays.stream(v).map(Math::exp).toArray();
  }

  private static List<String> draw(Random random, int n, String[] categories, double[] shares) {
    List<String> values = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      double u = random.nextDouble();
      int k = 0;
      while (k < shares.length - 1 && u >= shares[k]) {
        u -= shares[k];
        k++;
      }
      values.add(categories[k]);
    }
    return values;
  }

  private static List<String> repeat(Map<String, Integer> counts) {
    List<String> values = new ArrayList<>();
    new java.util.TreeMap<>(counts).forEach((k, n) -> values.addAll(java.util.Collections.nCopies(n, k)));
    return values;
  }

  /** Values as DuckDB writes a DOUBLE as text. */
  private static List<String> asText(double[] values) {
    return Arrays.stream(values).mapToObj(v -> Double.toString(v)).toList();
  }
}
