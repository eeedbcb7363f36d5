package io.hindsight.server.monitor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.JsonNode;
import io.hindsight.server.TestServer;
import io.hindsight.server.ops.ManualScheduler;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * GET /v1/endpoints/{e}/drift on a real server over generated data whose shift is known, each
 * statistic compared with an independent computation from the raw values (DESIGN §10 tolerances).
 */
class DriftApiTest {
  @TempDir static Path dir;
  private static TestServer server;

  private static final Instant DAY1 = Instant.parse("2026-11-20T00:00:00Z");
  private static final Instant DAY2 = Instant.parse("2026-11-21T00:00:00Z");
  private static final Instant DAY3 = Instant.parse("2026-11-22T00:00:00Z");
  private static final String[] MERCHANTS = {"grocery", "travel", "online", "fuel"};

  /** Day 1: amount ~ N(100, 20), merchants 40/30/20/10 %; day 2: amount ~ N(110, 20), merchants 25 % each. */
  private static final List<Double> amount1 = new ArrayList<>();
  private static final List<Double> amount2 = new ArrayList<>();
  private static final Map<String, Long> merchants1 = new TreeMap<>();
  private static final Map<String, Long> merchants2 = new TreeMap<>();

  @BeforeAll
  static void logTwoDays() throws Exception {
    server = new TestServer(dir, c -> {}, new ManualScheduler(Instant.parse("2026-11-30T12:00:00Z")));
    Random random = new Random(7);
    log(random, DAY1, 3000, 100, new double[] {0.4, 0.7, 0.9, 1.0}, amount1, merchants1);
    log(random, DAY2, 3000, 110, new double[] {0.25, 0.5, 0.75, 1.0}, amount2, merchants2);
    server.flush();
  }

  @AfterAll
  static void stop() {
    server.close();
  }

  private static void log(
      Random random, Instant day, int n, double mean, double[] cumulative, List<Double> amounts, Map<String, Long> merchants) {
    StringBuilder batch = new StringBuilder();
    for (int i = 0; i < n; i++) {
      double u = random.nextDouble();
      String merchant = MERCHANTS[0];
      for (int k = 0; k < cumulative.length; k++) {
        if (u < cumulative[k]) {
          merchant = MERCHANTS[k];
          break;
        }
      }
      merchants.merge(merchant, 1L, Long::sum);
      String amount;
      if (i % 50 == 0) {
        amount = ""; // 2 % missing
      } else {
        double a = Math.round((mean + 20 * random.nextGaussian()) * 100) / 100.0;
        amounts.add(a);
        amount = "\"amount\": " + a + ", ";
      }
      batch.append(batch.length() == 0 ? "[" : ",")
          .append("{\"ts\": \"").append(day.plusSeconds(i * 20L)).append("\", \"tags\": {\"segment\": \"")
          .append(i % 3 == 0 ? "a" : "b").append("\"}, \"data\": {").append(amount).append("\"merchant\": \"")
          .append(merchant).append("\"}}");
      if (batch.length() > 100_000 || i == n - 1) {
        TestServer.Response r = server.predictions("fraud", batch.append("]").toString());
        assertThat(r.status()).as(r.body()).isEqualTo(200);
        batch.setLength(0);
      }
    }
  }

  private static JsonNode drift(String query) {
    TestServer.Response r = server.get("/v1/endpoints/fraud/drift?" + query);
    assertThat(r.status()).as(r.body()).isEqualTo(200);
    return r.json();
  }

  private static JsonNode column(JsonNode drift, String name) {
    for (JsonNode c : drift.get("columns")) {
      if (c.get("column").asText().equals(name)) {
        return c;
      }
    }
    throw new AssertionError("no column " + name + " in " + drift);
  }

  private static final String DAY2_VS_DAY1 =
      "from=2026-11-21T00:00:00Z&to=2026-11-22T00:00:00Z&reference_from=2026-11-20T00:00:00Z&reference_to=2026-11-21T00:00:00Z";

