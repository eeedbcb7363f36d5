package io.hindsight.server.lake;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.hindsight.server.ServerConfig;
import io.hindsight.server.TestServer;
import io.hindsight.server.objects.LocalS3;
import io.hindsight.server.objects.ObjectStore;
import io.hindsight.server.objects.S3Location;
import io.hindsight.server.objects.StoredObject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** The lake kept of record on S3-compatible storage ({@code lake.uri}), against S3Proxy in the test's process. */
@Timeout(120)
class S3LakeTest {
  private static final String LAKE = "s3://lake/hindsight";

  @TempDir Path dir;
  private LocalS3 s3;
  private ObjectStore store;

  @BeforeEach
  void startStore() throws Exception {
    s3 = new LocalS3("lake");
    store = ObjectStore.open(s3.settings());
  }

  @AfterEach
  void stopStore() throws Exception {
    store.close();
    s3.close();
  }

  @Test
  void aServerWithAnS3LakePutsTheLayoutUnderThePrefixAndAnswersSqlAndLookups() throws Exception {
    try (TestServer s = new TestServer(dir.resolve("a"), s3Lake())) {
      accepted(s.predictions("fraud", predictions("p1", "p2", "p3")));
      accepted(s.postJson("/v1/endpoints/fraud/feedback", "{\"prediction_id\": \"p1\", \"ts\": \"2026-11-29T11:00:00Z\", \"data\": {\"label\": 1}}"));
      accepted(s.postJson("/v1/endpoints/fraud/events", "{\"ts\": \"2026-11-29T09:00:00Z\", \"kind\": \"deploy\", \"text\": \"v2\"}"));
      s.flush();

      assertThat(storedNames())
          .hasSize(3)
          .anySatisfy(n -> assertThat(n).matches("predictions/endpoint=fraud/date=2026-11-29/part-\\d{20}-\\w{8}\\.parquet"))
          .anySatisfy(n -> assertThat(n).matches("feedback/endpoint=fraud/date=2026-11-29/part-\\d{20}-\\w{8}\\.parquet"))
          .anySatisfy(n -> assertThat(n).matches("events/endpoint=fraud/part-\\d{20}-\\w{8}\\.parquet"));
      assertThat(s.scalar("SELECT count(*) FROM predictions_with_feedback WHERE feedback_label = 1").asLong()).isEqualTo(1);
      TestServer.Response lookup = s.get("/v1/endpoints/fraud/predictions/p2");
      assertThat(lookup.status()).as(lookup.body()).isEqualTo(200);
      assertThat(lookup.body()).contains("\"score\"");
    }
  }

  @Test
  void compactionAndRetentionDeleteWhatTheLakeLosesFromTheStore() throws Exception {
    try (TestServer s = new TestServer(dir.resolve("a"), s3Lake().andThen(c -> {
      c.lake.compactionMinFiles = 2;
      c.lake.compactionInterval = Duration.ofHours(1);
    }))) {
      for (String id : List.of("p1", "p2", "p3")) {
        accepted(s.predictions("fraud", predictions(id)));
        s.flush();
      }
      assertThat(storedNames()).hasSize(3);

      assertThat(s.compact()).isEqualTo(1);
      assertThat(storedNames()).singleElement().asString().startsWith("predictions/endpoint=fraud/date=2026-11-29/");
      assertThat(s.scalar("SELECT count(*) FROM predictions").asLong()).isEqualTo(3);

      TestServer.Response deletion = s.delete("/v1/endpoints/fraud/data?before=2026-11-30&kind=predictions");
      assertThat(deletion.status()).as(deletion.body()).isEqualTo(202);
      assertThat(s.awaitJob(deletion.json().get("id").asText()).get("state").asText()).isEqualTo("done");
      s.flush();
      assertThat(storedNames()).noneMatch(n -> n.startsWith("predictions/"));
    }
  }

