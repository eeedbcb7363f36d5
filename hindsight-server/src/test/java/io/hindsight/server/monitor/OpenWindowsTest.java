package io.hindsight.server.monitor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.JsonNode;
import io.hindsight.server.TestServer;
import io.hindsight.server.ops.ManualScheduler;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Random;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The metric store's open windows on a real server whose time the test steps: each refresh folds
 * only the rows stored since the previous one into sketches, whatever compaction did to their
 * files meanwhile; rows for an hour in its grace are folded, later ones recompute it from the
 * lake; a restart builds the windows again; sketch figures stay within DESIGN §10's tolerances.
 */
class OpenWindowsTest {
  @TempDir Path dir;

  private static final String HOUR = "granularity=1h&from=2026-11-30T12:00:00Z&to=2026-11-30T13:00:00Z";

  /** n records from {@code first}, one a second: amount = index, latency 10 ms a step. */
  private static String records(String prefix, Instant first, int from, int n) {
    StringBuilder sb = new StringBuilder("[");
    for (int i = from; i < from + n; i++) {
      sb.append(i == from ? "" : ",")
          .append("{\"prediction_id\": \"").append(prefix).append(i)
          .append("\", \"ts\": \"").append(first.plusSeconds(i)).append("\", \"latency_ms\": ").append(10.0 * i)
          .append(", \"tags\": {\"segment\": \"").append(i % 2 == 0 ? "a" : "b")
          .append("\"}, \"data\": {\"amount\": ").append(i).append("}}");
    }
    return sb.append("]").toString();
  }

  private static double value(TestServer s, String query) {
    JsonNode points = s.get("/v1/endpoints/fraud/metrics?" + query).json().get("points");
    assertThat(points).as(query).hasSize(1);
    return points.get(0).get("value").asDouble();
  }

  /** The rows a figure stands for; for a quantile, the values in its sketch. */
  private static long rows(TestServer s, String query) {
    JsonNode points = s.get("/v1/endpoints/fraud/metrics?" + query).json().get("points");
    assertThat(points).as(query).hasSize(1);
    return points.get(0).get("rows").asLong();
  }

  private static long rowsFolded(TestServer s) {
    return counter(s, "hindsight_monitor_rows_folded_total");
  }

  private static long counter(TestServer s, String name) {
    Matcher m = Pattern.compile("(?m)^" + name + " (\\S+)$").matcher(s.get("/metrics").body());
    assertThat(m.find()).as(name + " in /metrics").isTrue();
    return (long) Double.parseDouble(m.group(1));
  }

  private static void configure(TestServer s) {
    assertThat(s.putJson("/v1/endpoints/fraud/monitoring", "{\"features\": [\"amount\"], \"segments\": [\"tags.segment\"]}").status())
        .isEqualTo(200);
  }

  @Test
  void aRefreshReadsOnlyTheRowsStoredSinceThePreviousOneEvenAfterCompactionMergedTheirFiles() throws Exception {
    ManualScheduler time = new ManualScheduler(Instant.parse("2026-11-30T12:30:00Z"));
    try (TestServer s = new TestServer(dir, c -> c.lake.compactionMinFiles = 2, time)) {
      Instant start = Instant.parse("2026-11-30T12:00:00Z");
      assertThat(s.predictions("fraud", records("r", start, 0, 40)).status()).isEqualTo(200);
      configure(s);
      time.advance(Duration.ofMinutes(1));
      assertThat(value(s, "metric=volume&" + HOUR)).isEqualTo(40);
      long afterFirst = rowsFolded(s);
      assertThat(afterFirst).as("the first refresh builds the open hour from the lake").isEqualTo(40);

      // Three more files, merged with the first before the next refresh reads them.
      for (int batch = 0; batch < 3; batch++) {
        assertThat(s.predictions("fraud", records("r", start, 40 + 10 * batch, 10)).status()).isEqualTo(200);
        s.flush();
      }
      assertThat(s.compact()).isPositive();
      time.advance(Duration.ofMinutes(1));
      assertThat(rowsFolded(s) - afterFirst).as("only the 30 new rows are read").isEqualTo(30);
      assertThat(value(s, "metric=volume&" + HOUR)).isEqualTo(70);
      assertThat(value(s, "metric=volume&segment=tags.segment=a&" + HOUR)).isEqualTo(35);
      assertThat(value(s, "metric=mean&column=amount&" + HOUR)).isCloseTo(34.5, within(1e-9));
      assertThat(value(s, "metric=max&column=amount&" + HOUR)).isEqualTo(69);
      assertThat(value(s, "metric=p50&column=amount&" + HOUR)).isCloseTo(34.5, within(1e-9));
      assertThat(value(s, "metric=latency_p95&" + HOUR)).isCloseTo(10 * 0.95 * 69, within(1e-9));
      assertThat(value(s, "metric=distinct_count&column=amount&" + HOUR)).isEqualTo(70);
      assertThat(value(s, "metric=missing_share&column=amount&" + HOUR)).isZero();
    }
  }

