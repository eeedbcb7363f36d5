package io.hindsight;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.opentelemetry.api.trace.Span;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.slf4j.MDC;

class PredictionScopeTest {
  private final FakeTime time = new FakeTime(Instant.parse("2026-11-22T10:15:00.123456Z"));
  private LocalContext ctx;
  private Hindsight hindsight;
  private ExecutorService pool;

  @BeforeEach
  void open() {
    ctx = Hindsight.builder().endpoint("fraud-model").modelVersion("v2.1.0").time(time).buildLocal();
    ctx.close(); // this suite opens its own scopes
    hindsight = ctx.hindsight();
    pool = Executors.newFixedThreadPool(2);
  }

  @AfterEach
  void shutdown() {
    pool.shutdownNow();
    MDC.clear();
    Span.TRACE_ID.remove();
  }

  @Test
  void logOutsideAScopeThrowsAndSaysHowToOpenOne() {
    assertThatThrownBy(() -> Hindsight.log("score", 1))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("outside a prediction scope")
        .hasMessageContaining("hindsight.startPrediction()");
  }

  @Test
  void logAfterTheScopeClosedThrows() {
    Prediction p = hindsight.startPrediction();
    p.close();
    assertThatThrownBy(() -> Hindsight.log("score", 1)).hasMessageContaining("outside a prediction scope");
    assertThatThrownBy(() -> p.log("score", 1))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("after it was closed");
  }

  @Test
  void closingTwiceRecordsOnce() {
    Prediction p = hindsight.startPrediction();
    p.close();
    p.close();
    assertThat(ctx.records()).hasSize(1);
  }

  @Test
  void recordsAutoFields() {
    try (Prediction p = hindsight.startPrediction()) {
      time.advance(Duration.ofMillis(3).plusNanos(200_000));
      Hindsight.log("credit_score", 712);
      p.tag("segment", "high_value");
    }
    PredictionRecord r = ctx.records().get(0);
    assertThat(r.predictionId()).matches("[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}");
    assertThat(r.timestamp()).isEqualTo(Instant.parse("2026-11-22T10:15:00.123456Z"));
    assertThat(r.latencyMs()).isEqualTo(3.2);
    assertThat(r.modelVersion()).isEqualTo("v2.1.0");
    assertThat(r.status()).isEqualTo("ok");
    assertThat(r.sampleRate()).isEqualTo(1.0);
    assertThat(r.tags()).containsEntry("segment", "high_value");
    assertThat(ctx.sentJson().get(0))
        .startsWith("{\"prediction_id\":\"" + r.predictionId() + "\",\"ts\":\"2026-11-22T10:15:00.123456Z\","
            + "\"model_version\":\"v2.1.0\",\"tags\":{\"segment\":\"high_value\"},\"latency_ms\":3.2,"
            + "\"status\":\"ok\",\"sample_rate\":1.0,\"data\":{\"credit_score\":712}}");
  }

  @Test
  void generatedIdsAreTimeOrderedUuidV7() {
    String first;
    try (Prediction p = hindsight.startPrediction()) {
      first = p.id();
    }
    time.advance(Duration.ofMillis(2));
    String second;
    try (Prediction p = hindsight.startPrediction()) {
      second = p.id();
    }
    assertThat(first.substring(0, 13)).isLessThan(second.substring(0, 13));
    long millis = Long.parseLong(first.substring(0, 8) + first.substring(9, 13), 16);
    assertThat(millis).isEqualTo(Instant.parse("2026-11-22T10:15:00.123Z").toEpochMilli());
  }