  @Test
  void aLargeReferenceComparesNumbersByNormalisedWassersteinAndCategoriesByJensenShannon() {
    JsonNode d = drift(DAY2_VS_DAY1);
    assertThat(d.get("reference").get("rows").asLong()).isEqualTo(3000);
    assertThat(d.get("current").get("rows").asLong()).isEqualTo(3000);
    JsonNode amount = column(d, "amount");
    assertThat(amount.get("kind").asText()).isEqualTo("numeric");
    assertThat(amount.get("method").asText()).isEqualTo("wasserstein_norm");
    double expected = DriftFormulas.wasserstein(array(amount1), array(amount2)) / DriftFormulas.populationStd(array(amount1));
    assertThat(amount.get("statistic").asDouble()).isCloseTo(expected, within(0.03 * expected));
    assertThat(amount.get("drifted").asBoolean()).isEqualTo(expected >= 0.1);
    assertThat(amount.get("reference_missing_share").asDouble()).isEqualTo(60 / 3000.0);
    JsonNode merchant = column(d, "merchant");
    assertThat(merchant.get("method").asText()).isEqualTo("jensenshannon");
    double js = jensenShannon(merchants1, merchants2);
    assertThat(merchant.get("statistic").asDouble()).isCloseTo(js, within(0.01));
    assertThat(merchant.get("drifted").asBoolean()).isEqualTo(js >= 0.1);
    assertThat(d.get("drifted_share").asDouble()).isEqualTo(((expected >= 0.1 ? 1 : 0) + (js >= 0.1 ? 1 : 0)) / 2.0);
  }

  @Test
  void aReferenceOfAtMostAThousandRowsUsesKolmogorovSmirnov() {
    // The first 600 records of each day: 20 s apart, so 12,000 s.
    JsonNode d =
        drift("from=2026-11-21T00:00:00Z&to=2026-11-21T03:20:00Z&reference_from=2026-11-20T00:00:00Z&reference_to=2026-11-20T03:20:00Z");
    assertThat(d.get("reference").get("rows").asLong()).isEqualTo(600);
    JsonNode amount = column(d, "amount");
    assertThat(amount.get("method").asText()).isEqualTo("ks");
    double[] ref = nonMissingOfFirst(amount1, 600);
    double[] cur = nonMissingOfFirst(amount2, 600);
    double dStat = DriftFormulas.ksStatistic(ref, cur);
    assertThat(amount.get("statistic").asDouble()).isCloseTo(dStat, within(0.01));
    assertThat(amount.get("p_value").asDouble()).isLessThan(0.05);
    assertThat(amount.get("drifted").asBoolean()).isTrue();
    assertThat(column(d, "merchant").get("method").asText()).isEqualTo("chisquare");
  }

  @Test
  void aSegmentNarrowsBothWindowsAndAForcedMethodApplies() {
    JsonNode d = drift(DAY2_VS_DAY1 + "&segment=tags.segment=a&method=psi");
    assertThat(d.get("reference").get("rows").asLong()).isEqualTo(1000);
    assertThat(d.get("current").get("rows").asLong()).isEqualTo(1000);
    assertThat(column(d, "amount").get("method").asText()).isEqualTo("psi");
    assertThat(column(d, "amount").get("threshold").asDouble()).isEqualTo(0.2);
  }

  @Test
  void theReferenceDefaultsToThePeriodBeforeTheWindow() {
    JsonNode d = drift("from=2026-11-21T00:00:00Z&to=2026-11-22T00:00:00Z");
    assertThat(d.get("reference").get("from").asText()).isEqualTo("2026-11-14T00:00:00Z");
    assertThat(d.get("reference").get("to").asText()).isEqualTo("2026-11-21T00:00:00Z");
    assertThat(d.get("reference").get("rows").asLong()).isEqualTo(3000);
  }

