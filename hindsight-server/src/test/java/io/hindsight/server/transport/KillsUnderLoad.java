package io.hindsight.server.transport;

import static org.assertj.core.api.Assertions.assertThat;

import io.hindsight.server.Role;
import io.hindsight.server.TestServer;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.locks.LockSupport;

/**
 * A scale-out deployment under load, killed again and again (DESIGN §14): a real broker, two ingest
 * nodes (one in this JVM) and two writers; each round {@code kill -9}s the other ingest node and a
 * writer, each in a JVM of its own, and starts them again. Clients post batches of new ids to both
 * ingest nodes; an id counts as acknowledged once its batch was answered 200.
 */
public final class KillsUnderLoad {
  private static final String TOPIC = "crash";
  private static final int ENDPOINTS = 6;
  private static final int ROUNDS = 2;

  /** Where the lake's files can be read now, as a folder (a store's objects are downloaded). */
  public interface LakeFolder {
    Path now() throws Exception;
  }

  private final Path dir;
  private final String[] lakeStore;
  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

  /**
   * @param dir where the broker, the nodes' data folders and their logs go
   * @param lakeStore for a lake on object storage, the store's URL and the lake's URI; empty when the
   *     writers share a lake folder
   */
  public KillsUnderLoad(Path dir, String... lakeStore) {
    this.dir = dir;
    this.lakeStore = lakeStore;
  }

  /**
   * Runs the rounds, waits (at most 60 s) until every acknowledged id is in the lake, stops every
   * node (SIGTERM) and returns the acknowledged ids.
   */
  public Set<String> run(Path[] writerDirs, LakeFolder lakeFolder) throws Exception {
    List<KafkaNodes.Child> started = new ArrayList<>();
    try (KafkaBroker broker = KafkaBroker.start(dir.resolve("broker"))) {
      String kafka = broker.bootstrapServers();
      KafkaNodes.Child[] writers = {
        start(started, writerDirs[0], Role.WRITER, kafka), start(started, writerDirs[1], Role.WRITER, kafka)
      };
      KafkaNodes.Child[] ingestB = {start(started, dir.resolve("ingest-b"), Role.INGEST, kafka)};
      TestServer ingestA = new TestServer(dir.resolve("ingest-a"), c -> KafkaNodes.configure(c, Role.INGEST, kafka, TOPIC));
      AtomicIntegerArray ports = new AtomicIntegerArray(new int[] {ingestA.server().port(), ingestB[0].awaitPort()});
      writers[0].awaitPort();
      writers[1].awaitPort();

      Set<String> acked = ConcurrentHashMap.newKeySet();
      AtomicInteger batches = new AtomicInteger();
      AtomicBoolean stop = new AtomicBoolean();
      ExecutorService clients = Executors.newFixedThreadPool(4);
      for (int c = 0; c < 4; c++) {
        clients.submit(() -> load(ports, batches, acked, stop));
      }
      try {
        for (int round = 0; round < ROUNDS; round++) {
          Thread.sleep(1000);
          writers[0].kill();
          ingestB[0].kill();
          writers[0] = start(started, writerDirs[0], Role.WRITER, kafka);
          ingestB[0] = start(started, ingestB[0].data(), Role.INGEST, kafka);
          ports.set(1, ingestB[0].awaitPort());
          writers[0].awaitPort();
        }
        Thread.sleep(1000);
      } finally {
        stop.set(true);
        clients.shutdown();
        assertThat(clients.awaitTermination(30, TimeUnit.SECONDS)).isTrue();
        ingestA.close();
      }
      assertThat(acked.size()).as("records acknowledged across the run").isGreaterThan(500);

      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
      while (!KafkaNodes.idsInLake(lakeFolder.now()).keySet().containsAll(acked) && System.nanoTime() < deadline) {
        Thread.sleep(200);
      }
      // The end is a stop, not a crash: a merge under way finishes (one killed halfway through would
      // show its output beside its inputs until its writer, or the partition's next, takes it up).
      for (KafkaNodes.Child c : List.of(writers[0], writers[1], ingestB[0])) {
        c.stop();
      }
      return acked;
    } finally {
      for (KafkaNodes.Child c : started) {
        c.kill();
      }
    }
  }

  /** Asserts that every id of {@code acked} is in the lake under {@code lakeRoot} exactly once. */
  public void assertOnceEach(Set<String> acked, Path lakeRoot) throws Exception {
    Map<String, Integer> counts = KafkaNodes.idsInLake(lakeRoot);
    List<String> lost = acked.stream().filter(id -> !counts.containsKey(id)).limit(5).toList();
    assertThat(lost).as("acknowledged but not in the lake (see the logs in %s)", dir).isEmpty();
    List<String> twice = counts.entrySet().stream().filter(e -> e.getValue() > 1).map(Map.Entry::getKey).limit(5).toList();
    if (!twice.isEmpty()) {
      // The data folder goes with the test: say here which files hold them and what the nodes logged.
      assertThat(twice)
          .as("stored more than once, in the files %s; the nodes logged:%n%s", KafkaNodes.filesHolding(lakeRoot, twice), logExcerpts())
          .isEmpty();
    }
  }

  /** The lines of the nodes' logs about merges, stops, hand-overs and problems, at most 200. */
  private String logExcerpts() throws IOException {
    List<String> lines = new ArrayList<>();
    try (java.util.stream.Stream<Path> logs = Files.list(dir)) {
      for (Path log : logs.filter(p -> p.toString().endsWith(".log")).sorted().toList()) {
        for (String line : Files.readAllLines(log)) {
          if (line.matches("(?i).*(merge|stop|shut|revoked|assigned|lost|WARN|ERROR).*") && lines.size() < 200) {
            lines.add(log.getFileName() + ": " + line);
          }
        }
      }
    }
    return String.join(System.lineSeparator(), lines);
  }

  private KafkaNodes.Child start(List<KafkaNodes.Child> started, Path data, Role role, String kafka) throws IOException {
    KafkaNodes.Child c = KafkaNodes.startChild(data, role, kafka, TOPIC, role == Role.WRITER ? lakeStore : new String[0]);
    started.add(c);
    return c;
  }

  private Void load(AtomicIntegerArray ports, AtomicInteger batches, Set<String> acked, AtomicBoolean stop) {
    while (!stop.get()) {
      int b = batches.incrementAndGet();
      List<String> ids = new ArrayList<>();
      for (int i = 0; i < 20; i++) {
        ids.add("b" + b + "-" + i);
      }
      try {
        HttpResponse<String> r =
            http.send(
                HttpRequest.newBuilder(
                        URI.create("http://127.0.0.1:" + ports.get(b % 2) + "/v1/endpoints/e" + (b % ENDPOINTS) + "/predictions"))
                    .header("Content-Type", "application/json")
                    .timeout(Duration.ofSeconds(5))
                    .POST(HttpRequest.BodyPublishers.ofString(KafkaNodes.batch(ids)))
                    .build(),
                HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() == 200 && r.body().contains("\"accepted\":20")) {
          acked.addAll(ids);
        }
      } catch (IOException | InterruptedException e) {
        // The node died mid-request: not acknowledged, so not counted.
      }
      // A steady load that leaves the two cores room to start the killed nodes again.
      LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(10));
    }
    return null;
  }
}
