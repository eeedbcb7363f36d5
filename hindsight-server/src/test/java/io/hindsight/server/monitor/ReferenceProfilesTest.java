package io.hindsight.server.monitor;

import static org.assertj.core.api.Assertions.assertThat;

import io.hindsight.server.ops.ManualScheduler;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

class ReferenceProfilesTest {
  @Test
  void aReferenceIsScannedOnceAnHourNotAtEveryComparison() throws Exception {
    ManualScheduler time = new ManualScheduler();
    ReferenceProfiles profiles = new ReferenceProfiles(time.clock());
    try (Connection db = DriverManager.getConnection("jdbc:duckdb:");
        Statement st = db.createStatement()) {
      st.execute("CREATE TABLE ref AS SELECT range::DOUBLE AS x FROM range(100)");
      DriftCalculator calculator = new DriftCalculator(db);
      List<MonitoredColumn> columns = List.of(new MonitoredColumn("x", "x"));

      assertThat(profiles.get(calculator, "ref", columns).rows()).isEqualTo(100);
      st.execute("INSERT INTO ref SELECT range::DOUBLE FROM range(50)");
      time.advance(ReferenceProfiles.KEEP.minus(Duration.ofSeconds(1)));
      assertThat(profiles.get(calculator, "ref", columns).rows()).as("kept").isEqualTo(100);
      assertThat(profiles.get(calculator, "ref", List.of(new MonitoredColumn("y", "x * 2"))).rows())
          .as("other columns are another profile")
          .isEqualTo(150);
      time.advance(Duration.ofSeconds(1));
      assertThat(profiles.get(calculator, "ref", columns).rows()).as("scanned again after an hour").isEqualTo(150);
    }
  }
}