  @Test
  void aFollowingServerAnswersSqlWithTheWritersRowsAndDropsWhatCompactionReplaced() throws Exception {
    try (TestServer writer = new TestServer(dir.resolve("writer"), s3Lake().andThen(c -> {
          c.lake.compactionMinFiles = 2;
          c.lake.compactionInterval = Duration.ofHours(1);
        }));
        TestServer reader = new TestServer(dir.resolve("reader"), s3Lake().andThen(c -> {
          c.lake.follow = true;
          c.lake.followInterval = Duration.ofMillis(50);
        }))) {
      accepted(writer.predictions("fraud", predictions("p1", "p2")));
      writer.flush();
      accepted(writer.predictions("fraud", predictions("p3")));
      writer.flush();

      await(() -> count(reader, "SELECT count(*) FROM predictions") == 3);
      assertThat(reader.query("SELECT prediction_id FROM predictions ORDER BY 1").get("rows").toString())
          .isEqualTo("[[\"p1\"],[\"p2\"],[\"p3\"]]");

      assertThat(writer.compact()).isEqualTo(1);
      await(() -> localFiles(dir.resolve("reader")) == 1);
      assertThat(count(reader, "SELECT count(*) FROM predictions")).isEqualTo(3);
    }
  }

  @Test
  void queryAndMonitorNodesOverAStoreFollowItAndNeverWriteToIt() throws Exception {
    try (TestServer writer = new TestServer(dir.resolve("writer"), s3Lake());
        TestServer query = new TestServer(dir.resolve("query"), s3Lake().andThen(c -> {
          c.role = io.hindsight.server.Role.QUERY;
          c.lake.followInterval = Duration.ofMillis(50);
        }));
        TestServer monitor = new TestServer(dir.resolve("monitor"), s3Lake().andThen(c -> {
          c.role = io.hindsight.server.Role.MONITOR;
          c.lake.followInterval = Duration.ofMillis(50);
        }))) {
      accepted(writer.predictions("loans", "[{\"prediction_id\": \"p1\", \"ts\": \"2026-11-29T10:00:00Z\", \"data\": {\"x\": 1}}]"));
      writer.flush();
      await(() -> count(query, "SELECT count(*) FROM predictions") == 1);
      await(() -> count(monitor, "SELECT count(*) FROM predictions") == 1);
      assertThat(Files.exists(dir.resolve("query/lake/.lake-store"))).as("the query node took the store for its own").isFalse();
    }
  }

  /**
   * Without Kafka the writer's catalog of schemas reaches the nodes that follow its store through
   * the store itself: a monitor node knows the endpoint's columns, so a rule on one of them has a
   * value and fires.
   */
  @Test
  void aMonitorNodeLearnsTheWritersColumnsThroughTheStore() throws Exception {
    java.time.Instant now = java.time.Instant.now().truncatedTo(java.time.temporal.ChronoUnit.MINUTES);
    io.hindsight.server.ops.ManualScheduler time = new io.hindsight.server.ops.ManualScheduler(now);
    try (TestServer writer = new TestServer(dir.resolve("writer"), s3Lake());
        TestServer monitor = new TestServer(dir.resolve("monitor"), s3Lake().andThen(c -> c.role = io.hindsight.server.Role.MONITOR), time)) {
      accepted(writer.predictions("fraud", "[{\"prediction_id\": \"p1\", \"ts\": \"" + now.minusSeconds(600) + "\", \"data\": {\"amount\": 200}}]"));
      writer.flush();
      TestServer.Response rule = monitor.putJson("/v1/alerts/rules/big-amounts",
          "{\"endpoint\": \"fraud\", \"metric\": \"mean\", \"column\": \"amount\", \"window\": \"PT1H\", \"op\": \">\","
              + " \"threshold\": 150, \"for\": \"PT1M\", \"every\": \"PT1M\"}");
      assertThat(rule.status()).as(rule.body()).isEqualTo(200);
      long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
      while (!monitor.get("/v1/alerts/rules/big-amounts").json().get("state").asText().equals("firing")) {
        assertThat(System.nanoTime()).as("the rule fires on the monitor node").isLessThan(deadline);
        time.advance(Duration.ofSeconds(5));
      }
      assertThat(monitor.get("/v1/alerts/rules/big-amounts").json().get("value").asDouble()).isEqualTo(200);
    }
  }

