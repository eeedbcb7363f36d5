package io.hindsight.server.monitor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;
import static org.assertj.core.api.Assertions.withinPercentage;

import io.hindsight.server.monitor.ColumnProfile.Kind;
import java.sql.SQLException;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class ProfilerTest {
  private SampleTables tables;
  private Profiler profiler;

  @BeforeEach
  void open() throws SQLException {
    tables = new SampleTables();
    profiler = new Profiler(tables.connection());
  }

  @AfterEach
  void close() throws SQLException {
    tables.close();
  }

  @Test
  void numericColumnsGetMomentsExtremesMedianAndMissingShare() throws SQLException {
    double[] values = SampleTables.normal(new Random(11), 999, 50, 5);
    values[0] = Double.NaN;
    tables.numbers("t", "x", values);
    tables.execute("INSERT INTO t VALUES (NULL)");

    ColumnProfile x = profiler.profile("t", List.of(MonitoredColumn.of("x"))).column("x");

    double[] present = Arrays.copyOfRange(values, 1, values.length);
    double[] sorted = present.clone();
    Arrays.sort(sorted);
    assertThat(x.kind()).isEqualTo(Kind.NUMERIC);
    assertThat(x.rows()).isEqualTo(1000);
    assertThat(x.missing()).isEqualTo(2);
    assertThat(x.missingShare()).isEqualTo(0.002);
    assertThat(x.numeric().mean()).isCloseTo(Arrays.stream(present).average().orElseThrow(), within(1e-9));
    assertThat(x.numeric().std()).isCloseTo(DriftFormulas.populationStd(present), within(1e-9));
    assertThat(x.numeric().min()).isEqualTo(sorted[0]);
    assertThat(x.numeric().max()).isEqualTo(sorted[sorted.length - 1]);
    assertThat(x.numeric().p50()).isEqualTo(sorted[(sorted.length - 1) / 2]);
    assertThat(x.numeric().distinctCount()).isCloseTo(998L, withinPercentage(10)); // HyperLogLog
    assertThat(x.categories()).isNull();
  }

  @Test
  void categoriesAreBoundedAndTheRestCountedTogether() throws SQLException {
    int distinct = Profiler.MAX_CATEGORIES + 50;
    // category c0 .. c49 twice, the rest once: the 50 left out are among those seen once
    tables.execute(
        "CREATE TABLE t AS SELECT 'c' || (i % " + distinct + ") AS c FROM range(" + (distinct + 50) + ") r(i)");

    ColumnProfile c = profiler.profile("t", List.of(MonitoredColumn.of("c"))).column("c");

    assertThat(c.kind()).isEqualTo(Kind.CATEGORICAL);
    assertThat(c.categories().counts()).hasSize(Profiler.MAX_CATEGORIES);
    assertThat(c.categories().counts().get("c0")).isEqualTo(2);
    assertThat(c.categories().truncated()).isTrue();
    assertThat(c.categories().distinctCount()).isEqualTo(distinct);
    assertThat(c.categories().otherCount()).isEqualTo(50);
    assertThat(c.numeric()).isNull();
  }

  @Test
  void booleansAndFewNumbersAreCategoricalWithExactCounts() throws SQLException {
    tables.execute("CREATE TABLE t AS SELECT i % 2 = 0 AS b, i % 3 AS k FROM range(300) r(i)");

    ColumnProfiles p = profiler.profile("t", List.of(MonitoredColumn.of("b"), MonitoredColumn.of("k")));

    assertThat(p.column("b").kind()).isEqualTo(Kind.CATEGORICAL);
    assertThat(p.column("b").categories().counts()).containsEntry("true", 150L).containsEntry("false", 150L);
    assertThat(p.column("k").kind()).isEqualTo(Kind.CATEGORICAL);
    assertThat(p.column("k").categories().counts()).containsOnlyKeys("0", "1", "2");
    assertThat(p.column("k").numeric().distinctCount()).isEqualTo(3);
  }

  @Test
  void anEmptyRelationHasNoValues() throws SQLException {
    tables.numbers("t", "x", new double[0]);

    ColumnProfile x = profiler.profile("t", List.of(MonitoredColumn.of("x"))).column("x");

    assertThat(x.rows()).isZero();
    assertThat(x.missingShare()).isZero();
    assertThat(x.numeric()).isNull();
  }
}
