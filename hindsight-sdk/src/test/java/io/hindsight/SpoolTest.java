package io.hindsight;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.io.TempDir;

class SpoolTest extends ClosesAfterEachTest {
  @TempDir Path dir;
  private HindsightBuilder builder(String url) {
    return Hindsight.builder()
        .endpoint("fraud-model")
        .serverUrl(url)
        .spoolDirectory(dir.resolve("spool"))
        .linger(Duration.ofMillis(10))
        .batchSize(20)
        .retryBackoff(Duration.ofMillis(20), Duration.ofMillis(100))
        .closeOnShutdown(false);
  }

  private static void predict(Hindsight h, String id) {
    try (Prediction p = h.startPrediction(id)) {
      Hindsight.log("score", 0.5);
    }
  }

  private List<Path> segments() throws IOException {
    try (Stream<Path> s = Files.list(dir.resolve("spool"))) {
      return s.filter(p -> p.toString().endsWith(DiskSpool.SUFFIX)).sorted().toList();
    }
  }

  /**
   * Every record arrives once, whatever the number of requests in flight; with one at a time the
   * server also stores them in exactly the order they were recorded.
   */
  @ParameterizedTest(name = "maxRequestsInFlight={0}")
  @ValueSource(ints = {1, HindsightBuilder.DEFAULT_MAX_REQUESTS_IN_FLIGHT})
  void spoolsWhileTheServerIsStoppedAndDeliversEveryRecordOnce(int maxRequestsInFlight) throws Exception {
    Fakes.Store store = new Fakes.Store();
    Fakes.Receiver server = new Fakes.Receiver(store, 0);
    int port = server.port();
    Hindsight h = later(builder(server.url()).maxRequestsInFlight(maxRequestsInFlight).build());
    List<String> expected = new ArrayList<>();
    for (int i = 0; i < 100; i++) {
      predict(h, "before-" + i);
      expected.add("before-" + i);
    }
    assertThat(h.flush(Duration.ofSeconds(5))).isTrue();
    server.close();

    for (int i = 0; i < 200; i++) {
      predict(h, "during-" + i);
      expected.add("during-" + i);
    }
    assertThat(Fakes.await(Duration.ofSeconds(10), () -> h.stats().spooled() == 200)).isTrue();
    assertThat(segments()).isNotEmpty();
    assertThat(h.stats().retried()).isPositive();

    Fakes.Receiver back = later(new Fakes.Receiver(store, port));
    back.loseAnswers.set(2); // the first two replays are stored but their answers are lost
    for (int i = 0; i < 50; i++) {
      predict(h, "after-" + i);
      expected.add("after-" + i);
    }
    assertThat(h.flush(Duration.ofSeconds(15))).isTrue();
    if (maxRequestsInFlight == 1) {
      assertThat(store.predictionIds()).containsExactlyElementsOf(expected);
    } else {
      assertThat(store.predictionIds()).containsExactlyInAnyOrderElementsOf(expected);
    }
    if (maxRequestsInFlight == 1) {
      assertThat(store.duplicates.get()).isEqualTo(2);
    } else {
      // Requests that were out behind a lost answer are sent again too; the store keeps them once.
      assertThat(store.duplicates.get()).isGreaterThanOrEqualTo(2);
    }
    assertThat(segments()).isEmpty();
    Stats s = h.stats();
    assertThat(s.sent()).isEqualTo(350);
    assertThat(s.lost()).isZero();
    assertThat(s.spooled()).isZero();
  }