  /**
   * Without Kafka a monitor node has no way into the lake a writer keeps: what its alerts do is
   * counted as not recorded, and said, rather than kept where no one reads it.
   */
  @Test
  void aMonitorNodeWithoutKafkaCountsTheAlertEventsItCannotRecord() throws Exception {
    io.hindsight.server.ops.ManualScheduler time = new io.hindsight.server.ops.ManualScheduler();
    try (TestServer writer = new TestServer(dir.resolve("writer"), s3Lake());
        TestServer monitor = new TestServer(dir.resolve("monitor"), s3Lake().andThen(c -> c.role = io.hindsight.server.Role.MONITOR), time)) {
      // A model that stopped logging pages someone: no rows in the window is an alert.
      TestServer.Response rule = monitor.putJson("/v1/alerts/rules/silent",
          "{\"endpoint\": \"fraud\", \"metric\": \"mean\", \"column\": \"amount\", \"window\": \"PT1H\", \"op\": \">\","
              + " \"threshold\": 150, \"for\": \"PT1M\", \"every\": \"PT1M\", \"no_data\": \"alert\"}");
      assertThat(rule.status()).as(rule.body()).isEqualTo(200);
      for (int i = 0; i < 36; i++) {
        time.advance(Duration.ofSeconds(5));
      }
      assertThat(monitor.get("/v1/alerts/rules/silent").json().get("state").asText()).isEqualTo("firing");
      assertThat(monitor.get("/metrics").body()).as("pending, then firing").containsPattern("(?m)^hindsight_events_unrecorded_total 2\\.0$");
    }
  }

  @Test
  void anErasureRewritesTheStoredFileAndAFollowingServerDropsTheErasedRows() throws Exception {
    try (TestServer writer = new TestServer(dir.resolve("writer"), s3Lake());
        TestServer reader = new TestServer(dir.resolve("reader"), s3Lake().andThen(c -> {
          c.lake.follow = true;
          c.lake.followInterval = Duration.ofMillis(50);
        }))) {
      accepted(writer.predictions("loans", "[{\"prediction_id\": \"p1\", \"ts\": \"2026-11-29T10:00:00Z\", \"data\": {\"customer_id\": \"c-1\"}},"
          + " {\"prediction_id\": \"p2\", \"ts\": \"2026-11-29T10:00:00Z\", \"data\": {\"customer_id\": \"c-2\"}}]"));
      writer.flush();
      await(() -> count(reader, "SELECT count(*) FROM predictions") == 2);

      TestServer.Response erasure = writer.postJson("/v1/erasure", "{\"endpoint\": \"loans\", \"key\": \"customer_id\", \"value\": \"c-1\"}");
      assertThat(erasure.status()).as(erasure.body()).isEqualTo(202);
      assertThat(writer.awaitJob(erasure.json().get("id").asText()).get("state").asText()).isEqualTo("done");

      await(() -> count(reader, "SELECT count(*) FROM predictions") == 1);
      assertThat(reader.scalar("SELECT prediction_id FROM predictions").asText()).isEqualTo("p2");
    }
  }

  @Test
  void theStoreStoppedUnderLoadThenStartedGetsEveryAcknowledgedRecordExactlyOnce() throws Exception {
    Set<String> acked = ConcurrentHashMap.newKeySet();
    try (TestServer s = new TestServer(dir.resolve("a"), s3Lake().andThen(c -> c.lake.flushInterval = Duration.ofMillis(20)))) {
      AtomicBoolean running = new AtomicBoolean(true);
      List<Thread> clients = new ArrayList<>();
      for (int t = 0; t < 2; t++) {
        int client = t;
        Thread th = new Thread(() -> {
          for (int batch = 0; running.get(); batch++) {
            String[] ids = new String[20];
            for (int i = 0; i < ids.length; i++) {
              ids[i] = "c" + client + "-" + batch + "-" + i;
            }
            if (s.predictions("fraud", predictions(ids)).status() == 200) {
              acked.addAll(List.of(ids));
            }
          }
        });
        th.start();
        clients.add(th);
      }
      await(() -> acked.size() > 500);
      s3.pause();
      int ackedBeforeOutage = acked.size();
      await(() -> !s.get("/health").json().get("status").asText().equals("ok"));
      assertThat(s.get("/health").body()).contains("lake writer: cannot write", "s3://lake/hindsight/predictions/");
      await(() -> acked.size() > ackedBeforeOutage + 500);
      s3.resume();
      await(() -> acked.size() > ackedBeforeOutage + 1000);
      running.set(false);
      for (Thread th : clients) {
        th.join();
      }
      await(() -> s.get("/health").json().get("status").asText().equals("ok")
          && count(s, "SELECT count(*) FROM predictions") == acked.size());
    }
    try (TestServer reader = new TestServer(dir.resolve("reader"), s3Lake().andThen(c -> c.lake.follow = true))) {
      assertThat(count(reader, "SELECT count(*) FROM predictions")).isEqualTo(acked.size());
      assertThat(count(reader, "SELECT count(DISTINCT prediction_id) FROM predictions")).isEqualTo(acked.size());
    }
  }