  @Test
  void aDayBegunBeforeTheStoreSawItIsComputedFromTheRowsOnlyWhenAnHourEnds() throws Exception {
    ManualScheduler time = new ManualScheduler(Instant.parse("2026-11-30T12:30:00Z"));
    try (TestServer s = new TestServer(dir, c -> {}, time)) {
      Instant start = Instant.parse("2026-11-30T12:00:00Z");
      assertThat(s.predictions("fraud", records("r", start, 0, 40)).status()).isEqualTo(200);
      configure(s);
      time.advance(Duration.ofMinutes(1));
      long computed = counter(s, "hindsight_monitor_windows_computed_total");
      for (int minute = 0; minute < 3; minute++) {
        assertThat(s.predictions("fraud", records("m" + minute, start, 100 + 10 * minute, 10)).status()).isEqualTo(200);
        time.advance(Duration.ofMinutes(1));
      }
      assertThat(counter(s, "hindsight_monitor_windows_computed_total") - computed)
          .as("each refresh computes the kept hour alone, from its sketches")
          .isEqualTo(3);
      assertThat(value(s, "metric=volume&" + HOUR)).isEqualTo(70);
    }
  }

  @Test
  void rowsForAnHourInItsGraceAreFoldedAndLaterOnesRecomputeItFromTheLake() throws Exception {
    ManualScheduler time = new ManualScheduler(Instant.parse("2026-11-30T12:58:00Z"));
    try (TestServer s = new TestServer(dir, c -> {}, time)) {
      Instant start = Instant.parse("2026-11-30T12:00:00Z");
      assertThat(s.predictions("fraud", records("r", start, 0, 20)).status()).isEqualTo(200);
      configure(s);
      time.advance(Duration.ofMinutes(1));
      time.advance(Duration.ofMinutes(2)); // 13:01: 12:00 closed a minute ago, still in its grace
      long folded = rowsFolded(s);
      assertThat(s.predictions("fraud", records("late", start.plusSeconds(3000), 0, 3)).status()).isEqualTo(200);
      time.advance(Duration.ofMinutes(1));
      assertThat(rowsFolded(s) - folded).isEqualTo(3);
      assertThat(value(s, "metric=volume&" + HOUR)).isEqualTo(23);

      time.advance(OpenWindows.GRACE); // 12:00 is final now; a later row makes the store read it again
      assertThat(s.predictions("fraud", records("later", start.plusSeconds(3300), 0, 2)).status()).isEqualTo(200);
      time.advance(Duration.ofMinutes(1));
      assertThat(value(s, "metric=volume&" + HOUR)).isEqualTo(25);
      assertThat(value(s, "metric=max&column=amount&" + HOUR)).isEqualTo(19);
    }
  }

  @Test
  void aDaySeenFromItsStartIsKeptAndARestartBuildsTheOpenHourAgain() throws Exception {
    ManualScheduler time = new ManualScheduler(Instant.parse("2026-11-30T23:59:00Z"));
    try (TestServer s = new TestServer(dir, c -> {}, time)) {
      configure(s);
      time.advance(Duration.ofMinutes(1)); // 00:00 on 12-01: the store sees the day from its start
      Instant day = Instant.parse("2026-12-01T00:00:00Z");
      assertThat(s.predictions("fraud", records("a", day, 0, 30)).status()).isEqualTo(200);
      time.advance(Duration.ofMinutes(1));
      String dayWindow = "granularity=1d&from=2026-12-01T00:00:00Z&to=2026-12-02T00:00:00Z";
      long folded = rowsFolded(s);
      assertThat(value(s, "metric=volume&" + dayWindow)).isEqualTo(30);
      assertThat(value(s, "metric=mean&column=amount&" + dayWindow)).isCloseTo(14.5, within(1e-9));

      s.restart();
      assertThat(s.predictions("fraud", records("b", day, 30, 10)).status()).isEqualTo(200);
      time.advance(Duration.ofMinutes(1));
      String hour = "granularity=1h&from=2026-12-01T00:00:00Z&to=2026-12-01T01:00:00Z";
      assertThat(value(s, "metric=volume&" + hour)).isEqualTo(40);
      assertThat(value(s, "metric=mean&column=amount&" + hour)).isCloseTo(19.5, within(1e-9));
      assertThat(rowsFolded(s)).as("counted since the restart: the rebuild read the hour's 40 rows").isEqualTo(40);
      assertThat(folded).isEqualTo(30);
    }
  }