  @Test
  void recordsSpooledByAKilledProcessArriveAfterRestart() throws Exception {
    int n = 500;
    Path spool = dir.resolve("spool");
    int dead = Fakes.freePort();
    String javaCmd = ProcessHandle.current().info().command().orElse("java");
    Process child =
        new ProcessBuilder(
                javaCmd, "-cp", System.getProperty("java.class.path"), SpoolingChild.class.getName(),
                spool.toString(), Integer.toString(dead), Integer.toString(n))
            .redirectErrorStream(true)
            .start();
    try {
      BufferedReader out = new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8));
      CompletableFuture<String> line = CompletableFuture.supplyAsync(() -> {
        try {
          String l;
          while ((l = out.readLine()) != null) {
            if (l.contains("SPOOLED")) {
              return l;
            }
          }
          return "EOF";
        } catch (IOException e) {
          return e.toString();
        }
      });
      assertThat(line.get(60, TimeUnit.SECONDS)).isEqualTo("SPOOLED");
    } finally {
      child.destroyForcibly(); // SIGKILL: no shutdown hook, no close
      child.waitFor(10, TimeUnit.SECONDS);
    }
    assertThat(child.isAlive()).isFalse();

    Fakes.Receiver server = later(new Fakes.Receiver());
    // One request at a time, so the replay's order is also the order the server stores.
    Hindsight h = later(builder(server.url()).maxRequestsInFlight(1).build());
    assertThat(h.flush(Duration.ofSeconds(20))).isTrue();
    List<String> ids = server.store.predictionIds();
    assertThat(ids).hasSize(n).doesNotHaveDuplicates();
    assertThat(new HashSet<>(ids)).containsAll(java.util.stream.IntStream.range(0, n).mapToObj(i -> "kill-" + i).toList());
    assertThat(ids.get(0)).isEqualTo("kill-0");
  }

  @Test
  void aSecondInstanceOnTheSameSpoolDirectoryFailsFast() {
    Hindsight first = later(builder("http://127.0.0.1:1").build());
    assertThat(first).isNotNull();
    assertThatThrownBy(() -> builder("http://127.0.0.1:1").build())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("in use by another Hindsight instance")
        .hasMessageContaining("its own spool directory");
  }

  @Test
  void aFullSpoolDropsTheNewestBatchesAndCountsThem() throws Exception {
    Hindsight h = later(builder("http://127.0.0.1:1").startWorker(false).batchSize(10).queueCapacity(1000)
        .spoolMaxBytes(1 << 20).sender(b -> CompletableFuture.completedFuture(new Transport.Response(503, "", "60", null)))
        .build());
    FakeTimeSteps steps = new FakeTimeSteps(h);
    for (int i = 0; i < 200; i++) {
      try (Prediction p = h.startPrediction("big-" + i)) {
        Hindsight.log("blob", randomHex(20_000));
      }
      steps.run();
    }
    h.close(Duration.ofSeconds(1));
    Stats s = h.stats();
    assertThat(s.dropped(DropReason.SPOOL_FULL)).isPositive();
    assertThat(s.spoolBytes()).isLessThanOrEqualTo(1 << 20);
    assertThat(s.spooled() + s.dropped(DropReason.SPOOL_FULL)).isEqualTo(200);
    // DROP_NEWEST keeps the oldest batch at the head
    assertThat(Fakes.jsonOf(DiskSpool.read(segments().get(0)))).contains("\"big-0\"");
  }

  @Test
  void dropOldestMakesRoomForNewBatches() throws Exception {
    Hindsight h = later(builder("http://127.0.0.1:1").startWorker(false).batchSize(10).queueCapacity(1000)
        .spoolMaxBytes(1 << 20).dropPolicy(DropPolicy.DROP_OLDEST)
        .sender(b -> CompletableFuture.completedFuture(new Transport.Response(503, "", "60", null)))
        .build());
    FakeTimeSteps steps = new FakeTimeSteps(h);
    for (int i = 0; i < 200; i++) {
      try (Prediction p = h.startPrediction("big-" + i)) {
        Hindsight.log("blob", randomHex(20_000));
      }
      steps.run();
    }
    h.close(Duration.ofSeconds(1)); // cuts the last open batch into the spool
    List<Path> segs = segments();
    String last = Fakes.jsonOf(DiskSpool.read(segs.get(segs.size() - 1)));
    assertThat(last).contains("\"big-199\"");
    assertThat(h.stats().dropped(DropReason.SPOOL_FULL)).isPositive();
  }

  @Test
  void leftoverTemporaryFilesAreDeletedAndCorruptSegmentsQuarantined() throws Exception {
    Path spool = Files.createDirectories(dir.resolve("spool"));
    Files.write(spool.resolve("segment-00000000000000000007.hsb.tmp"), new byte[] {1, 2, 3});
    byte[] json = "[{\"prediction_id\":\"survivor\",\"data\":{}}]".getBytes(StandardCharsets.UTF_8);
    Batch good = new Batch(Kind.PREDICTIONS, "key-1", 1, BodyFormat.JSON, Shipper.gzip(json, json.length));
    Files.write(spool.resolve("segment-00000000000000000003.hsb"), DiskSpool.encode(good));
    byte[] torn = DiskSpool.encode(good);
    torn[torn.length - 10] ^= 0x55;
    Files.write(spool.resolve("segment-00000000000000000005.hsb"), torn);

    Fakes.Receiver server = later(new Fakes.Receiver());
    Hindsight h = later(builder(server.url()).build());
    assertThat(h.flush(Duration.ofSeconds(5))).isTrue();
    assertThat(server.store.predictionIds()).containsExactly("survivor");
    assertThat(server.store.requests.get(0).header("Idempotency-Key")).isEqualTo("key-1");
    assertThat(Files.exists(spool.resolve("segment-00000000000000000007.hsb.tmp"))).isFalse();
    assertThat(Files.exists(spool.resolve("segment-00000000000000000005.hsb.corrupt"))).isTrue();
  }

  @Test
  void closeSpoolsWhatTheServerDidNotTake() throws Exception {
    int dead = Fakes.freePort();
    Hindsight h = builder("http://127.0.0.1:" + dead).linger(Duration.ofMinutes(1)).build();
    for (int i = 0; i < 30; i++) {
      predict(h, "p" + i);
    }
    assertThat(h.close(Duration.ofSeconds(2))).isFalse();
    assertThat(h.stats().spooled()).isEqualTo(30);
    assertThat(h.stats().lost()).isZero();

    Fakes.Receiver server = later(new Fakes.Receiver());
    Hindsight next = later(builder(server.url()).build());
    assertThat(next.flush(Duration.ofSeconds(5))).isTrue();
    assertThat(server.store.predictions).hasSize(30);
  }

  /** A spooled batch keeps its body format: an SDK restarted with the other format sends it as it was written. */
  @Test
  void batchesSpooledAsSmileAreReplayedAsSmileByAnSdkNowWritingJson() throws Exception {
    int dead = Fakes.freePort();
    Hindsight h = builder("http://127.0.0.1:" + dead).bodyFormat(BodyFormat.SMILE).linger(Duration.ofMinutes(1)).build();
    for (int i = 0; i < 30; i++) {
      predict(h, "smile-" + i);
    }
    h.feedback("smile-0", java.util.Map.of("label", "fraud"));
    assertThat(h.close(Duration.ofSeconds(2))).isFalse();
    assertThat(segments()).isNotEmpty().allSatisfy(seg -> assertThat(DiskSpool.read(seg).format).isEqualTo(BodyFormat.SMILE));

    Fakes.Receiver server = later(new Fakes.Receiver());
    Hindsight next = later(builder(server.url()).bodyFormat(BodyFormat.JSON).maxRequestsInFlight(1).build()); // in order
    predict(next, "json-0");
    assertThat(next.flush(Duration.ofSeconds(5))).isTrue();
    List<String> expected = new ArrayList<>();
    for (int i = 0; i < 30; i++) {
      expected.add("smile-" + i);
    }
    expected.add("json-0");
    assertThat(server.store.predictionIds()).containsExactlyElementsOf(expected);
    assertThat(server.store.feedback).singleElement().satisfies(f -> assertThat(f.get("data")).isEqualTo(java.util.Map.of("label", "fraud")));
    assertThat(server.store.requests).extracting(r -> r.header("Content-Type"))
        .containsExactly( // two batches of 20 and 10 predictions, one of feedback, then the new prediction
            BodyFormat.SMILE.contentType, BodyFormat.SMILE.contentType, BodyFormat.SMILE.contentType, BodyFormat.JSON.contentType);
  }

  /** A segment an SDK wrote before body formats (magic HSP1, no format byte) is replayed as JSON. */
  @Test
  void aSegmentFromBeforeBodyFormatsIsReplayedAsJson() throws Exception {
    Path spool = Files.createDirectories(dir.resolve("spool"));
    byte[] json = "[{\"prediction_id\":\"old\",\"data\":{}}]".getBytes(StandardCharsets.UTF_8);
    byte[] body = Shipper.gzip(json, json.length);
    java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream();
    java.io.DataOutputStream out = new java.io.DataOutputStream(bytes);
    out.writeInt(0x48535031); // "HSP1"
    out.writeByte(Kind.PREDICTIONS.ordinal());
    out.writeInt(1);
    out.writeUTF("old-key");
    out.writeInt(body.length);
    out.write(body);
    java.util.zip.CRC32 crc = new java.util.zip.CRC32();
    crc.update(bytes.toByteArray());
    out.writeInt((int) crc.getValue());
    Files.write(spool.resolve("segment-00000000000000000001.hsb"), bytes.toByteArray());

    Fakes.Receiver server = later(new Fakes.Receiver());
    Hindsight h = later(builder(server.url()).bodyFormat(BodyFormat.SMILE).build());
    assertThat(h.flush(Duration.ofSeconds(5))).isTrue();
    assertThat(server.store.predictionIds()).containsExactly("old");
    assertThat(server.store.requests.get(0).header("Content-Type")).isEqualTo(BodyFormat.JSON.contentType);
  }

  private static String randomHex(int n) {
    StringBuilder sb = new StringBuilder(n);
    ThreadLocalRandom r = ThreadLocalRandom.current();
    while (sb.length() < n) {
      sb.append(Long.toHexString(r.nextLong()));
    }
    return sb.substring(0, n);
  }

  /** Steps a manual worker so each cut batch meets the failing sender and goes to the spool. */
  private static final class FakeTimeSteps {
    private final Hindsight h;

    FakeTimeSteps(Hindsight h) {
      this.h = h;
    }

    void run() {
      h.shipper.step();
    }
  }

  @Test
  void aSplitHeadKeepsItsPlaceOnDiskAcrossARestart() throws Exception {
    Path spoolDir = dir.resolve("split");
    ThrottledLog log = new ThrottledLog(new FakeTime(), "e", null);
    Batch head = batchOf("h-0", "a", "b", "c");
    try (DiskSpool spool = new DiskSpool(spoolDir, 1 << 20, log)) {
      spool.add(head);
      spool.add(batchOf("h-1", "d"));
      Batch[] halves = BatchSplit.halves(spool.peek(0));
      spool.replaceHead(List.of(halves));
      assertThat(spool.records()).isEqualTo(4);
      assertThat(spool.records(Kind.PREDICTIONS)).isEqualTo(4);
    }
    try (DiskSpool reopened = new DiskSpool(spoolDir, 1 << 20, log)) {
      List<String> keys = new ArrayList<>();
      List<Integer> counts = new ArrayList<>();
      for (int i = 0; i < reopened.size(); i++) {
        keys.add(reopened.peek(i).idempotencyKey);
        counts.add(reopened.peek(i).records);
      }
      assertThat(keys).containsExactly("h-0-1", "h-0-2", "h-1");
      assertThat(counts).containsExactly(1, 2, 1);
      assertThat(new String(BatchSplit.gunzip(reopened.peek(1).gzippedBody), StandardCharsets.UTF_8))
          .isEqualTo("[{\"prediction_id\":\"b\",\"data\":{\"s\":\"],[{\\\"\"}},{\"prediction_id\":\"c\",\"data\":{\"s\":\"],[{\\\"\"}}]");
    }
  }

  /** A batch of records whose strings hold brackets, commas and escaped quotes, as a split must skip. */
  private static Batch batchOf(String key, String... ids) {
    BodyOut out = new JsonOut(256).beginBody();
    for (int i = 0; i < ids.length; i++) {
      if (i > 0) {
        out.next();
      }
      out.beginObject().field("prediction_id").string(ids[i]).next().field("data").beginObject().field("s").string("],[{\"").endObject().endObject();
    }
    out.endBody();
    return new Batch(Kind.PREDICTIONS, key, ids.length, BodyFormat.JSON, Shipper.gzip(out.buffer(), out.size()));
  }
}
