package io.hindsight;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;

class ShippingTest extends ClosesAfterEachTest {
  private HindsightBuilder builder(String url) {
    return Hindsight.builder()
        .endpoint("fraud-model")
        .modelVersion("v2.1.0")
        .serverUrl(url)
        .linger(Duration.ofMillis(20))
        .retryBackoff(Duration.ofMillis(20), Duration.ofMillis(100))
        .closeOnShutdown(false);
  }

  private static void predict(Hindsight h, String id, int score) {
    try (Prediction p = h.startPrediction(id)) {
      Hindsight.log("score", score);
    }
  }

  @Test
  void postsGzippedJsonArraysWithTheContractHeaders() throws Exception {
    Fakes.Receiver server = later(new Fakes.Receiver());
    Hindsight h = later(builder(server.url()).bodyFormat(BodyFormat.JSON).apiKey("secret-key").build());
    predict(h, "p1", 1);
    predict(h, "p2", 2);
    assertThat(h.flush(Duration.ofSeconds(5))).isTrue();

    Fakes.Request req = server.store.requests.get(0);
    assertThat(req.path).isEqualTo("/v1/endpoints/fraud-model/predictions");
    assertThat(req.header("Content-Type")).isEqualTo("application/json");
    assertThat(req.header("Content-Encoding")).isEqualTo("gzip");
    assertThat(req.header("Authorization")).isEqualTo("Bearer secret-key");
    assertThat(req.header("Idempotency-Key")).isNotBlank();
    assertThat(req.text()).startsWith("[{\"prediction_id\":\"p1\"");
    assertThat(server.store.predictionIds()).containsExactly("p1", "p2");
    Map<String, Object> first = server.store.predictions.get(0);
    assertThat(first).containsEntry("model_version", "v2.1.0").containsEntry("status", "ok");
    assertThat(first.get("data")).isEqualTo(Map.of("score", 1L));
    assertThat(h.stats().sent()).isEqualTo(2);
  }

  @Test
  void postsGzippedSmileByDefault() throws Exception {
    Fakes.Receiver server = later(new Fakes.Receiver());
    Hindsight h = later(builder(server.url()).build());
    predict(h, "p1", 1);
    assertThat(h.flush(Duration.ofSeconds(5))).isTrue();

    Fakes.Request req = server.store.requests.get(0);
    assertThat(req.header("Content-Type")).isEqualTo("application/x-jackson-smile");
    assertThat(req.header("Content-Encoding")).isEqualTo("gzip");
    assertThat(new String(Fakes.gunzip(req.rawBody), java.nio.charset.StandardCharsets.ISO_8859_1)).startsWith(":)\n");
    Map<String, Object> first = server.store.predictions.get(0);
    assertThat(first).containsEntry("prediction_id", "p1").containsEntry("model_version", "v2.1.0");
    assertThat(first.get("data")).isEqualTo(Map.of("score", 1L));
  }

  @Test
  void omitsAuthorizationWithoutAnApiKey() throws Exception {
    Fakes.Receiver server = later(new Fakes.Receiver());
    Hindsight h = later(builder(server.url()).build());
    predict(h, "p1", 1);
    assertThat(h.flush(Duration.ofSeconds(5))).isTrue();
    assertThat(server.store.requests.get(0).header("Authorization")).isNull();
  }

  @Test
  void cutsBatchesBySize() throws Exception {
    Fakes.Receiver server = later(new Fakes.Receiver());
    Hindsight h = later(builder(server.url()).batchSize(10).queueCapacity(1000).linger(Duration.ofMinutes(5)).build());
    for (int i = 0; i < 30; i++) {
      predict(h, "p" + i, i);
    }
    assertThat(Fakes.await(Duration.ofSeconds(5), () -> server.store.predictions.size() == 30)).isTrue();
    assertThat(server.store.requests).hasSize(3);
    List<String> keys = new ArrayList<>();
    server.store.requests.forEach(r -> keys.add(r.header("Idempotency-Key")));
    assertThat(keys).doesNotHaveDuplicates();
  }

