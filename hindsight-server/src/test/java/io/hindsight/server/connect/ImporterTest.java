package io.hindsight.server.connect;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.hindsight.server.TestServer;
import io.hindsight.server.objects.S3Settings;
import io.hindsight.server.schema.Table;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ImporterTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  @TempDir Path dir;
  private TestServer server;
  private Path tree;

  @BeforeEach
  void start() throws IOException {
    server = new TestServer(dir.resolve("data"));
    tree = Files.createDirectories(dir.resolve("tree"));
  }

  @AfterEach
  void stop() {
    server.close();
  }

  @Test
  void importsAHiveLayoutParquetTreeWithPartitionsAsTags() throws Exception {
    duckdb("COPY (SELECT 'p' || i AS id, TIMESTAMP '2026-11-01 10:00:00' + INTERVAL (i) MINUTE AS ts,"
        + " i * 1.5 AS amount, ['a', 'b'][i % 2 + 1] AS decision, 'v' || (i % 3) AS version,"
        + " CASE WHEN i % 2 = 0 THEN 'eu' ELSE 'us' END AS region FROM range(1000) t(i))"
        + " TO '" + tree + "' (FORMAT parquet, PARTITION_BY (region))");
    Files.writeString(tree.resolve("_SUCCESS"), "");

    ImportProgress p = run(spec("id", "ts", Map.of("model_version", "version"), null, null), new Recorder());

    assertThat(p.accepted()).isEqualTo(1000);
    assertThat(p.rejected()).isZero();
    server.flush();
    assertThat(server.scalar("SELECT count(*) FROM predictions WHERE endpoint = 'scoring'").asLong()).isEqualTo(1000);
    var row = server.query(
        "SELECT prediction_id, ts, amount, decision, model_version, tags['region'] FROM predictions"
            + " WHERE prediction_id = 'p3'").get("rows").get(0);
    assertThat(row.get(1).asText()).startsWith("2026-11-01T10:03:00");
    assertThat(row.get(2).asDouble()).isEqualTo(4.5);
    assertThat(row.get(3).asText()).isEqualTo("b");
    assertThat(row.get(4).asText()).isEqualTo("v0");
    assertThat(row.get(5).asText()).isEqualTo("us");
  }

  @Test
  void importsCsvAndNamesTheFileAndRowOfEveryRejectedRow() throws Exception {
    Path day = Files.createDirectories(tree.resolve("date=2026-11-01"));
    Files.writeString(day.resolve("labels.csv"),
        "id,label,ts\n" + "p1,fraud,2026-11-01T10:00:00Z\n" + "p2,legit,2026-11-01T10:01:00Z\n"
            + "p3,legit,not-a-time\n" + "p4,fraud,2026-11-01T10:03:00Z\n");
    Recorder recorder = new Recorder();

    ImportProgress p = run(
        new ImportSpec(tree.toString(), SourceFormat.CSV, "scoring", Table.FEEDBACK, "id", "ts", Map.of(), null, null, null),
        recorder);

    assertThat(p.accepted()).isEqualTo(3);
    assertThat(p.rejected()).isEqualTo(1);
    assertThat(recorder.rejected).singleElement().asString().startsWith("date=2026-11-01/labels.csv:3:").contains("ts");
    server.flush();
    assertThat(server.scalar("SELECT count(*) FROM feedback WHERE endpoint = 'scoring' AND date = '2026-11-01'").asLong())
        .isEqualTo(3);
  }

  @Test
  void importsJsonLinesKeepingNestedValues() throws Exception {
    Path day = Files.createDirectories(tree.resolve("env=prod"));
    Files.writeString(day.resolve("part-0.jsonl"),
        "{\"id\": \"j1\", \"score\": 0.9, \"features\": {\"n\": 3, \"names\": [\"a\", \"b\"]}}\n"
            + "{\"id\": \"j2\", \"score\": 0.1, \"features\": {\"n\": 4, \"names\": []}}\n");

    ImportProgress p = run(
        new ImportSpec(tree.toString(), SourceFormat.JSON, "scoring", Table.PREDICTIONS, "id", null, Map.of(), null, null, null),
        new Recorder());

    assertThat(p.accepted()).isEqualTo(2);
    server.flush();
    var row = server.query("SELECT score, features, tags['env'] FROM predictions WHERE prediction_id = 'j1'").get("rows").get(0);
    assertThat(row.get(0).asDouble()).isEqualTo(0.9);
    assertThat(JSON.readTree(row.get(1).asText())).isEqualTo(JSON.readTree("{\"n\": 3, \"names\": [\"a\", \"b\"]}"));
    assertThat(row.get(2).asText()).isEqualTo("prod");
  }

  @Test
  void runsAgainStoringEveryRowOnceTakingLateFilesInsideTheDelayAndReportingOlderOnes() throws Exception {
    ImportSpec spec = spec("id", "ts", Map.of(), "ts", Duration.ofHours(1));
    hour("hour=10", "a", "2026-11-01 10:00:00");
    hour("hour=11", "b", "2026-11-01 11:00:00");
    Recorder first = new Recorder();
    assertThat(run(spec, first).accepted()).isEqualTo(120);

    hour("hour=11", "late-inside", "2026-11-01 11:10:00"); // behind the watermark (11:59), inside the hour
    hour("hour=09", "late-beyond", "2026-11-01 09:00:00"); // behind watermark - delay (10:59)
    hour("hour=12", "c", "2026-11-01 12:00:00");
    Recorder second = new Recorder();
    ImportProgress p2 = run(spec, second);
    assertThat(p2.accepted()).isEqualTo(120);
    assertThat(p2.late()).isEqualTo(60);
    assertThat(second.late).containsExactly("hour=09/late-beyond.parquet:60");

    Recorder third = new Recorder();
    ImportProgress p3 = run(spec, third);
    assertThat(p3.rowsRead()).isZero();
    assertThat(third.late).isEmpty();

    server.flush();
    var counts = server.query("SELECT count(*), count(DISTINCT prediction_id) FROM predictions").get("rows").get(0);
    assertThat(counts.get(0).asLong()).isEqualTo(240);
    assertThat(counts.get(1).asLong()).isEqualTo(240);
    assertThat(server.scalar("SELECT count(*) FROM predictions WHERE prediction_id LIKE 'late-beyond%'").asLong()).isZero();
  }

  @Test
  void aRunCrashedAfterTheServerStoredABatchIsResumedWithNoDuplicateAndNoGap() throws Exception {
    duckdb("COPY (SELECT 'p' || i AS id, i AS n FROM range(12000) t(i)) TO '" + tree.resolve("part-0.parquet") + "' (FORMAT parquet)");
    ImportSpec spec = spec("id", null, Map.of(), null, null);
    // Batches are sent several at once: the second one's answer is lost after the server stored
    // it, while the third may be stored too; only the first may be recorded as done.
    RecordSink crashesAfterTheSecondBatchIsStored = (body, key) -> {
      byte[] answer = http(Table.PREDICTIONS).send(body, key);
      if (key.endsWith("-" + Importer.BATCH_ROWS + "-" + (2 * Importer.BATCH_ROWS - 1))) {
        throw new IOException("connection lost before the answer arrived");
      }
      return answer;
    };
    assertThatThrownBy(() -> run(spec, new Recorder(), crashesAfterTheSecondBatchIsStored))
        .hasMessageContaining("connection lost");

    ImportProgress rerun = run(spec, new Recorder());

    assertThat(rerun.rowsRead()).isEqualTo(12000 - Importer.BATCH_ROWS);
    server.flush();
    var counts = server.query("SELECT count(*), count(DISTINCT prediction_id), min(n), max(n), sum(n) FROM predictions").get("rows").get(0);
    assertThat(counts.get(0).asLong()).isEqualTo(12000);
    assertThat(counts.get(1).asLong()).isEqualTo(12000);
    assertThat(counts.get(4).asLong()).isEqualTo(12000L * 11999 / 2);
  }

  private void hour(String folder, String name, String start) throws Exception {
    Path f = Files.createDirectories(tree.resolve(folder)).resolve(name + ".parquet");
    duckdb("COPY (SELECT '" + name + "-' || i AS id, TIMESTAMP '" + start + "' + INTERVAL (i) MINUTE AS ts FROM range(60) t(i))"
        + " TO '" + f + "' (FORMAT parquet)");
  }

  private ImportSpec spec(String id, String ts, Map<String, String> map, String watermark, Duration delay) {
    return new ImportSpec(tree.toString(), SourceFormat.PARQUET, "scoring", Table.PREDICTIONS, id, ts, map, watermark, delay, null);
  }

  private ImportProgress run(ImportSpec spec, Recorder recorder) throws IOException {
    return run(spec, recorder, http(spec.kind()));
  }

  private ImportProgress run(ImportSpec spec, Recorder recorder, RecordSink sink) throws IOException {
    ImportState state = ImportState.load(dir.resolve("state.json"), JSON);
    try (Source source = Source.of(spec.from(), S3Settings.DEFAULTS, dir.resolve("scratch"))) {
      return new Importer(spec, source, state, sink, recorder, JSON).run();
    }
  }

  /** The server's ingest API over HTTP. */
  private RecordSink http(Table kind) {
    return (body, key) -> {
      TestServer.Response r = server.post(
          "/v1/endpoints/scoring/" + kind.dirName(), "application/x-ndjson", body, Map.of("Idempotency-Key", key));
      if (r.status() != 200) {
        throw new IOException(r.status() + ": " + r.body());
      }
      return r.body().getBytes(java.nio.charset.StandardCharsets.UTF_8);
    };
  }

  private static void duckdb(String sql) throws Exception {
    try (Connection c = DriverManager.getConnection("jdbc:duckdb:"); Statement st = c.createStatement()) {
      st.execute("SET TimeZone = 'UTC'");
      st.execute(sql);
    }
  }

  /** What the listener heard, as {@code file:row: reason} and {@code file:rows}. */
  static final class Recorder implements ImportListener {
    final List<String> rejected = new ArrayList<>();
    final List<String> late = new ArrayList<>();

    @Override
    public void rejected(String file, long row, String reason) {
      rejected.add(file + ":" + row + ": " + reason);
    }

    @Override
    public void late(String file, long rows) {
      late.add(file + ":" + rows);
    }
  }
}