  @Test
  void aDerivedColumnIsAFeatureAndASegmentLikeALoggedKey() {
    TestServer.Response put =
        server.putJson(
            "/v1/endpoints/fraud/monitoring",
            "{\"features\": [\"amount_band\"], \"segments\": [\"amount_band\"],"
                + " \"derived\": {\"amount_band\": \"CASE WHEN amount >= 110 THEN 'high' ELSE 'low' END\"}}");
    assertThat(put.status()).as(put.body()).isEqualTo(200);
    try {
      JsonNode d = drift(DAY2_VS_DAY1);
      JsonNode band = column(d, "amount_band");
      assertThat(band.get("kind").asText()).isEqualTo("categorical");
      assertThat(band.get("method").asText()).isEqualTo("jensenshannon");
      long high1 = amount1.stream().filter(a -> a >= 110).count();
      long high2 = amount2.stream().filter(a -> a >= 110).count();
      Map<String, Long> before = Map.of("high", high1, "low", 3000 - high1);
      Map<String, Long> after = Map.of("high", high2, "low", 3000 - high2);
      assertThat(band.get("statistic").asDouble()).isCloseTo(jensenShannon(before, after), within(0.01));
      JsonNode high = drift(DAY2_VS_DAY1 + "&segment=amount_band=high");
      assertThat(high.get("current").get("rows").asLong()).isEqualTo(high2);
    } finally {
      server.putJson("/v1/endpoints/fraud/monitoring", "{}");
    }
  }

  @Test
  void badRequestsNameTheProblem() {
    assertThat(server.get("/v1/endpoints/fraud/drift?from=2026-11-21T00:00:00Z&to=2026-11-22T00:00:00Z&reference_from=2026-10-01T00:00:00Z&reference_to=2026-10-02T00:00:00Z")
            .json().get("error").asText())
        .contains("the reference window 2026-10-01T00:00:00Z .. 2026-10-02T00:00:00Z has no rows of endpoint 'fraud'");
    assertThat(server.get("/v1/endpoints/fraud/drift?method=kl").json().get("error").asText()).startsWith("'method': ");
    assertThat(server.get("/v1/endpoints/fraud/drift?segment=segment").json().get("error").asText())
        .contains("'segment' is <column reference>=<value>");
    assertThat(server.get("/v1/endpoints/fraud/drift?segment=tags.segment=a&from=2026-11-22T00:00:00Z&to=2026-11-21T00:00:00Z").status())
        .isEqualTo(400);
    assertThat(server.get("/v1/endpoints/nobody/drift").status()).isEqualTo(404);
  }

  // Independent computations from the raw values (with DriftFormulas).

  /** Jensen-Shannon distance, natural log, over the union of categories. */
  static double jensenShannon(Map<String, Long> a, Map<String, Long> b) {
    double na = a.values().stream().mapToLong(Long::longValue).sum();
    double nb = b.values().stream().mapToLong(Long::longValue).sum();
    double div = 0;
    java.util.Set<String> keys = new java.util.TreeSet<>(a.keySet());
    keys.addAll(b.keySet());
    for (String k : keys) {
      double p = a.getOrDefault(k, 0L) / na;
      double q = b.getOrDefault(k, 0L) / nb;
      double m = (p + q) / 2;
      div += (p > 0 ? 0.5 * p * Math.log(p / m) : 0) + (q > 0 ? 0.5 * q * Math.log(q / m) : 0);
    }
    return Math.sqrt(div);
  }

  private static double[] array(List<Double> values) {
    return values.stream().mapToDouble(Double::doubleValue).toArray();
  }

  /** The non-missing amounts among the first {@code records} records of a day (every 50th is missing). */
  private static double[] nonMissingOfFirst(List<Double> amounts, int records) {
    int missing = (records + 49) / 50;
    return amounts.subList(0, records - missing).stream().mapToDouble(Double::doubleValue).toArray();
  }
}