  @Test
  void sendsAPartialBatchAfterTheLinger() throws Exception {
    Fakes.Receiver server = later(new Fakes.Receiver());
    Hindsight h = later(builder(server.url()).linger(Duration.ofMillis(50)).build());
    predict(h, "lonely", 1);
    assertThat(Fakes.await(Duration.ofSeconds(5), () -> server.store.predictions.size() == 1)).isTrue();
  }

  @Test
  void countsAndDoesNotRetryRecordsTheServerRejects() throws Exception {
    Fakes.Receiver server = later(new Fakes.Receiver());
    Hindsight h = later(builder(server.url()).build());
    predict(h, "good", 1);
    try (Prediction p = h.startPrediction("bad")) {
      Hindsight.log("reject_me", 1);
    }
    assertThat(h.flush(Duration.ofSeconds(5))).isTrue();
    Stats s = h.stats();
    assertThat(s.sent()).isEqualTo(1);
    assertThat(s.rejected()).isEqualTo(1);
    assertThat(s.retried()).isZero();
    assertThat(server.store.requests).hasSize(1);
  }

  @Test
  void aClientErrorForTheWholeBatchIsCountedNotRetried() throws Exception {
    Fakes.Receiver server = later(new Fakes.Receiver());
    server.forcedStatus = 415; // about the request, not one record: nothing to isolate
    Hindsight h = later(builder(server.url()).bodyFormat(BodyFormat.JSON).build());
    predict(h, "p1", 1);
    predict(h, "p2", 2);
    assertThat(h.flush(Duration.ofSeconds(5))).isTrue();
    assertThat(h.stats().rejected()).isEqualTo(2);
    assertThat(h.stats().predictions().rejected(RejectReason.REQUEST_REFUSED)).isEqualTo(2);
    assertThat(h.stats().lost()).isEqualTo(2);
    assertThat(h.stats().retried()).isZero();
    assertThat(server.store.requests).hasSize(1);
  }

  @Test
  void honoursServiceUnavailableAndRetryAfter() throws Exception {
    Fakes.Unavailable server = later(new Fakes.Unavailable(2, "1"));
    Hindsight h = later(builder(server.url()).retryBackoff(Duration.ofMillis(5), Duration.ofMillis(10)).build());
    predict(h, "p1", 1);
    assertThat(h.flush(Duration.ofSeconds(10))).isTrue();
    assertThat(server.behind.store.predictionIds()).containsExactly("p1");
    assertThat(h.stats().retried()).isEqualTo(2);
    assertThat(server.arrivals).hasSize(3);
    long gap = server.arrivals.get(1) - server.arrivals.get(0);
    assertThat(Duration.ofNanos(gap)).isGreaterThanOrEqualTo(Duration.ofMillis(950));
  }

  @Test
  void retryAfterSetsTheNextAttemptExactly() {
    FakeTime time = new FakeTime();
    List<CompletableFuture<Transport.Response>> answers = new CopyOnWriteArrayList<>();
    Hindsight h = later(Hindsight.builder().endpoint("e").closeOnShutdown(false).time(time).startWorker(false)
        .linger(Duration.ofMillis(10))
        .sender(b -> {
          CompletableFuture<Transport.Response> f = new CompletableFuture<>();
          answers.add(f);
          return f;
        })
        .build());
    predict(h, "p1", 1);
    h.shipper.step(); // takes the record; the batch waits for the linger
    assertThat(answers).isEmpty();
    time.advance(Duration.ofMillis(10));
    h.shipper.step();
    assertThat(answers).hasSize(1);
    answers.get(0).complete(new Transport.Response(503, "{\"error\":\"disk full\"}", "7", null));
    h.shipper.step();
    assertThat(h.shipper.nextAttemptNanos() - time.nanoTime()).isEqualTo(Duration.ofSeconds(7).toNanos());
    time.advance(Duration.ofMillis(6999));
    h.shipper.step();
    assertThat(answers).hasSize(1);
    time.advance(Duration.ofMillis(1));
    h.shipper.step();
    assertThat(answers).hasSize(2);
    assertThat(h.stats().retried()).isEqualTo(1);
    assertThat(h.stats().spooled()).isEqualTo(1);
    answers.get(1).complete(new Transport.Response(200, "{\"accepted\":1,\"rejected\":[]}", null, null));
    h.shipper.step();
    assertThat(h.stats().sent()).isEqualTo(1);
    assertThat(h.stats().spooled()).isZero();
  }

