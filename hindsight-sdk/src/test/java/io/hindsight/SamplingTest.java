package io.hindsight;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

class SamplingTest {
  private final FakeTime time = new FakeTime(Instant.parse("2026-11-22T10:15:00Z"));

  private LocalContext local(HindsightBuilder b) {
    LocalContext ctx = b.endpoint("fraud-model").time(time).buildLocal();
    ctx.close();
    return ctx;
  }

  private static void predict(Hindsight h, String id, double score) {
    try (Prediction p = h.startPrediction(id)) {
      Hindsight.log("score", score);
    }
  }

  @Test
  void positionIsDeterministicAndSpecified() {
    assertThat(Sampling.position("txn-123")).isEqualTo(Sampling.position("txn-123"));
    assertThat(Sampling.position("txn-123")).isNotEqualTo(Sampling.position("txn-124"));
    // Pinned values: other services reimplement this function and must agree with it.
    assertThat(Sampling.position("")).isEqualTo(fmixFnv(new byte[0]));
    assertThat(Sampling.position("txn-123")).isEqualTo(fmixFnv("txn-123".getBytes(java.nio.charset.StandardCharsets.UTF_8)));
    assertThat(Sampling.position("prédiction-€-😀"))
        .isEqualTo(fmixFnv("prédiction-€-😀".getBytes(java.nio.charset.StandardCharsets.UTF_8)));
  }

  /** The documented algorithm written out plainly, byte by byte. */
  private static double fmixFnv(byte[] bytes) {
    long h = 0xcbf29ce484222325L;
    for (byte b : bytes) {
      h ^= (b & 0xff);
      h *= 0x100000001b3L;
    }
    h ^= h >>> 33;
    h *= 0xff51afd7ed558ccdL;
    h ^= h >>> 33;
    h *= 0xc4ceb9fe1a85ec53L;
    h ^= h >>> 33;
    return (h >>> 11) / (double) (1L << 53);
  }

  @Test
  void positionsAreUniformEnoughForRates() {
    long kept = IntStream.range(0, 100_000).filter(i -> Sampling.keeps("id-" + i, 0.1)).count();
    assertThat(kept).isBetween(9_500L, 10_500L);
  }

  @Test
  void theSameIdsAreKeptEveryTimeAndRaisingTheRateOnlyAdds() {
    LocalContext a = local(Hindsight.builder().sampleRate(0.2));
    LocalContext b = local(Hindsight.builder().sampleRate(0.2));
    LocalContext c = local(Hindsight.builder().sampleRate(0.5));
    for (int i = 0; i < 2000; i++) {
      predict(a.hindsight(), "p" + i, 0.0);
      predict(b.hindsight(), "p" + i, 0.0);
      predict(c.hindsight(), "p" + i, 0.0);
    }
    List<String> ka = ids(a);
    assertThat(ka).isEqualTo(ids(b));
    assertThat(ids(c)).containsAll(ka);
    assertThat(ka.size()).isBetween(300, 500);
    assertThat(a.records()).allSatisfy(r -> assertThat(r.sampleRate()).isEqualTo(0.2));
    assertThat(ka).allMatch(id -> Sampling.keeps(id, 0.2));
    assertThat(a.stats().dropped(DropReason.SAMPLED_OUT)).isEqualTo(2000 - ka.size());
    assertThat(a.stats().lost()).isZero();
  }

  private static List<String> ids(LocalContext ctx) {
    return ctx.records().stream().map(PredictionRecord::predictionId).collect(Collectors.toList());
  }

  @Test
  void alwaysKeepPredicatesKeepWithRateOne() {
    LocalContext ctx = local(Hindsight.builder().sampleRate(0.0)
        .alwaysKeep(r -> Math.abs(r.getDouble("score") - 0.5) < 0.1));
    predict(ctx.hindsight(), "near", 0.55);
    predict(ctx.hindsight(), "far", 0.95);
    assertThat(ids(ctx)).containsExactly("near");
    assertThat(ctx.records().get(0).sampleRate()).isEqualTo(1.0);
    assertThat(ctx.sentJson().get(0)).contains("\"sample_rate\":1.0");
  }

  @Test
  void aThrowingPredicateCountsAsFalse() {
    LocalContext ctx =
        local(
            Hindsight.builder()
                .sampleRate(0.0)
                .alwaysKeep(
                    r -> {
                      throw new IllegalStateException("bug in predicate");
                    })
                .alwaysKeep(r -> r.getDouble("score") > 0.4));
    predict(ctx.hindsight(), "near-threshold", 0.5);
    predict(ctx.hindsight(), "far-from-it", 0.1);
    // The throwing rule neither keeps nor drops: the next rule still decides.
    assertThat(ids(ctx)).containsExactly("near-threshold");
    assertThat(ctx.records().get(0).sampleRate()).isEqualTo(1.0);
  }

  @Test
  void errorsAreKeptUnlessToldOtherwise() throws Exception {
    LocalContext keep = local(Hindsight.builder().sampleRate(0.0));
    LocalContext drop = local(Hindsight.builder().sampleRate(0.0).keepErrors(false));
    for (LocalContext ctx : List.of(keep, drop)) {
      try {
        ctx.hindsight().predict("boom", () -> {
          throw new IllegalArgumentException("bad input");
        });
      } catch (IllegalArgumentException expected) {
        // rethrown as it should be
      }
    }
    assertThat(ids(keep)).containsExactly("boom");
    assertThat(keep.records().get(0).sampleRate()).isEqualTo(1.0);
    assertThat(drop.records()).isEmpty();
  }

  @Test
  void aDeployEventStartsAFullLoggingWindow() {
    LocalContext ctx = local(Hindsight.builder().sampleRate(0.0).fullLoggingAfterDeploy(Duration.ofMinutes(10)));
    predict(ctx.hindsight(), "before", 0.9);
    ctx.hindsight().event("deploy", "v2.1.0", Map.of("version", "v2.1.0"));
    predict(ctx.hindsight(), "during", 0.9);
    time.advance(Duration.ofMinutes(10));
    predict(ctx.hindsight(), "after", 0.9);
    assertThat(ids(ctx)).containsExactly("during");
    assertThat(ctx.records().get(0).sampleRate()).isEqualTo(1.0);
    assertThat(ctx.sentEvents().get(0)).contains("\"kind\":\"deploy\"");
  }

  @Test
  void deployedAtOnTheBuilderOpensTheWindow() {
    LocalContext ctx = local(Hindsight.builder().sampleRate(0.0)
        .deployedAt(Instant.parse("2026-11-22T10:10:00Z")).fullLoggingAfterDeploy(Duration.ofMinutes(10)));
    predict(ctx.hindsight(), "in-window", 0.9);
    time.advance(Duration.ofMinutes(5));
    predict(ctx.hindsight(), "out-of-window", 0.9);
    assertThat(ids(ctx)).containsExactly("in-window");
  }
}
