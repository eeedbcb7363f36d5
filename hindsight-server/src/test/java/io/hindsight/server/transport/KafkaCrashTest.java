package io.hindsight.server.transport;

import static org.assertj.core.api.Assertions.assertThat;

import io.hindsight.server.Role;
import io.hindsight.server.TestServer;
import io.hindsight.server.objects.LocalS3;
import io.hindsight.server.objects.ObjectStore;
import io.hindsight.server.objects.S3Location;
import io.hindsight.server.objects.StoredObject;
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
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * DESIGN §14: every record an ingest node acknowledged is in the lake exactly once, through kill -9
 * of ingest nodes and writers at any moment under load: two ingest nodes (one in this JVM) and two
 * writers (sharing one lake folder) on a real broker; each round kills the other ingest node and a
 * writer, each in a JVM of its own, and starts them again.
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class KafkaCrashTest {
  private static final String TOPIC = "crash";
  private static final int ENDPOINTS = 6;

  @TempDir Path dir;
  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

  @Test
  void everyAcknowledgedRecordIsInTheLakeOnceThroughKillsOfIngestNodesAndWriters() throws Exception {
    Path lake = Files.createDirectories(dir.resolve("shared-lake"));
    Path[] writerDirs = {dir.resolve("writer-1"), dir.resolve("writer-2")};
    for (Path w : writerDirs) {
      // The writers share the lake's tables through links; each keeps its own hidden folders (the
      // metric store's links) beside them.
      for (String table : List.of("predictions", "feedback", "events")) {
        Files.createDirectories(w.resolve("lake"));
        Files.createSymbolicLink(w.resolve("lake").resolve(table), Files.createDirectories(lake.resolve(table)));
      }
    }
    killWritersAndIngestNodesUnderLoad(writerDirs, () -> lake);
  }

  /**
   * The same on a lake of record in an S3-compatible store: the two writers keep folders of their
   * own and share only the store's prefix, so a writer taking over another's partitions learns
   * from the store which rows are in the lake. The store's objects are counted, read back here.
   */
  @Test
  void everyAcknowledgedRecordIsInTheS3LakeOnceThroughKillsOfIngestNodesAndWriters() throws Exception {
    try (LocalS3 s3 = new LocalS3("lake")) {
      lakeStore = new String[] {s3.endpoint().toString(), "s3://lake/hindsight"};
      Path copy = dir.resolve("store-copy");
      try (ObjectStore store = ObjectStore.open(s3.settings())) {
        killWritersAndIngestNodesUnderLoad(
            new Path[] {dir.resolve("writer-1"), dir.resolve("writer-2")}, () -> download(store, S3Location.parse(lakeStore[1]), copy));
      }
    }
  }

  /** The lake on object storage, as {@code KafkaNodes.Main} takes it; empty: the writers' shared folder. */
  private String[] lakeStore = {};

  /** Where the lake's files can be read now, as a folder (a store's objects are downloaded). */
  private interface LakeFolder {
    Path now() throws Exception;
  }

  /** The prefix's objects into {@code folder} (once each: data files are never changed in place). */
  private static Path download(ObjectStore store, S3Location prefix, Path folder) throws IOException {
    for (StoredObject o : store.list(prefix)) {
      Path target = folder.resolve(prefix.relativeKey(o.location().key()));
      if (!Files.exists(target)) {
        Files.createDirectories(target.getParent());
        store.download(o.location(), target);
      }
    }
    Files.createDirectories(folder.resolve("predictions"));
    return folder;
  }

  private void killWritersAndIngestNodesUnderLoad(Path[] writerDirs, LakeFolder lakeFolder) throws Exception {
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
        // Each round kills a writer and an ingest node mid-load, and starts them again.
        for (int round = 0; round < 2; round++) {
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
      for (KafkaNodes.Child c : List.of(writers[0], writers[1], ingestB[0])) {
        c.kill();
      }
      Map<String, Integer> counts = KafkaNodes.idsInLake(lakeFolder.now());
      List<String> lost = acked.stream().filter(id -> !counts.containsKey(id)).limit(5).toList();
      assertThat(lost).as("acknowledged but not in the lake (see the logs in %s)", dir).isEmpty();
      List<String> twice = counts.entrySet().stream().filter(e -> e.getValue() > 1).map(Map.Entry::getKey).limit(5).toList();
      assertThat(twice).as("stored more than once").isEmpty();
    } finally {
      for (KafkaNodes.Child c : started) {
        c.kill();
      }
    }
  }

  private KafkaNodes.Child start(List<KafkaNodes.Child> started, Path data, Role role, String kafka) throws IOException {
    KafkaNodes.Child c = KafkaNodes.startChild(data, role, kafka, TOPIC, role == Role.WRITER ? lakeStore : new String[0]);
    started.add(c);
    return c;
  }

  /** Posts batches of new ids to both ingest nodes in turn; an id counts once its batch was answered 200. */
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
