package io.hindsight;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * One oversized record never takes the good records beside it (DESIGN §8), and every record ends
 * counted in exactly one place. The fake server refuses bodies as a whole the way the server did
 * when a 2 MiB value made it answer 413 and 30 and 70 MiB values made it answer 400.
 */
class NoLossTest extends ClosesAfterEachTest {
  private static final int MIB = 1 << 20;
  private Fakes.Receiver serverWithWholeBodyLimits() throws Exception {
    Fakes.Receiver server = later(new Fakes.Receiver());
    server.wholeBodyLimits = true;
    return server;
  }

  private HindsightBuilder builder(String url, BodyFormat format) {
    return Hindsight.builder()
        .endpoint("fraud-model")
        .bodyFormat(format)
        .serverUrl(url)
        .linger(Duration.ofMinutes(1)) // one batch, cut by flush
        .retryBackoff(Duration.ofMillis(20), Duration.ofMillis(100))
        .closeOnShutdown(false);
  }

  private static void predict(Hindsight h, String id, String rawText) {
    try (Prediction p = h.startPrediction(id)) {
      Hindsight.log("score", 0.5);
      if (rawText != null) {
        Hindsight.log("raw_text", rawText);
      }
    }
  }

  /** Text that does not compress (so the 400 for a long string comes before the gzip ratio's 413). */
  private static String incompressible(int chars) {
    Random random = new Random(chars);
    char[] c = new char[chars];
    for (int i = 0; i < chars; i++) {
      c[i] = (char) ('a' + random.nextInt(26));
    }
    return new String(c);
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> data(Fakes.Receiver server, String id) {
    for (Map<String, Object> p : server.store.predictions) {
      if (id.equals(p.get("prediction_id"))) {
        return (Map<String, Object>) p.get("data");
      }
    }
    throw new AssertionError("prediction " + id + " did not arrive; got " + server.store.predictionIds());
  }

  @ParameterizedTest
  @EnumSource(BodyFormat.class)
  void aTwoMiBValueIsLeftOutOfItsRecordAndEveryRecordOfTheBatchArrives(BodyFormat format) throws Exception {
    Fakes.Receiver server = serverWithWholeBodyLimits();
    Hindsight h = later(builder(server.url(), format).build());
    predict(h, "good-1", null);
    predict(h, "big", "x".repeat(2 * MIB));
    predict(h, "good-2", null);
    predict(h, "good-3", null);
    assertThat(h.flush(Duration.ofSeconds(10))).isTrue();

    assertThat(server.store.predictionIds()).containsExactly("good-1", "big", "good-2", "good-3");
    assertThat(data(server, "big")).containsEntry("score", 0.5).doesNotContainKey("raw_text");
    assertThat(data(server, "big").get("hindsight_removed")).isEqualTo(Map.of("raw_text", 2L * MIB + 2));
    KindStats s = h.stats().predictions();
    assertThat(s.sent()).isEqualTo(4);
    assertThat(s.trimmed()).isEqualTo(1);
    assertThat(s.lost()).isZero();
    assertThat(s.addsUp()).as("%s", s).isTrue();
  }

  @ParameterizedTest
  @EnumSource(BodyFormat.class)
  void valuesOf30And70MiBAreLeftOutAndTheGoodRecordsBesideThemArrive(BodyFormat format) throws Exception {
    Fakes.Receiver server = serverWithWholeBodyLimits();
    Hindsight h = later(builder(server.url(), format).build());
    predict(h, "good-1", null);
    predict(h, "big-30", incompressible(30 * MIB));
    predict(h, "good-2", "fine");
    predict(h, "big-70", incompressible(70 * MIB));
    predict(h, "good-3", null);
    assertThat(h.flush(Duration.ofSeconds(30))).isTrue();

    assertThat(server.store.predictionIds()).containsExactly("good-1", "big-30", "good-2", "big-70", "good-3");
    assertThat(data(server, "good-2")).containsEntry("raw_text", "fine");
    assertThat(data(server, "big-70").get("hindsight_removed")).isEqualTo(Map.of("raw_text", 70L * MIB + 2));
    Stats s = h.stats();
    assertThat(s.sent()).isEqualTo(5);
    assertThat(s.predictions().trimmed()).isEqualTo(2);
    assertThat(s.lost()).isZero();
    assertThat(s.addsUp()).as("%s", s).isTrue();
  }

  @ParameterizedTest
  @EnumSource(BodyFormat.class)
  void aBatchRefusedAsAWholeIsSplitUntilTheBadRecordIsAloneAndCountedWithItsReason(BodyFormat format) throws Exception {
    Fakes.Receiver server = serverWithWholeBodyLimits();
    server.maxStringChars = 200_000; // Jackson's limit scaled down 100 times, to keep the test light
    // The SDK's own check is set above the server's limits, as with a server configured lower.
    Hindsight h = later(builder(server.url(), format).maxRecordBytes(64L * MIB).build());
    for (int i = 0; i < 5; i++) {
      predict(h, "good-" + i, null);
    }
    predict(h, "big-2", "x".repeat(2 * MIB)); // 413: the gzip body expands too much
    predict(h, "good-5", null);
    predict(h, "long", incompressible(300_000)); // 400: a string over the parser's limit
    predict(h, "good-6", null);
    assertThat(h.flush(Duration.ofSeconds(30))).isTrue();

    assertThat(server.store.predictionIds()) // in any order: halves may be in flight together
        .containsExactlyInAnyOrder("good-0", "good-1", "good-2", "good-3", "good-4", "good-5", "good-6");
    assertThat(server.store.requests).hasSizeGreaterThan(4).allSatisfy(r -> assertThat(r.header("Content-Type")).isEqualTo(format.contentType));
    KindStats s = h.stats().predictions();
    assertThat(s.sent()).isEqualTo(7);
    assertThat(s.rejected(RejectReason.RECORD_TOO_LARGE)).as("the 413").isEqualTo(1);
    assertThat(s.rejected(RejectReason.INVALID)).as("the 400").isEqualTo(1);
    assertThat(s.lost()).isEqualTo(2);
    assertThat(h.stats().lost()).isEqualTo(2);
    assertThat(s.addsUp()).as("%s", s).isTrue();
  }

  @ParameterizedTest
  @EnumSource(BodyFormat.class)
  void refusedFeedbackIsSplitTooAndOversizedFeedbackValuesAreLeftOut(BodyFormat format) throws Exception {
    Fakes.Receiver server = later(new Fakes.Receiver());
    server.refusePoison = true;
    Hindsight h = later(builder(server.url(), format).build());
    h.feedback("t1", Map.of("label", "legit"));
    h.feedback("t2", Map.of("poison", 1));
    h.feedback("t3", Map.of("label", "fraud", "note", "y".repeat(2 * MIB)));
    h.feedback("t4", Map.of("label", "legit"));
    assertThat(h.flush(Duration.ofSeconds(10))).isTrue();

    assertThat(server.store.feedback).extracting(f -> f.get("prediction_id")).containsExactlyInAnyOrder("t1", "t3", "t4");
    assertThat(server.store.requests).allSatisfy(r -> assertThat(r.header("Content-Type")).isEqualTo(format.contentType));
    @SuppressWarnings("unchecked")
    Map<String, Object> t3 = (Map<String, Object>) server.store.feedback.stream()
        .filter(f -> "t3".equals(f.get("prediction_id"))).findFirst().orElseThrow().get("data");
    assertThat(t3)
        .containsEntry("label", "fraud")
        .containsEntry("hindsight_removed", Map.of("note", 2L * MIB + 2));
    KindStats s = h.stats().feedback();
    assertThat(s.recorded()).isEqualTo(4);
    assertThat(s.sent()).isEqualTo(3);
    assertThat(s.trimmed()).isEqualTo(1);
    assertThat(s.rejected(RejectReason.RECORD_TOO_LARGE)).isEqualTo(1);
    assertThat(s.addsUp()).as("%s", s).isTrue();
    assertThat(h.stats().predictions().recorded()).isZero();
  }

  @ParameterizedTest
  @EnumSource(BodyFormat.class)
  void logBatchSplitsARefusedRequestAndNamesTheRowItRefused(BodyFormat format) throws Exception {
    Fakes.Receiver server = later(new Fakes.Receiver());
    server.refusePoison = true;
    Hindsight h = later(builder(server.url(), format).batchSize(8).build());
    List<Map<String, Object>> rows = new ArrayList<>();
    for (int i = 0; i < 8; i++) {
      rows.add(i == 5 ? Map.of("prediction_id", "job-5", "poison", 1) : Map.of("prediction_id", "job-" + i, "n", i));
    }
    BatchResult result = h.logBatch(rows, null);

    assertThat(result.accepted()).isEqualTo(7);
    assertThat(result.rejected()).isEqualTo(1);
    assertThat(result.rejections()).singleElement().satisfies(r -> {
      assertThat(r.index()).isEqualTo(5);
      assertThat(r.error()).contains("413").contains("a poisoned body");
    });
    assertThat(server.store.predictionIds()).hasSize(7).doesNotContain("job-5");
    assertThat(server.store.requests).allSatisfy(r -> assertThat(r.header("Content-Type")).isEqualTo(format.contentType));
    assertThat(h.stats().predictions().addsUp()).as("%s", h.stats()).isTrue();
    assertThat(h.stats().lost()).isEqualTo(1);
  }

  @ParameterizedTest
  @EnumSource(BodyFormat.class)
  void aRecordOverTheLimitEvenWithoutItsValuesIsRejectedCountedAndTheOthersArrive(BodyFormat format) throws Exception {
    Fakes.Receiver server = later(new Fakes.Receiver());
    Hindsight h = later(builder(server.url(), format).maxRecordBytes(1024).build());
    predict(h, "good", null);
    try (Prediction p = h.startPrediction("tagged")) {
      for (int i = 0; i < 30; i++) {
        p.tag("tag" + i, "a-long-label-value-".repeat(2));
      }
      Hindsight.log("score", 0.5);
    }
    h.event("note", "z".repeat(2000), null);
    assertThat(h.flush(Duration.ofSeconds(10))).isTrue();

    assertThat(server.store.predictionIds()).containsExactly("good");
    assertThat(server.store.events).isEmpty();
    Stats s = h.stats();
    assertThat(s.predictions().rejected(RejectReason.RECORD_TOO_LARGE)).isEqualTo(1);
    assertThat(s.events().rejected(RejectReason.RECORD_TOO_LARGE)).isEqualTo(1);
    assertThat(s.lost()).isEqualTo(2);
    assertThat(s.addsUp()).as("%s", s).isTrue();
  }

  @ParameterizedTest
  @ValueSource(booleans = {false, true})
  void aServerThatDoesNotTakeSmileRefusesOneBatchAndGetsEveryBatchAsJsonLosingNothing(boolean diskSpool, @TempDir Path dir) throws Exception {
    Fakes.Receiver server = later(new Fakes.Receiver());
    server.refuseSmile = true;
    HindsightBuilder b = builder(server.url(), BodyFormat.SMILE).batchSize(10).maxRequestsInFlight(1);
    if (diskSpool) {
      b.spoolDirectory(dir.resolve("spool"));
    }
    Hindsight h = later(b.build());
    for (int i = 0; i < 25; i++) {
      try (Prediction p = h.startPrediction("p-" + i)) {
        Hindsight.log("score", i / 4.0);
        Hindsight.log("note", "é \ud800 " + i);
      }
    }
    h.feedback("p-1", Map.of("label", "fraud"));
    assertThat(h.flush(Duration.ofSeconds(10))).isTrue();

    List<String> ids = new ArrayList<>();
    for (int i = 0; i < 25; i++) {
      ids.add("p-" + i);
    }
    assertThat(server.store.predictionIds()).containsExactlyElementsOf(ids);
    assertThat(data(server, "p-6")).containsEntry("score", 1.5).containsEntry("note", "é \ud800 6");
    assertThat(server.store.feedback).hasSize(1);
    assertThat(server.store.requests).extracting(r -> r.header("Content-Type"))
        .containsExactly( // three batches of predictions and one of feedback: the first refused, then all as JSON
            BodyFormat.SMILE.contentType, BodyFormat.JSON.contentType, BodyFormat.JSON.contentType, BodyFormat.JSON.contentType,
            BodyFormat.JSON.contentType);
    assertThat(server.store.requests.get(1).header("Idempotency-Key")).isEqualTo(server.store.requests.get(0).header("Idempotency-Key"));
    Stats s = h.stats();
    assertThat(s.sent()).isEqualTo(26);
    assertThat(s.lost()).isZero();
    assertThat(s.addsUp()).as("%s", s).isTrue();
  }

  @Test
  void logBatchToAServerThatDoesNotTakeSmileSendsTheRefusedRequestAgainAndTheRestAsJson() throws Exception {
    Fakes.Receiver server = later(new Fakes.Receiver());
    server.refuseSmile = true;
    Hindsight h = later(builder(server.url(), BodyFormat.SMILE).batchSize(4).build());
    List<Map<String, Object>> rows = new ArrayList<>();
    for (int i = 0; i < 10; i++) {
      rows.add(Map.of("prediction_id", "job-" + i, "n", i));
    }
    BatchResult result = h.logBatch(rows, null);

    assertThat(result.accepted()).isEqualTo(10);
    assertThat(result.rejected()).isZero();
    assertThat(result.unsent()).isZero();
    assertThat(server.store.predictionIds()).hasSize(10);
    assertThat(server.store.requests).extracting(r -> r.header("Content-Type")).containsExactly(
        BodyFormat.SMILE.contentType, BodyFormat.JSON.contentType, BodyFormat.JSON.contentType, BodyFormat.JSON.contentType);
    assertThat(h.stats().lost()).isZero();
  }

  @Test
  void closeWithoutASpoolCountsWhatItCouldNotDeliverOnceAsShutdown() throws Exception {
    Hindsight h = builder("http://127.0.0.1:" + Fakes.freePort(), BodyFormat.JSON).linger(Duration.ofMillis(10)).build();
    for (int i = 0; i < 3000; i++) {
      predict(h, "p" + i, null);
    }
    h.feedback("p1", Map.of("label", "legit"));
    assertThat(h.close(Duration.ofMillis(500))).isFalse();

    Stats s = h.stats();
    assertThat(s.predictions().dropped(DropReason.SHUTDOWN)).isEqualTo(3000);
    assertThat(s.feedback().dropped(DropReason.SHUTDOWN)).isEqualTo(1);
    assertThat(s.spooled()).as("not also counted as spooled").isZero();
    assertThat(s.queued()).isZero();
    assertThat(s.lost()).isEqualTo(3001);
    assertThat(s.addsUp()).as("%s", s).isTrue();
  }

  @Test
  void statsCountEachKindApartAndPrintHowTheyAddUp() throws Exception {
    Fakes.Receiver server = later(new Fakes.Receiver());
    Hindsight h = later(builder(server.url(), BodyFormat.JSON).sampleRate(0.5).build());
    long sampledOut = Sampling.keeps("bad", 0.5) ? 0 : 1;
    for (int i = 0; i < 100; i++) {
      sampledOut += Sampling.keeps("p" + i, 0.5) ? 0 : 1;
      predict(h, "p" + i, null);
    }
    try (Prediction p = h.startPrediction("bad")) {
      Hindsight.log("reject_me", 1);
    }
    for (int i = 0; i < 50; i++) {
      h.feedback("p" + i, Map.of("label", "legit"));
    }
    h.event("deploy", "v2", null);
    assertThat(h.flush(Duration.ofSeconds(10))).isTrue();

    Stats s = h.stats();
    assertThat(s.predictions().recorded()).as("sampled-out ones included").isEqualTo(101);
    assertThat(s.predictions().dropped(DropReason.SAMPLED_OUT)).isEqualTo(sampledOut).isPositive();
    assertThat(s.predictions().sent() + s.predictions().rejectedTotal()).isEqualTo(101 - sampledOut);
    assertThat(s.predictions().lost()).as("sampling is not a loss").isEqualTo(s.predictions().rejectedTotal());
    assertThat(s.feedback().recorded()).isEqualTo(50);
    assertThat(s.feedback().sent()).isEqualTo(50);
    assertThat(s.events().sent()).isEqualTo(1);
    assertThat(s.recorded()).isEqualTo(152);
    assertThat(s.addsUp()).isTrue();
    assertThat(s.toString())
        .contains("predictions: 101 recorded = " + s.predictions().sent() + " sent + ")
        .contains("feedback: 50 recorded = 50 sent + 0 rejected + 0 dropped + 0 queued + 0 spooled")
        .contains("events: 1 recorded = 1 sent");
  }
}
