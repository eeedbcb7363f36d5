package io.hindsight.server.hostile;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import io.hindsight.server.ChildServer;
import io.hindsight.server.ChildServerMain;
import io.hindsight.server.TestServer;
import java.io.File;
import java.net.URI;
import java.net.http.HttpRequest;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Hostile load on {@code POST /v1/query}: SQL that DuckDB cannot be interrupted in (it folds the
 * constant while preparing) is stopped at {@code query.timeout} by killing the worker process that
 * runs it, and never holds a query slot, a core or a file past it.
 */
@Timeout(value = 120, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class QueryIsolationTest {
  /** Ran 137 s with a 5 s timeout when the timeout was armed only after prepare. */
  static final String FOLDS_FOR_MINUTES = "SELECT repeat('a',300) ILIKE repeat('%a',5)||'b'";
  /** Never finishes folding. */
  static final String FOLDS_FOREVER = "SELECT repeat('a',300) ILIKE repeat('%a',20)||'b'";

  static final Duration TIMEOUT = Duration.ofSeconds(2);

  @TempDir Path dir;
  TestServer s;

  @BeforeEach
  void start() throws Exception {
    s = new TestServer(dir, c -> c.query.timeout = TIMEOUT);
  }

  @AfterEach
  void stop() {
    s.close();
  }

  @ParameterizedTest
  @ValueSource(strings = {FOLDS_FOR_MINUTES, "SELECT levenshtein(repeat('ab', 60000), repeat('ba', 60000))"})
  void aQueryStuckInPrepareIsStoppedAtItsTimeoutAndItsSlotComesBack(String stuck) throws Exception {
    assertThat(s.scalar("SELECT 42").asInt()).isEqualTo(42);
    Set<Long> workersBefore = workerPids();

    long started = System.nanoTime();
    TestServer.Response r = s.queryResponse(stuck);
    Duration took = Duration.ofNanos(System.nanoTime() - started);

    assertThat(r.status()).as(r.body()).isEqualTo(400);
    assertThat(r.json().get("error").asText()).contains("query.timeout");
    // The deadline: the timeout plus about a second (more on a loaded machine).
    assertThat(took).isLessThan(TIMEOUT.plusMillis(2500));
    assertThat(workersBefore).as("the worker that ran it").isNotEmpty();
    awaitUntil(() -> workersBefore.stream().noneMatch(QueryIsolationTest::alive));
    assertThat(s.scalar("SELECT 43").asInt()).isEqualTo(43);
    assertThat(s.get("/metrics").body()).contains("hindsight_queries_killed_total 1.0");
  }

  @Test
  void moreStuckQueriesThanSlotsDoNotStopAnOrdinaryQuery() throws Exception {
    s.query("SELECT 1");
    List<CompletableFuture<TestServer.Response>> stuck = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      stuck.add(CompletableFuture.supplyAsync(() -> s.queryResponse(FOLDS_FOREVER)));
    }
    Thread.sleep(300);
    // Before, it waited query.timeout for a slot that never came back and got 503; now it runs
    // once the stuck ones are killed and replacement workers are up.
    JsonNode ordinary = s.query("SELECT 42");

    assertThat(ordinary.get("rows").get(0).get(0).asInt()).isEqualTo(42);
    for (CompletableFuture<TestServer.Response> f : stuck) {
      TestServer.Response r = f.get(30, TimeUnit.SECONDS);
      assertThat(r.status()).as(r.body()).isEqualTo(400);
      assertThat(r.json().get("error").asText()).contains("query.timeout");
    }
  }

  @Test
  void aWorkerSeesNewColumnsAtItsNextQuery() {
    assertThat(s.query("SELECT * FROM predictions").get("rows")).isEmpty();
    s.predictions("e1", "{\"data\": {\"first\": 1}}");
    s.flush();
    assertThat(s.scalar("SELECT sum(first) FROM predictions").asInt()).isEqualTo(1);
    s.predictions("e1", "{\"data\": {\"second\": 2}}");
    s.flush();
    assertThat(s.scalar("SELECT sum(second) FROM predictions").asInt()).isEqualTo(2);
  }

  @Test
  void typesSurviveTheTripThroughTheWorker() {
    TestServer.Response r =
        s.queryResponse(
            "SELECT 1.500::DECIMAL(10,3) AS d, 0.1::DOUBLE AS f, 1e20::DOUBLE AS big, 7::TINYINT AS t,"
                + " 'x' AS s, NULL AS n, [1, 2] AS l, {'k': 2.5::DOUBLE} AS st, ? AS p, ? AS q",
            5,
            0.25);
    assertThat(r.body()).contains("\"rows\":[[1.500,0.1,1.0E20,7,\"x\",null,[1,2],{\"k\":2.5},5,0.25]]");
    assertThat(r.json().get("columns").get(8).get("type").asText()).isEqualTo("BIGINT");
    assertThat(r.json().get("columns").get(9).get("type").asText()).isEqualTo("DOUBLE");
  }

  @Test
  void spillFilesStayInTheDataDirectoryWithALimit() {
    JsonNode row =
        s.query("SELECT current_setting('temp_directory'), current_setting('max_temp_directory_size')")
            .get("rows")
            .get(0);
    assertThat(row.get(0).asText()).startsWith(dir.resolve("tmp").toAbsolutePath() + "/");
    assertThat(row.get(1).asText()).isNotBlank().isNotEqualTo("90% of available disk space");
  }

  @Test
  void noCopyOfTheNativeLibraryOutlivesTheProcessesThatLoadedIt() throws Exception {
    s.query("SELECT 1");
    // Removed once loaded, so a kill -9 of the server or of a worker cannot leak 60 MB of /tmp.
    assertThat(libraryCopiesMappedBy("self")).allSatisfy(p -> assertThat(p).doesNotExist());
    Set<Long> workers = workerPids();
    assertThat(workers).isNotEmpty();
    for (long pid : workers) {
      assertThat(libraryCopiesMappedBy(Long.toString(pid))).allSatisfy(p -> assertThat(p).doesNotExist());
    }
  }

  private static List<Path> libraryCopiesMappedBy(String pid) throws Exception {
    try (Stream<String> maps = Files.lines(Path.of("/proc", pid, "maps"))) {
      List<Path> copies =
          maps.filter(l -> l.contains("libduckdb_java"))
              .map(l -> Path.of(l.substring(l.indexOf('/')).replace(" (deleted)", "")))
              .distinct()
              .toList();
      assertThat(copies).as("DuckDB's library is mapped").isNotEmpty();
      return copies;
    }
  }

  @Test
  void aWorkerHeapThatIsNotAHeapSizeIsRefusedAtStartNamingTheKey() {
    assertThatThrownBy(() -> new TestServer(dir.resolve("other"), c -> c.query.workerHeap = "lots"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("query.worker-heap")
        .hasMessageContaining("lots");
  }

  @Test
  void workersDieWithTheServer() {
    s.query("SELECT 1");
    Set<Long> workers = workerPids();
    assertThat(workers).isNotEmpty();
    s.close();
    assertThat(workers).noneMatch(QueryIsolationTest::alive);
  }

  /** Also started with a relative class path, as {@code java -jar hindsight.jar} gives one. */
  @Test
  void workersExitWhenTheServerIsKilled() throws Exception {
    Path data = dir.resolve("child-data");
    Path portFile = dir.resolve("port");
    String java = ProcessHandle.current().info().command().orElse("java");
    Path cwd = Path.of("").toAbsolutePath();
    String relativeClassPath =
        Stream.of(System.getProperty("java.class.path").split(File.pathSeparator))
            .map(e -> cwd.relativize(Path.of(e).toAbsolutePath()).toString())
            .collect(Collectors.joining(File.pathSeparator));
    Process child =
        new ProcessBuilder(java, "-cp", relativeClassPath, ChildServerMain.class.getName(), data.toString(), portFile.toString())
            .redirectErrorStream(true)
            .redirectOutput(dir.resolve("child.log").toFile())
            .start();
    try {
      awaitUntil(() -> Files.exists(portFile) && !Files.readString(portFile).isBlank());
      int port = Integer.parseInt(Files.readString(portFile).trim());
      TestServer.Response r =
          TestServer.send(
              HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/v1/query"))
                  .POST(HttpRequest.BodyPublishers.ofString("{\"sql\": \"SELECT 1\"}"))
                  .build());
      assertThat(r.status()).as(r.body()).isEqualTo(200);
      List<ProcessHandle> workers = child.descendants().toList();
      assertThat(workers).isNotEmpty();
      child.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
      awaitUntil(() -> workers.stream().noneMatch(ProcessHandle::isAlive));
    } finally {
      child.destroyForcibly();
    }
  }

  /** Query worker processes of the server under test (its data folder is on their command line). */
  private Set<Long> workerPids() {
    String marker = dir.toAbsolutePath().toString();
    return ProcessHandle.current()
        .children()
        .filter(p -> commandLine(p).contains(marker))
        .map(ProcessHandle::pid)
        .collect(Collectors.toSet());
  }

  private static boolean alive(long pid) {
    return ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false);
  }

  private static String commandLine(ProcessHandle p) {
    try {
      return Files.readString(Path.of("/proc", Long.toString(p.pid()), "cmdline"));
    } catch (java.io.IOException gone) {
      return "";
    }
  }

  interface Check {
    boolean holds() throws Exception;
  }

  private static void awaitUntil(Check check) throws Exception {
    long deadline = System.nanoTime() + 20_000_000_000L;
    while (!check.holds()) {
      assertThat(System.nanoTime()).as("condition still false after 20 s").isLessThan(deadline);
      Thread.sleep(50);
    }
  }
}