  @Test
  void keepsRequestsInFlightSettlesThemInOrderAndGoesOneAtATimeAfterAFailure() {
    FakeTime time = new FakeTime();
    List<Batch> sent = new CopyOnWriteArrayList<>();
    List<CompletableFuture<Transport.Response>> answers = new CopyOnWriteArrayList<>();
    Hindsight h = later(Hindsight.builder().endpoint("e").closeOnShutdown(false).time(time).startWorker(false)
        .batchSize(2).maxRequestsInFlight(3).retryBackoff(Duration.ofMillis(10), Duration.ofMillis(10))
        .sender(b -> {
          CompletableFuture<Transport.Response> f = new CompletableFuture<>();
          sent.add(b);
          answers.add(f);
          return f;
        })
        .build());
    for (int i = 0; i < 10; i++) {
      predict(h, "p" + i, i);
    }
    h.shipper.step();
    h.shipper.step(); // five batches of two are cut; three go out at once, in order
    assertThat(sent).hasSize(3);
    assertThat(firstIds(sent)).containsExactly("p0", "p2", "p4");

    answers.get(1).complete(ok(2));
    answers.get(2).complete(ok(2));
    h.shipper.step();
    assertThat(h.stats().sent()).as("nothing is settled before the oldest request answers").isZero();
    assertThat(sent).hasSize(3);
    answers.get(0).complete(ok(2));
    h.shipper.step();
    assertThat(h.stats().sent()).isEqualTo(6);
    assertThat(firstIds(sent)).containsExactly("p0", "p2", "p4", "p6", "p8");

    answers.get(3).complete(new Transport.Response(503, "{\"error\":\"busy\"}", null, null));
    h.shipper.step();
    assertThat(answers.get(4)).as("requests behind a failed one are abandoned").isCancelled();
    assertThat(h.stats().spooled()).isEqualTo(4);
    time.advance(Duration.ofMillis(10));
    h.shipper.step();
    assertThat(firstIds(sent)).as("after a failure, one request at a time")
        .containsExactly("p0", "p2", "p4", "p6", "p8", "p6");
    answers.get(5).complete(ok(2));
    h.shipper.step();
    assertThat(firstIds(sent)).containsExactly("p0", "p2", "p4", "p6", "p8", "p6", "p8");
    assertThat(sent.get(6).idempotencyKey).isEqualTo(sent.get(4).idempotencyKey);
    answers.get(6).complete(ok(2));
    h.shipper.step();
    assertThat(h.stats().sent()).isEqualTo(10);
    assertThat(h.stats().spooled()).isZero();
    assertThat(h.stats().retried()).isEqualTo(1);
  }

  private static Transport.Response ok(int accepted) {
    return new Transport.Response(200, "{\"accepted\":" + accepted + ",\"rejected\":[]}", null, null);
  }

  /** The prediction id of each sent batch's first record. */
  private static List<String> firstIds(List<Batch> batches) {
    List<String> ids = new ArrayList<>();
    for (Batch b : batches) {
      try {
        Object first = ((List<?>) JsonIn.parse(Fakes.jsonOf(b))).get(0);
        ids.add((String) ((Map<?, ?>) first).get("prediction_id"));
      } catch (java.io.IOException e) {
        throw new java.io.UncheckedIOException(e);
      }
    }
    return ids;
  }

  @Test
  void backoffGrowsExponentiallyWithJitterUpToTheMaximum() {
    RetryPolicy retry = new RetryPolicy(Duration.ofMillis(100).toNanos(), Duration.ofSeconds(1).toNanos());
    for (int attempt = 1; attempt <= 8; attempt++) {
      long full = Math.min(100L << (attempt - 1), 1000L) * 1_000_000L;
      for (int i = 0; i < 20; i++) {
        assertThat(retry.backoff(attempt)).isBetween(full / 2, full);
      }
    }
  }

  @Test
  void readsRetryAfterAsSecondsOrHttpDate() {
    long now = Timestamps.micros(java.time.Instant.parse("2026-11-22T10:15:00Z"));
    assertThat(Shipper.retryAfterNanos("3", now)).isEqualTo(3_000_000_000L);
    assertThat(Shipper.retryAfterNanos("Sun, 22 Nov 2026 10:15:05 GMT", now)).isEqualTo(5_000_000_000L);
    assertThat(Shipper.retryAfterNanos("soon", now)).isEqualTo(-1);
  }