  @Test
  void customIdsAreCheckedLikeTheServerDoes() {
    try (Prediction p = hindsight.startPrediction("txn-123")) {
      assertThat(p.id()).isEqualTo("txn-123");
    }
    assertThatThrownBy(() -> hindsight.startPrediction("x".repeat(129)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("at most 128");
    assertThatThrownBy(() -> hindsight.startPrediction(""))
        .hasMessageContaining("must not be null or empty");
    assertThatThrownBy(() -> hindsight.startPrediction("a\nb")).hasMessageContaining("control character");
  }

  @Test
  void explicitFieldsOverrideDefaults() {
    try (Prediction p = hindsight.startPrediction("t1")) {
      p.requestId("req-abc").timestamp(Instant.parse("2026-01-01T00:00:00Z")).modelVersion("v3-challenger");
    }
    PredictionRecord r = ctx.records().get(0);
    assertThat(r.requestId()).isEqualTo("req-abc");
    assertThat(r.timestamp()).isEqualTo(Instant.parse("2026-01-01T00:00:00Z"));
    assertThat(r.modelVersion()).isEqualTo("v3-challenger");
    assertThat(ctx.sentJson().get(0)).contains("\"ts\":\"2026-01-01T00:00:00.000000Z\"");
  }

  @Test
  void predictRecordsErrorStatusWithTheMessageAndRethrows() {
    IllegalStateException boom = new IllegalStateException("feature store timed out");
    assertThatThrownBy(
            () ->
                hindsight.predict(
                    "txn-9",
                    () -> {
                      Hindsight.log("amount", 10.5);
                      throw boom;
                    }))
        .isSameAs(boom);
    PredictionRecord r = ctx.records().get(0);
    assertThat(r.status()).isEqualTo("error");
    assertThat(r.error()).isEqualTo("feature store timed out");
    assertThat(r.data()).containsEntry("amount", 10.5);
    assertThat(ctx.sentJson().get(0)).contains("\"status\":\"error\",\"error\":\"feature store timed out\"");
    assertThat(Hindsight.currentPrediction()).isEmpty();
  }

  @Test
  void predictReturnsTheModelsResult() throws Exception {
    String decision = hindsight.predict(() -> {
      Hindsight.log("decision", "approved");
      return "approved";
    });
    assertThat(decision).isEqualTo("approved");
    assertThat(ctx.records().get(0).status()).isEqualTo("ok");
  }

  @Test
  void nestedScopesRestoreTheOuterOne() {
    try (Prediction outer = hindsight.startPrediction("outer")) {
      Hindsight.log("a", 1);
      try (Prediction inner = hindsight.startPrediction("inner")) {
        Hindsight.log("a", 2);
      }
      Hindsight.log("b", 3);
    }
    assertThat(ctx.records()).extracting(PredictionRecord::predictionId).containsExactly("inner", "outer");
    assertThat(ctx.records().get(1).data()).containsEntry("a", 1L).containsEntry("b", 3L);
  }

  @Test
  void wrappedTasksLogIntoTheScopeFromOtherThreads() throws Exception {
    try (Prediction p = hindsight.startPrediction("async")) {
      Future<?> a = pool.submit(p.wrap(() -> Hindsight.log("member_a", 0.1)));
      Future<Double> b = pool.submit(p.wrap(() -> {
        Hindsight.log("member_b", 0.2);
        return 0.2;
      }));
      a.get();
      b.get();
      Hindsight.log("ensemble", 0.15);
    }
    assertThat(ctx.records().get(0).data()).containsKeys("member_a", "member_b", "ensemble");
  }

  @Test
  void contextExecutorCarriesTheScopeIntoCompletableFutures() {
    try (Prediction p = hindsight.startPrediction("cf")) {
      CompletableFuture.runAsync(() -> Hindsight.log("from_pool", true), Hindsight.contextExecutor(pool)).join();
    }
    assertThat(ctx.records().get(0).data()).containsEntry("from_pool", true);
  }

  @Test
  void usingAnUnsharedScopeFromAnotherThreadThrowsWithAHint() throws Exception {
    try (Prediction p = hindsight.startPrediction("mine")) {
      Future<?> f = pool.submit(() -> p.log("x", 1));
      assertThatThrownBy(f::get)
          .hasCauseInstanceOf(IllegalStateException.class)
          .hasMessageContaining("prediction.wrap(task)")
          .hasMessageContaining("share()");
      p.share();
      pool.submit(() -> p.log("y", 2)).get();
    }
    assertThat(ctx.records().get(0).data()).containsOnlyKeys("y");
  }

  @Test
  void sharedScopesTakeConcurrentLogsSafely() throws Exception {
    try (Prediction p = hindsight.startPrediction("many").share()) {
      List<Future<?>> all = new java.util.ArrayList<>();
      for (int t = 0; t < 4; t++) {
        int base = t * 100;
        all.add(pool.submit(() -> {
          for (int i = 0; i < 100; i++) {
            p.log("k" + (base + i), i);
          }
        }));
      }
      for (Future<?> f : all) {
        f.get();
      }
    }
    assertThat(ctx.records().get(0).data()).hasSize(400);
  }

  @Test
  void takesTheRequestIdFromTheMdc() {
    MDC.put("X-Request-ID", "req-from-mdc");
    try (Prediction p = hindsight.startPrediction()) {
      Hindsight.log("a", 1);
    }
    assertThat(ctx.records().get(0).requestId()).isEqualTo("req-from-mdc");
  }

  @Test
  void prefersTheOpenTelemetryTraceId() {
    MDC.put("request_id", "req-from-mdc");
    Span.TRACE_ID.set("4bf92f3577b34da6a3ce929d0e0e4736");
    try (Prediction p = hindsight.startPrediction()) {
      Hindsight.log("a", 1);
    }
    assertThat(ctx.records().get(0).requestId()).isEqualTo("4bf92f3577b34da6a3ce929d0e0e4736");
  }

  @Test
  void anExplicitRequestIdWins() {
    MDC.put("requestId", "req-from-mdc");
    try (Prediction p = hindsight.startPrediction()) {
      p.requestId("explicit");
    }
    assertThat(ctx.records().get(0).requestId()).isEqualTo("explicit");
  }

  @Test
  void builderTagsAreAddedToEveryRecord() {
    LocalContext local = Hindsight.builder().endpoint("e").tag("env", "prod").buildLocal();
    try (Prediction p = local.hindsight().startPrediction()) {
      p.tag("segment", "a");
    }
    assertThat(local.records().get(0).tags()).containsExactly(Map.entry("env", "prod"), Map.entry("segment", "a"));
    local.close();
  }

  @Test
  void localContextCollectsLogsOfItsOwnScope() {
    try (LocalContext local = Hindsight.localContext()) {
      Hindsight.log("score", 0.93);
      assertThat(local.logs()).containsEntry("score", 0.93);
      assertThatThrownBy(() -> Hindsight.log("SCORE", 1)).hasMessageContaining("already logged");
      local.close();
      assertThat(local.records()).hasSize(1);
    }
  }
}
