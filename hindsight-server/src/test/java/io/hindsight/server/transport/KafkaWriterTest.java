package io.hindsight.server.transport;

import static org.assertj.core.api.Assertions.assertThat;

import io.hindsight.server.Role;
import io.hindsight.server.ServerConfig;
import io.hindsight.server.TestServer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * What exactly-once rests on, each forced rather than left to the timing of a kill: a writer reading
 * offsets again skips what the lake holds, and offsets are committed only once the rows are in the lake.
 */
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class KafkaWriterTest {
  private static final String GROUP = "hindsight-writers";

  @TempDir static Path brokerDir;
  @TempDir Path dir;
  static KafkaBroker broker;

  @BeforeAll
  static void startBroker() throws Exception {
    broker = KafkaBroker.start(brokerDir);
  }

  @AfterAll
  static void stopBroker() throws Exception {
    broker.close();
  }

  private static List<String> ids(String prefix, int n) {
    return IntStream.range(0, n).mapToObj(i -> prefix + i).toList();
  }

  private TestServer writer(String topic) throws Exception {
    return new TestServer(dir, c -> KafkaNodes.configure(c, Role.ALL, broker.bootstrapServers(), topic));
  }

  private static Map<TopicPartition, OffsetAndMetadata> committed(Admin admin) throws Exception {
    return admin.listConsumerGroupOffsets(GROUP).partitionsToOffsetAndMetadata().get(30, TimeUnit.SECONDS);
  }

  @Test
  void aWriterReadingOffsetsAgainSkipsTheRowsTheLakeAlreadyHolds() throws Exception {
    List<String> acked = new ArrayList<>();
    try (TestServer s = writer("rewind")) {
      for (int b = 0; b < 3; b++) {
        assertThat(s.predictions("fraud", KafkaNodes.batch(ids("r" + b + "-", 20))).status()).isEqualTo(200);
        acked.addAll(ids("r" + b + "-", 20));
      }
      assertThat(KafkaNodes.awaitInLake(dir.resolve("lake"), acked, Duration.ofSeconds(30))).hasSize(60);
    }
    // As if the writer had died after its files were in place and before its commit.
    try (Admin admin = Admin.create(Map.of("bootstrap.servers", broker.bootstrapServers()))) {
      Map<TopicPartition, OffsetAndMetadata> rewound =
          committed(admin).keySet().stream().filter(tp -> tp.topic().equals("rewind"))
              .collect(Collectors.toMap(tp -> tp, tp -> new OffsetAndMetadata(0)));
      assertThat(rewound).isNotEmpty();
      admin.alterConsumerGroupOffsets(GROUP, rewound).all().get(30, TimeUnit.SECONDS);
    }
    try (TestServer s = writer("rewind")) {
      // One endpoint's entries are read in order: once this batch is in, the old ones were read again.
      assertThat(s.predictions("fraud", KafkaNodes.batch(ids("after", 5))).status()).isEqualTo(200);
      acked.addAll(ids("after", 5));
      Map<String, Integer> inLake = KafkaNodes.awaitInLake(dir.resolve("lake"), acked, Duration.ofSeconds(30));
      assertThat(inLake).hasSize(65);
      assertThat(inLake.entrySet().stream().filter(e -> e.getValue() > 1).map(Map.Entry::getKey)).as("stored twice").isEmpty();
    }
  }

  @Test
  void aWriterThatCannotWriteTheLakeCommitsNothingBacksOffAndCatchesUp() throws Exception {
    try (TestServer s = writer("blocked");
        Admin admin = Admin.create(Map.of("bootstrap.servers", broker.bootstrapServers()))) {
      // A plain file where the endpoint's folder belongs: every write of its partition fails.
      Path endpointDir = dir.resolve("lake/predictions/endpoint=fraud");
      Files.writeString(endpointDir, "in the way");
      assertThat(s.predictions("fraud", KafkaNodes.batch(ids("x", 20))).status()).isEqualTo(200);

      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
      while (!s.get("/metrics").body().matches("(?s).*hindsight_transport_lake_failures_total [1-9].*")) {
        assertThat(System.nanoTime()).as("the writer failing to write").isLessThan(deadline);
        Thread.sleep(100);
      }
      assertThat(s.get("/health").body()).contains("lake feed: the lake cannot be written");
      assertThat(committed(admin).keySet().stream().filter(tp -> tp.topic().equals("blocked"))).as("offsets committed").isEmpty();

      Files.delete(endpointDir);
      Map<String, Integer> inLake = KafkaNodes.awaitInLake(dir.resolve("lake"), ids("x", 20), Duration.ofSeconds(30));
      assertThat(inLake).hasSize(20).allSatisfy((id, n) -> assertThat(n).isEqualTo(1));
      deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
      while (committed(admin).keySet().stream().noneMatch(tp -> tp.topic().equals("blocked"))) {
        assertThat(System.nanoTime()).as("offsets committed after the rows are in").isLessThan(deadline);
        Thread.sleep(100);
      }
    }
  }

  @Test
  void aRetryAcceptedByAnotherIngestNodeIsStoredOnceAlsoByAWriterThatStartedInBetween() throws Exception {
    String body = KafkaNodes.batch(ids("k", 10));
    Map<String, String> key = Map.of("Idempotency-Key", "retry-1");
    try (TestServer b = new TestServer(dir.resolve("b"), c -> KafkaNodes.configure(c, Role.INGEST, broker.bootstrapServers(), "retries"))) {
      try (TestServer a = writer("retries")) {
        assertThat(a.post("/v1/endpoints/fraud/predictions", "application/json", body.getBytes(), key).status()).isEqualTo(200);
        assertThat(KafkaNodes.awaitInLake(dir.resolve("lake"), ids("k", 10), Duration.ofSeconds(30))).hasSize(10);
      }
      // The writer that starts now knows the key only by reading the window before its offset again.
      try (TestServer a = writer("retries")) {
        assertThat(b.post("/v1/endpoints/fraud/predictions", "application/json", body.getBytes(), key).status()).isEqualTo(200);
        // Once this later batch of the endpoint is in, the retry before it was read.
        assertThat(b.predictions("fraud", KafkaNodes.batch(ids("later", 1))).status()).isEqualTo(200);
        Map<String, Integer> inLake = KafkaNodes.awaitInLake(dir.resolve("lake"), List.of("later0"), Duration.ofSeconds(30));
        assertThat(inLake).hasSize(11).allSatisfy((id, n) -> assertThat(n).as(id).isEqualTo(1));
      }
    }
    // Read again from the start, as after a crash before the commit: the same decision.
    try (Admin admin = Admin.create(Map.of("bootstrap.servers", broker.bootstrapServers()))) {
      admin.alterConsumerGroupOffsets(
              GROUP,
              committed(admin).keySet().stream().filter(tp -> tp.topic().equals("retries"))
                  .collect(Collectors.toMap(tp -> tp, tp -> new OffsetAndMetadata(0))))
          .all().get(30, TimeUnit.SECONDS);
    }
    try (TestServer a = writer("retries")) {
      assertThat(a.predictions("fraud", KafkaNodes.batch(ids("last", 1))).status()).isEqualTo(200);
      Map<String, Integer> inLake = KafkaNodes.awaitInLake(dir.resolve("lake"), List.of("last0"), Duration.ofSeconds(30));
      assertThat(inLake).hasSize(12).allSatisfy((id, n) -> assertThat(n).as(id).isEqualTo(1));
    }
  }

  /**
   * Two writers sharing one lake folder, both merging files as often as they can while rows
   * arrive: each merges only the lake partitions of the Kafka partitions it holds, so no two merges
   * take the same files (which would store their rows twice). The producer puts each endpoint's
   * entries in the partition {@link EntryProducer#partitionOf} names, which is what writers go by.
   */
  @Test
  void writersSharingALakeEachMergeOnlyThePartitionsTheyWrite() throws Exception {
    String topic = "merges";
    Path lake = Files.createDirectories(dir.resolve("shared-lake"));
    Consumer<ServerConfig> writer = c -> {
      KafkaNodes.configure(c, Role.WRITER, broker.bootstrapServers(), topic);
      c.lake.flushInterval = Duration.ofMillis(50);
      c.lake.compactionInterval = Duration.ofMillis(20);
      c.lake.compactionMinFiles = 2;
    };
    List<String> sent = new ArrayList<>();
    try (TestServer w1 = new TestServer(sharing(lake, "w1"), writer);
        TestServer w2 = new TestServer(sharing(lake, "w2"), writer);
        TestServer ingest = new TestServer(dir.resolve("ingest"), c -> KafkaNodes.configure(c, Role.INGEST, broker.bootstrapServers(), topic))) {
      for (int b = 0; b < 300; b++) {
        List<String> ids = ids("m" + b + "-", 10);
        assertThat(ingest.predictions("e" + (b % 8), KafkaNodes.batch(ids)).status()).isEqualTo(200);
        sent.addAll(ids);
        Thread.sleep(10);
      }
      assertThat(KafkaNodes.awaitInLake(lake, sent, Duration.ofSeconds(30)).keySet()).containsAll(sent);
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
      while ((merges(w1) == 0 || merges(w2) == 0) && System.nanoTime() < deadline) {
        Thread.sleep(100);
      }
      assertThat(merges(w1)).as("merges by the first writer").isPositive();
      assertThat(merges(w2)).as("merges by the second writer").isPositive();
    }
    Map<String, Integer> counts = KafkaNodes.idsInLake(lake);
    assertThat(counts.keySet()).containsExactlyInAnyOrderElementsOf(sent);
    assertThat(counts.entrySet().stream().filter(e -> e.getValue() > 1).limit(5).toList()).as("stored more than once").isEmpty();

    try (KafkaConsumer<String, byte[]> consumer =
        new KafkaConsumer<>(Map.of("bootstrap.servers", broker.bootstrapServers()), new StringDeserializer(), new ByteArrayDeserializer())) {
      List<TopicPartition> partitions =
          consumer.partitionsFor(topic).stream().map(p -> new TopicPartition(topic, p.partition())).toList();
      consumer.assign(partitions);
      consumer.seekToBeginning(partitions);
      int seen = 0;
      for (int polls = 0; polls < 20 && seen < 300; polls++) {
        for (ConsumerRecord<String, byte[]> r : consumer.poll(Duration.ofMillis(500))) {
          assertThat(r.partition()).as(r.key()).isEqualTo(EntryProducer.partitionOf(r.key(), partitions.size()));
          seen++;
        }
      }
      assertThat(seen).isEqualTo(300);
    }
  }

  /**
   * A writer that stops answering the group for longer than the session timeout (here stopped with
   * SIGSTOP, as a long pause would) has its partitions given away: once it runs again it says so in
   * a WARN line, counts them, and joins the group again.
   */
  @Test
  void aWriterThatStopsAnsweringTheGroupSaysItLostItsPartitionsAndCountsThem() throws Exception {
    KafkaNodes.Child writer = KafkaNodes.startChild(dir.resolve("paused"), Role.WRITER, broker.bootstrapServers(), "lost");
    try {
      int port = writer.awaitPort();
      awaitMetric(port, "hindsight_transport_partitions_held", held -> held > 0);
      signal(writer, "STOP");
      Thread.sleep(10_000); // beyond session.timeout.ms (6 s, KafkaNodes)
      signal(writer, "CONT");
      awaitMetric(port, "hindsight_transport_partitions_lost_total", lost -> lost > 0);
      assertThat(Files.readString(writer.log()))
          .contains("\"level\":\"WARN\"")
          .contains("went to another writer while this one did not answer the group");
      awaitMetric(port, "hindsight_transport_partitions_held", held -> held > 0);
    } finally {
      writer.kill();
    }
  }

  private static void signal(KafkaNodes.Child child, String signal) throws Exception {
    assertThat(new ProcessBuilder("kill", "-" + signal, Long.toString(child.process().pid())).start().waitFor()).isZero();
  }

  /** Waits (at most 60 s) until the child's metric satisfies {@code ok}. */
  private static void awaitMetric(int port, String name, java.util.function.DoublePredicate ok) throws Exception {
    java.net.http.HttpClient http = java.net.http.HttpClient.newHttpClient();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    String last = "";
    while (System.nanoTime() < deadline) {
      last = http.send(
              java.net.http.HttpRequest.newBuilder(java.net.URI.create("http://127.0.0.1:" + port + "/metrics")).build(),
              java.net.http.HttpResponse.BodyHandlers.ofString())
          .body();
      java.util.OptionalDouble value = TestServer.metricIn(last, name);
      if (value.isPresent() && ok.test(value.getAsDouble())) {
        return;
      }
      Thread.sleep(200);
    }
    throw new AssertionError(name + " never reached the value expected; last /metrics lines for it: "
        + last.lines().filter(l -> l.startsWith(name)).toList());
  }

  /** A writer's data folder whose lake tables are links into {@code lake}. */
  private Path sharing(Path lake, String name) throws Exception {
    Path data = dir.resolve(name);
    for (String table : List.of("predictions", "feedback", "events")) {
      Files.createDirectories(data.resolve("lake"));
      Files.createSymbolicLink(data.resolve("lake").resolve(table), Files.createDirectories(lake.resolve(table)));
    }
    return data;
  }

  private static long merges(TestServer s) {
    return (long) s.metric("hindsight_lake_merges_total").orElse(0);
  }
}