  @Test
  void aFullQueueDropsTheNewestAndCountsIt() {
    Hindsight h = later(Hindsight.builder().endpoint("e").closeOnShutdown(false).startWorker(false)
        .queueCapacity(10).batchSize(10).sender(b -> new CompletableFuture<>()).build());
    for (int i = 0; i < 15; i++) {
      predict(h, "p" + i, i);
    }
    Stats s = h.stats();
    assertThat(s.recorded()).as("every record handed over is counted").isEqualTo(15);
    assertThat(s.dropped(DropReason.QUEUE_FULL)).isEqualTo(5);
    assertThat(s.lost()).isEqualTo(5);
    assertThat(s.queued()).isEqualTo(10);
    assertThat(s.addsUp()).as("%s", s).isTrue();
  }

  @Test
  void aHungServerNeitherBlocksNorSlowsScopeCloses() throws Exception {
    Fakes.Hanging server = later(new Fakes.Hanging());
    Hindsight h = later(builder(server.url()).requestTimeout(Duration.ofSeconds(30)).batchSize(100)
        .queueCapacity(20_000).closeTimeout(Duration.ofSeconds(1)).build());
    predict(h, "warm-up", 0);
    assertThat(Fakes.await(Duration.ofSeconds(5), () -> !server.held.isEmpty())).isTrue();
    long start = System.nanoTime();
    for (int i = 0; i < 10_000; i++) {
      try (Prediction p = h.startPrediction()) {
        Hindsight.log("i", i);
        Hindsight.log("score", 0.5);
      }
    }
    Duration took = Duration.ofNanos(System.nanoTime() - start);
    assertThat(took).isLessThan(Duration.ofSeconds(2));
    assertThat(h.stats().recorded()).isEqualTo(10_001);
    long closeStart = System.nanoTime();
    h.close(Duration.ofSeconds(1));
    assertThat(Duration.ofNanos(System.nanoTime() - closeStart)).isLessThan(Duration.ofMillis(1500));
  }