  @Test
  void aDayTakesItsHoursSketchesAndCountsEachNumberOnce() throws Exception {
    ManualScheduler time = new ManualScheduler(Instant.parse("2026-11-30T23:59:00Z"));
    try (TestServer s = new TestServer(dir, c -> {}, time)) {
      configure(s);
      time.advance(Duration.ofMinutes(1)); // 00:00 on 12-01: the day is kept from its start
      Instant day = Instant.parse("2026-12-01T00:00:00Z");
      String dayWindow = "granularity=1d&from=2026-12-01T00:00:00Z&to=2026-12-02T00:00:00Z";
      assertThat(s.predictions("fraud", records("a", day, 0, 30)).status()).isEqualTo(200); // amounts 0..29
      time.advance(Duration.ofMinutes(1));
      assertThat(value(s, "metric=p50&column=amount&" + dayWindow)).isCloseTo(14.5, within(1e-9));

      time.advance(Duration.ofMinutes(59)); // 01:00
      Instant second = day.plus(Duration.ofHours(1));
      assertThat(s.predictions("fraud", records("b", second, 100, 20)).status()).isEqualTo(200); // 100..119
      time.advance(Duration.ofMinutes(1));
      // Both hours kept: the day's figures merge their sketches.
      assertThat(value(s, "metric=p50&column=amount&" + dayWindow)).isCloseTo(24.5, within(1e-9));
      assertThat(value(s, "metric=latency_p50&" + dayWindow)).isCloseTo(245, within(1e-9));
      assertThat(rows(s, "metric=latency_p50&" + dayWindow)).as("latencies in the day's sketch").isEqualTo(50);

      time.advance(OpenWindows.GRACE); // 00:00 leaves the kept windows; the day takes its sketches
      assertThat(s.predictions("fraud", records("c", second, 200, 10)).status()).isEqualTo(200); // 200..209
      time.advance(Duration.ofMinutes(1));
      // 60 values: had the first hour been lost or counted apart from the rest twice, the median
      // would not be 64.5; had every value been counted twice, the sketch would hold 120.
      assertThat(value(s, "metric=p50&column=amount&" + dayWindow)).isCloseTo(64.5, within(1e-9));
      assertThat(value(s, "metric=latency_p50&" + dayWindow)).isCloseTo(645, within(1e-9));
      assertThat(rows(s, "metric=latency_p50&" + dayWindow)).as("latencies in the day's sketch").isEqualTo(60);
      assertThat(value(s, "metric=distinct_count&column=amount&" + dayWindow)).isCloseTo(60, within(0.5));
      assertThat(value(s, "metric=p50&column=amount&segment=tags.segment=a&" + dayWindow))
          .as("even amounts of the 60").isCloseTo(64, within(1e-9));
      assertThat(value(s, "metric=volume&" + dayWindow)).isEqualTo(60);
    }
  }

