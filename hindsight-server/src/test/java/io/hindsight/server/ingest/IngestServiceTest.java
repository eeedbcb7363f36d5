package io.hindsight.server.ingest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.hindsight.server.ApiException;
import io.hindsight.server.ops.ManualScheduler;
import io.hindsight.server.ops.ServerMetrics;
import io.hindsight.server.schema.Row;
import io.hindsight.server.schema.SchemaRegistry;
import io.hindsight.server.schema.Table;
import io.hindsight.server.wal.WalEntry;
import io.hindsight.server.wal.WriteAheadLog;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** One request through the ingest path, without HTTP: its answer, what reaches the log, and idempotency. */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class IngestServiceTest {
  private static final long MIB = 1 << 20;

  @TempDir Path dir;
  private final ObjectMapper json = new ObjectMapper();
  private final ManualScheduler time = new ManualScheduler();
  private final AtomicLong lakeBacklog = new AtomicLong();
  /** Every entry the log committed. */
  private final List<WalEntry> logged = new CopyOnWriteArrayList<>();
  private WriteAheadLog wal;
  private IngestService ingest;

  @BeforeEach
  void setUp() throws IOException {
    wal = WriteAheadLog.open(dir.resolve("wal"), MIB, 16, 0, (seq, e) -> {},
        (seq, rows, encoded) -> logged.add(WalEntry.decode(ByteBuffer.wrap(encoded))));
    ingest = new IngestService(
        new SchemaRegistry(dir.resolve("catalog"), json),
        wal,
        new IdempotencyStore(dir.resolve("keys"), time.clock(), Duration.ofHours(1), 100),
        new IngestLimits(MIB, 4096, 8, 16),
        json,
        time.clock(),
        new ServerMetrics(),
        lakeBacklog::get,
        MIB,
        MIB);
  }

  @AfterEach
  void tearDown() throws IOException {
    wal.close();
  }

  private JsonNode post(String body) throws IOException {
    return post(IngestService.Format.JSON, body, null, null);
  }

  private JsonNode post(IngestService.Format format, String body, String key, String caller) throws IOException {
    return json.readTree(ingest.ingest(Table.PREDICTIONS, "churn", format,
        new ByteArrayInputStream(body.getBytes(StandardCharsets.UTF_8)), key, caller));
  }

  private List<Row> loggedRows() {
    return logged.stream().flatMap(e -> e.rows().stream()).toList();
  }

  @Test
  void logsTheGoodRecordsAndAnswersEachRejectedOneByIndex() throws IOException {
    time.advance(Duration.ofNanos(1_234_567));
    JsonNode answer = post("[{\"data\":{\"score\":1}}, {\"data\":{\"bad-key\":1}}, {\"prediction_id\":\"p\",\"data\":{\"score\":2}}]");
    assertThat(answer.get("accepted").asInt()).isEqualTo(2);
    assertThat(answer.get("rejected")).hasSize(1);
    assertThat(answer.get("rejected").get(0).get("index").asInt()).isEqualTo(1);
    assertThat(answer.get("rejected").get(0).get("error").asText()).startsWith("key 'bad-key' is not a valid name");
    assertThat(answer.get("warnings")).isEmpty();
    assertThat(answer.has("rejected_omitted")).isFalse();
    assertThat(logged).hasSize(1);
    List<Row> rows = loggedRows();
    assertThat(rows).extracting(r -> r.values().get("score")).containsExactly(1L, 2L);
    assertThat(rows).allSatisfy(r -> assertThat(r.tsMicros()).isEqualTo(time.now().getEpochSecond() * 1_000_000 + 1234));
    UUID generated = UUID.fromString((String) rows.get(0).values().get("prediction_id"));
    assertThat(generated.version()).isEqualTo(7);
    assertThat(generated.variant()).isEqualTo(2);
    assertThat(generated.getMostSignificantBits() >>> 16).as("its time").isEqualTo(time.now().toEpochMilli());
    assertThat(rows.get(1).values().get("prediction_id")).isEqualTo("p");
  }

  @Test
  void aBodyWithNothingToStoreWritesNothingToTheLog() throws IOException {
    JsonNode answer = post(IngestService.Format.NDJSON, "{\"data\":1}\n[1]\n{\"x\":1}\n", null, null);
    assertThat(answer.get("accepted").asInt()).isZero();
    assertThat(answer.get("rejected")).extracting(r -> r.get("index").asInt()).containsExactly(0, 1, 2);
    assertThat(answer.get("rejected").get(1).get("error").asText())
        .isEqualTo("each record must be a JSON object, but this one is an array");
    assertThat(logged).isEmpty();
  }

  @Test
  void listsTheFirstHundredRejectionsAndWarningsAndCountsTheRest() throws IOException {
    post("{\"data\":{\"n\":1}}");
    StringBuilder exactly = new StringBuilder();
    for (int i = 0; i < IngestService.LISTED; i++) {
      exactly.append("{\"x\":1}\n{\"data\":{\"n\":\"text\"}}\n");
    }
    JsonNode full = post(IngestService.Format.NDJSON, exactly.toString(), null, null);
    assertThat(full.get("rejected")).hasSize(100);
    assertThat(full.get("warnings")).hasSize(100);
    assertThat(full.has("rejected_omitted") || full.has("warnings_omitted") || full.has("note")).isFalse();

    JsonNode over = post(IngestService.Format.NDJSON, exactly + "{\"x\":1}\n{\"x\":1}\n{\"data\":{\"n\":\"t\"}}\n", null, null);
    assertThat(over.get("rejected")).hasSize(100);
    assertThat(over.get("warnings")).hasSize(100);
    assertThat(over.get("rejected_omitted").asInt()).isEqualTo(2);
    assertThat(over.get("warnings_omitted").asInt()).isEqualTo(1);
    assertThat(over.get("note").asText()).startsWith("only the first 100 rejections and warnings are listed");
    assertThat(over.get("warnings").get(0).get("index").asInt()).isEqualTo(1);
    assertThat(over.get("accepted").asInt()).isEqualTo(101);
  }

  @Test
  void refusesAnInvalidEndpointBeforeReadingTheBody() {
    assertThatThrownBy(() -> ingest.ingest(Table.PREDICTIONS, "../etc", IngestService.Format.JSON,
            new ByteArrayInputStream("{\"data\":{}}".getBytes(StandardCharsets.UTF_8)), null, null))
        .isInstanceOfSatisfying(ApiException.class, e -> assertThat(e.status()).isEqualTo(400))
        .hasMessageStartingWith("endpoint name '../etc' is invalid");
    assertThat(logged).isEmpty();
  }

  @Test
  void writesNewColumnsToTheCatalogBeforeTheRecordsReachTheLog() throws IOException {
    post("{\"data\":{\"fresh\":true}}");
    assertThat(new SchemaRegistry(dir.resolve("catalog"), json).schema(Table.PREDICTIONS, "churn").column("fresh"))
        .isNotNull();
  }

  @Test
  void eachRequestGivesItsShareOfTheMemoryBudgetBack() throws IOException {
    // The budget (1 MiB) is four reservation steps; each request takes one.
    for (int i = 0; i < 6; i++) {
      assertThat(post("{\"data\":{}}").get("accepted").asInt()).isEqualTo(1);
    }
  }

  @Test
  void tinyRecordsThatNeedMoreThanTheWholeBudgetOnceEncodedAreRefused() throws IOException {
    IngestService small = new IngestService(
        new SchemaRegistry(dir.resolve("catalog"), json),
        wal,
        new IdempotencyStore(dir.resolve("keys"), time.clock(), Duration.ofHours(1), 100),
        new IngestLimits(MIB, 4096, 8, 16),
        json,
        time.clock(),
        new ServerMetrics(),
        lakeBacklog::get,
        MIB,
        256 * 1024);
    String body = "{\"data\":{}}\n".repeat(5000);
    assertThat(body.length()).isLessThan(256 * 1024);
    assertThatThrownBy(() -> small.ingest(Table.PREDICTIONS, "churn", IngestService.Format.NDJSON,
            new ByteArrayInputStream(body.getBytes(StandardCharsets.UTF_8)), null, null))
        .isInstanceOfSatisfying(ApiException.class, e -> assertThat(e.status()).isEqualTo(413));
    assertThat(logged).isEmpty();
  }

  @Test
  void checksEndpointNames() {
    for (String ok : List.of("a", "9", "churn-v2_eu", "a".repeat(64))) {
      IngestService.checkEndpointName(ok);
    }
    for (String bad : List.of("", "Churn", "-a", "_a", "a.b", "a".repeat(65))) {
      assertThatThrownBy(() -> IngestService.checkEndpointName(bad)).as(bad).isInstanceOf(ApiException.class)
          .hasMessageEndingWith("' is invalid: use 1 to 64 lower-case letters, digits, '_' or '-', starting with a letter or digit");
    }
    assertThatThrownBy(() -> IngestService.checkEndpointName("A".repeat(80))).hasMessageStartingWith("endpoint name '" + "A".repeat(80) + "' is");
    assertThatThrownBy(() -> IngestService.checkEndpointName("A".repeat(81))).hasMessageStartingWith("endpoint name '" + "A".repeat(77) + "...' is");
  }

  @Test
  void aRetryWithTheSameKeyAndBodyGetsTheFirstAnswerAndStoresNothingTwice() throws IOException {
    String body = "{\"data\":{\"score\":1}}";
    JsonNode first = post(IngestService.Format.JSON, body, "k-1", "caller-a");
    JsonNode retry = post(IngestService.Format.JSON, body, "k-1", "caller-a");
    assertThat(retry).isEqualTo(first);
    assertThat(logged).hasSize(1);
    String fingerprint = new BodyFingerprint(new ByteArrayInputStream(body.getBytes(StandardCharsets.UTF_8))).finish();
    assertThat(logged.get(0).idempotencyKey()).isEqualTo("predictions/churn/k-1\ncaller=caller-a\nbody=" + fingerprint);

    post(IngestService.Format.JSON, body, "k-1", "caller-b");
    assertThat(logged).as("another caller's key is another key").hasSize(2);

    assertThatThrownBy(() -> post(IngestService.Format.JSON, "{\"data\":{\"score\":2}}", "k-1", "caller-a"))
        .isInstanceOfSatisfying(ApiException.class, e -> assertThat(e.status()).isEqualTo(422))
        .hasMessage("the Idempotency-Key 'k-1' was already used on this endpoint with a different body; a retry must send"
            + " the same body, a new request needs a new key; nothing was stored");
    assertThat(logged).hasSize(2);
  }

  @Test
  void aKeyWithNothingToStoreIsStillRemembered() throws IOException {
    JsonNode first = post(IngestService.Format.JSON, "{\"x\":1}", "k-2", null);
    assertThat(logged).hasSize(1);
    assertThat(logged.get(0).rows()).isEmpty();
    assertThat(post(IngestService.Format.JSON, "{\"x\":1}", "k-2", null)).isEqualTo(first);
  }

  @Test
  void anIdempotencyKeyIsOneTo256Characters() throws IOException {
    post(IngestService.Format.JSON, "{\"data\":{}}", "k".repeat(256), null);
    for (String bad : List.of("", "k".repeat(257))) {
      assertThatThrownBy(() -> post(IngestService.Format.JSON, "{\"data\":{}}", bad, null))
          .isInstanceOf(ApiException.class)
          .hasMessage("the Idempotency-Key header must be 1 to 256 characters");
    }
  }

  @Test
  void aLogThatCannotWriteIsAnswered503AndTheKeyCanBeRetried() throws IOException {
    wal.close();
    assertThatThrownBy(() -> post(IngestService.Format.JSON, "{\"data\":{}}", "k-3", null))
        .isInstanceOfSatisfying(ApiException.class, e -> {
          assertThat(e.status()).isEqualTo(503);
          assertThat(e.retryAfterSeconds()).isEqualTo("5");
        })
        .hasMessageStartingWith("storage cannot take writes right now (")
        .hasMessageEndingWith("); nothing from this request was stored, retry later");
    assertThatThrownBy(() -> post(IngestService.Format.JSON, "{\"data\":{}}", "k-3", null))
        .as("the failed first attempt released the key")
        .isInstanceOfSatisfying(ApiException.class, e -> assertThat(e.status()).isEqualTo(503));
  }

  @Test
  void aLakeBacklogAtItsLimitLetsRequestsInAndOverItRefusesThem() throws IOException {
    lakeBacklog.set(MIB);
    assertThat(post("{\"data\":{}}").get("accepted").asInt()).isEqualTo(1);
    lakeBacklog.set(MIB + 1);
    assertThatThrownBy(() -> post("{\"data\":{}}"))
        .isInstanceOfSatisfying(ApiException.class, e -> assertThat(e.status()).isEqualTo(503))
        .hasMessage("the server is behind writing the lake (over 1 MiB waiting, ingest.max-lake-backlog-bytes);"
            + " nothing was stored, retry shortly");
    assertThat(logged).hasSize(1);
  }
}