  @Test
  void closeReturnsWithinItsTimeoutWhenTheServerIsDown() throws Exception {
    int dead = Fakes.freePort();
    Hindsight h = builder("http://127.0.0.1:" + dead).build();
    for (int i = 0; i < 100; i++) {
      predict(h, "p" + i, i);
    }
    long start = System.nanoTime();
    boolean delivered = h.close(Duration.ofMillis(500));
    assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofMillis(900));
    assertThat(delivered).isFalse();
    Stats s = h.stats();
    assertThat(s.dropped(DropReason.SHUTDOWN)).isEqualTo(100); // no spool directory: counted, not silent
    predict(h, "late", 1);
    assertThat(h.stats().dropped(DropReason.CLOSED)).isEqualTo(1);
  }

  @Test
  void closeDeliversWhatIsQueued() throws Exception {
    Fakes.Receiver server = later(new Fakes.Receiver());
    Hindsight h = builder(server.url()).linger(Duration.ofMinutes(1)).build();
    for (int i = 0; i < 10; i++) {
      predict(h, "p" + i, i);
    }
    assertThat(h.close(Duration.ofSeconds(5))).isTrue();
    assertThat(server.store.predictions).hasSize(10);
  }

  @Test
  void shipsFeedbackAndEventsToTheirOwnPaths() throws Exception {
    Fakes.Receiver server = later(new Fakes.Receiver());
    Hindsight h = later(builder(server.url()).build());
    h.feedback("txn-123", Map.of("label", "legit"));
    h.event("deploy", "v2.1.0 rolled out", Map.of("by", "ci"));
    assertThat(h.flush(Duration.ofSeconds(5))).isTrue();
    assertThat(server.store.feedback).hasSize(1);
    Map<String, Object> fb = server.store.feedback.get(0);
    assertThat(fb).containsEntry("prediction_id", "txn-123").containsKey("ts");
    assertThat(fb.get("data")).isEqualTo(Map.of("label", "legit"));
    Map<String, Object> ev = server.store.events.get(0);
    assertThat(ev).containsEntry("kind", "deploy").containsEntry("text", "v2.1.0 rolled out");
    assertThat(ev.get("data")).isEqualTo(Map.of("by", "ci"));
    assertThat(server.store.requests).extracting(r -> r.path)
        .containsExactlyInAnyOrder("/v1/endpoints/fraud-model/feedback", "/v1/endpoints/fraud-model/events");
  }

  @Test
  void feedbackIsValidatedLikeLogs() {
    Hindsight h = later(builder("http://127.0.0.1:1").build());
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> h.feedback("t", Map.of("Label", 1, "label", 2)))
        .hasMessageContaining("same column");
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> h.feedback("t", Map.of("Prediction_ID", 1)))
        .hasMessageContaining("field of every feedback record");
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> h.feedback("t", Map.of()))
        .hasMessageContaining("no data");
  }

  @Test
  void logBatchSendsSynchronouslyAndReportsProgress() throws Exception {
    Fakes.Receiver server = later(new Fakes.Receiver());
    Hindsight h = later(builder(server.url()).batchSize(4).build());
    List<Map<String, Object>> rows = new ArrayList<>();
    for (int i = 0; i < 10; i++) {
      rows.add(Map.of("prediction_id", "job-" + i, "score", i));
    }
    rows.add(Map.of("reject_me", 1));
    rows.add(Map.of("bad key", 1));
    List<Long> progress = new CopyOnWriteArrayList<>();
    BatchResult result = h.logBatch(rows, (processed, accepted, rejected) -> progress.add(processed));
    assertThat(result.accepted()).isEqualTo(10);
    assertThat(result.rejected()).isEqualTo(2);
    assertThat(result.unsent()).isZero();
    assertThat(result.rejections()).extracting(BatchResult.Rejection::index).containsExactlyInAnyOrder(10L, 11L);
    assertThat(progress).isNotEmpty().last().isEqualTo(12L);
    assertThat(server.store.predictionIds()).contains("job-0", "job-9");
  }

  @Test
  void settingsAreFrozenWhenBuilt() throws Exception {
    Fakes.Receiver server = later(new Fakes.Receiver());
    HindsightBuilder builder = builder(server.url()).batchSize(10);
    Hindsight h = later(builder.build());
    builder.batchSize(1).retryBackoff(Duration.ofHours(1), Duration.ofHours(2));
    List<Map<String, Object>> rows = List.of(Map.of("score", 1), Map.of("score", 2), Map.of("score", 3));
    assertThat(h.logBatch(rows, null).accepted()).isEqualTo(3);
    assertThat(server.store.requests).as("one request of batchSize 10, as built").hasSize(1);
  }

  @Test
  void logBatchKeepsRecordsThroughAKeyProblemAsTheShipperDoesAndWaitsOnTheSdkClock() {
    FakeTime time = new FakeTime();
    List<Batch> sent = new CopyOnWriteArrayList<>();
    Hindsight h =
        later(
            Hindsight.builder()
                .endpoint("e")
                .closeOnShutdown(false)
                .time(time)
                .startWorker(false)
                .retryBackoff(Duration.ofSeconds(10), Duration.ofSeconds(60))
                .sender(
                    b -> {
                      sent.add(b);
                      return CompletableFuture.completedFuture(
                          new Transport.Response(401, "{\"error\":\"key revoked\"}", null, null));
                    })
                .build());
    long before = time.nanoTime();
    BatchResult result = h.logBatch(List.of(Map.of("score", 1), Map.of("score", 2)), null);
    // 401 means "fix the key", not "bad records": undelivered (to resend), never rejected.
    assertThat(result.unsent()).isEqualTo(2);
    assertThat(result.rejected()).isZero();
    assertThat(sent).hasSize(RetryPolicy.SYNCHRONOUS_ATTEMPTS);
    assertThat(h.stats().dropped(DropReason.UNDELIVERED)).isEqualTo(2);
    // Four waits of at least half of 10, 20, 40 and 60 s passed on the fake clock, none on the wall.
    assertThat(time.nanoTime() - before).isGreaterThanOrEqualTo(Duration.ofSeconds(65).toNanos());
  }
}