  @Test
  void aBadCredentialAMissingBucketOrNoStoreStopsTheStartNamingTheSetting() throws Exception {
    assertThatThrownBy(() -> new TestServer(dir.resolve("a"), s3Lake().andThen(c -> c.lake.s3.secretKey = "not-the-secret")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("lake.s3.access-key")
        .hasMessageContaining("refused the credentials of access key '" + LocalS3.ACCESS_KEY + "'")
        .hasMessageNotContaining("not-the-secret");
    assertThatThrownBy(() -> new TestServer(dir.resolve("b"), s3Lake().andThen(c -> c.lake.uri = "s3://no-such-bucket/x")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith("lake.uri: the bucket 'no-such-bucket' does not exist");
    String nothingListening = "http://127.0.0.1:" + closedPort();
    assertThatThrownBy(() -> new TestServer(dir.resolve("c"), s3Lake().andThen(c -> c.lake.s3.endpoint = nothingListening)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith("lake.s3.endpoint: cannot reach http://127.0.0.1:");
  }

  private static int closedPort() throws java.io.IOException {
    try (java.net.ServerSocket s = new java.net.ServerSocket(0)) {
      return s.getLocalPort();
    }
  }

  private Consumer<ServerConfig> s3Lake() {
    return c -> {
      c.lake.uri = LAKE;
      c.lake.s3.endpoint = s3.endpoint().toString();
      c.lake.s3.region = "us-east-1";
      c.lake.s3.pathStyle = true;
      c.lake.s3.accessKey = LocalS3.ACCESS_KEY;
      c.lake.s3.secretKey = LocalS3.SECRET_KEY;
    };
  }

  /** The store's objects below the lake's prefix, relative to it. */
  /** The store's objects under the lake's prefix, but for the notes beside the tables (the catalog). */
  private List<String> storedNames() throws Exception {
    S3Location prefix = S3Location.parse(LAKE);
    List<String> out = new ArrayList<>();
    for (StoredObject o : store.list(prefix)) {
      String name = prefix.relativeKey(o.location().key());
      if (!name.startsWith("_")) {
        out.add(name);
      }
    }
    return out;
  }

  private static long localFiles(Path dataDir) {
    try (var s = java.nio.file.Files.walk(dataDir.resolve("lake/predictions"))) {
      return s.filter(p -> p.getFileName().toString().endsWith(".parquet") && !p.getFileName().toString().startsWith(".")).count();
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  private static long count(TestServer s, String sql) {
    return s.scalar(sql).asLong();
  }

  private static String predictions(String... ids) {
    StringBuilder body = new StringBuilder("[");
    for (int i = 0; i < ids.length; i++) {
      body.append(i == 0 ? "" : ",")
          .append("{\"prediction_id\": \"").append(ids[i]).append("\", \"ts\": \"2026-11-29T10:00:00Z\", \"data\": {\"score\": ")
          .append(i).append("}}");
    }
    return body.append("]").toString();
  }

  private static void accepted(TestServer.Response r) {
    assertThat(r.status()).as(r.body()).isEqualTo(200);
  }

  /** Waits for a condition the server reaches on its own schedule (a flush, a follower's pass). */
  private static void await(BooleanSupplier condition) throws InterruptedException {
    long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("not reached within 60 s");
      }
      Thread.sleep(20);
    }
  }
}