  @Test
  void withoutSegmentsNumbersGoToTheSketchesOfAllRows() throws Exception {
    ManualScheduler time = new ManualScheduler(Instant.parse("2026-11-30T23:59:00Z"));
    try (TestServer s = new TestServer(dir, c -> {}, time)) {
      assertThat(s.putJson("/v1/endpoints/fraud/monitoring", "{\"features\": [\"amount\"]}").status()).isEqualTo(200);
      time.advance(Duration.ofMinutes(1));
      Instant day = Instant.parse("2026-12-01T00:00:00Z");
      String hour = "granularity=1h&from=2026-12-01T00:00:00Z&to=2026-12-01T01:00:00Z";
      String dayWindow = "granularity=1d&from=2026-12-01T00:00:00Z&to=2026-12-02T00:00:00Z";
      assertThat(s.predictions("fraud", records("a", day, 0, 21)).status()).isEqualTo(200); // amounts 0..20
      time.advance(Duration.ofMinutes(1));
      assertThat(s.predictions("fraud", records("b", day, 21, 20)).status()).isEqualTo(200); // 21..40
      time.advance(Duration.ofMinutes(1));
      for (String window : new String[] {hour, dayWindow}) {
        assertThat(value(s, "metric=p50&column=amount&" + window)).as(window).isCloseTo(20, within(1e-9));
        assertThat(value(s, "metric=latency_p50&" + window)).as(window).isCloseTo(200, within(1e-9));
        assertThat(rows(s, "metric=latency_p50&" + window)).as(window).isEqualTo(41);
        assertThat(value(s, "metric=distinct_count&column=amount&" + window)).as(window).isCloseTo(41, within(0.5));
      }
    }
  }

  @Test
  void sketchFiguresOfALargeWindowStayWithinTheToleranceDesignAllows() throws Exception {
    ManualScheduler time = new ManualScheduler(Instant.parse("2026-11-30T12:50:00Z"));
    try (TestServer s = new TestServer(dir, c -> {}, time)) {
      Random random = new Random(7);
      // Yesterday is the reference (the default: the 7 days before the window's day); today's amounts are shifted.
      for (int part = 0; part < 6; part++) {
        boolean today = part >= 2;
        StringBuilder sb = new StringBuilder("[");
        for (int i = 0; i < 5_000; i++) {
          Instant ts = today
              ? Instant.parse("2026-11-30T12:00:00Z").plusMillis((part - 2) * 600_000L + i * 100L)
              : Instant.parse("2026-11-29T00:00:00Z").plusSeconds(part * 40_000L + i * 8L);
          double amount = 100 + 15 * random.nextGaussian() + (today ? 6 : 0);
          sb.append(i == 0 ? "" : ",").append("{\"ts\": \"").append(ts).append("\", \"latency_ms\": ")
              .append(Math.round(50 + 10 * random.nextGaussian())).append(", \"data\": {\"amount\": ").append(amount).append("}}");
        }
        assertThat(s.predictions("fraud", sb.append("]").toString()).status()).isEqualTo(200);
      }
      configure(s);
      time.advance(Duration.ofMinutes(1));
      assertThat(rowsFolded(s)).as("the open hour came from sketches").isEqualTo(20_000);

      JsonNode drift =
          s.get("/v1/endpoints/fraud/drift?from=2026-11-30T12:00:00Z&to=2026-11-30T13:00:00Z"
                  + "&reference_from=2026-11-23T00:00:00Z&reference_to=2026-11-30T00:00:00Z").json();
      JsonNode amount = drift.get("columns").get(0);
      assertThat(amount.get("method").asText()).isEqualTo("wasserstein_norm");
      double exact = amount.get("statistic").asDouble();
      assertThat(value(s, "metric=drift&column=amount&" + HOUR)).isCloseTo(exact, within(0.03 * exact));

      double p50 = value(s, "metric=p50&column=amount&" + HOUR);
      double rank =
          s.scalar("SELECT avg(CASE WHEN amount <= ? THEN 1.0 ELSE 0.0 END) FROM predictions WHERE ts >= TIMESTAMPTZ '2026-11-30 12:00:00+00'", p50)
              .asDouble();
      assertThat(rank).as("rank of the sketch's median").isCloseTo(0.5, within(0.01));
      long distinct =
          s.scalar("SELECT count(DISTINCT amount) FROM predictions WHERE ts >= TIMESTAMPTZ '2026-11-30 12:00:00+00'").asLong();
      assertThat(value(s, "metric=distinct_count&column=amount&" + HOUR)).isCloseTo(distinct, within(0.05 * distinct));
      double p99 = value(s, "metric=latency_p99&" + HOUR);
      double latencyRank =
          s.scalar("SELECT avg(CASE WHEN latency_ms <= ? THEN 1.0 ELSE 0.0 END) FROM predictions WHERE ts >= TIMESTAMPTZ '2026-11-30 12:00:00+00'", p99)
              .asDouble();
      assertThat(latencyRank).isCloseTo(0.99, within(0.01));
    }
  }
}
