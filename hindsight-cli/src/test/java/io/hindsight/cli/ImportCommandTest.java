package io.hindsight.cli;

import static io.hindsight.cli.CliRun.run;
import static org.assertj.core.api.Assertions.assertThat;

import io.hindsight.server.HindsightServer;
import io.hindsight.server.ServerConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code hindsight import} against a real server: counts at the end, every rejected row named, nothing twice. */
class ImportCommandTest {
  @TempDir Path dir;
  private HindsightServer server;

  @BeforeEach
  void start() throws Exception {
    ServerConfig c = new ServerConfig();
    c.dataDir = dir.resolve("data");
    c.port = 0;
    c.lake.flushInterval = Duration.ofMillis(50);
    server = HindsightServer.start(c);
  }

  @AfterEach
  void stop() {
    server.close();
  }

  @Test
  void importsAHiveLayoutParquetTreeOnceHoweverOftenItRuns() throws Exception {
    Path tree = dir.resolve("scores");
    duckdb("COPY (SELECT 'p' || i AS id, TIMESTAMP '2026-11-01 10:00:00' + INTERVAL (i) SECOND AS scored_at, i / 10.0 AS score,"
        + " CASE WHEN i % 4 = 0 THEN 'eu' ELSE 'us' END AS region FROM range(12000) t(i))"
        + " TO '" + tree + "' (FORMAT parquet, PARTITION_BY (region))");

    String[] args = {"import", "--server", url(), "--from", tree.toString(), "--format", "parquet", "--endpoint", "fraud",
        "--id-column", "id", "--ts-column", "scored_at", "--map", "model_version=region", "--watermark", "scored_at",
        "--delay", "PT1H", "--state", dir.resolve("state.json").toString()};
    CliRun first = run(args);
    CliRun again = run(args);

    assertThat(first.exit()).as(first.err()).isZero();
    assertThat(first.out()).contains("done: 12,000 rows read, 12,000 accepted, 0 rejected, 0 late; watermark 2026-11-01T13:19:59Z");
    assertThat(again.out()).contains("done: 0 rows read, 0 accepted");
    assertThat(query("SELECT count(*), count(DISTINCT prediction_id), count(*) FILTER (WHERE model_version = 'eu') FROM predictions"))
        .isEqualTo("12000,12000,3000");
  }

  @Test
  void namesTheFileAndRowOfEveryRejectedCsvRowAndStoresTheRest() throws Exception {
    Path tree = Files.createDirectories(dir.resolve("labels/vendor=acme"));
    Files.writeString(tree.resolve("batch-1.csv"), "prediction_id,label\np1,fraud\n,legit\np3,legit\n");

    CliRun r = run("import", "--server", url(), "--from", dir.resolve("labels").toString(), "--format", "csv",
        "--endpoint", "fraud", "--kind", "feedback", "--id-column", "prediction_id", "--state", dir.resolve("s.json").toString());

    assertThat(r.exit()).isEqualTo(1);
    assertThat(r.out()).contains("done: 3 rows read, 2 accepted, 1 rejected, 0 late");
    assertThat(r.err()).contains("vendor=acme/batch-1.csv:2: rejected: ").contains("prediction_id");
    assertThat(query("SELECT string_agg(prediction_id || ':' || label || ':' || vendor, ' ' ORDER BY prediction_id) FROM feedback"))
        .isEqualTo("p1:fraud:acme p3:legit:acme");
  }

  private String url() {
    return "http://127.0.0.1:" + server.port();
  }

  private String query(String sql) {
    server.flushLake();
    CliRun r = run("query", "--server", url(), "--format", "csv", sql);
    String[] lines = r.out().replace("\r", "").strip().split("\n");
    return lines[lines.length - 1];
  }

  private static void duckdb(String sql) throws Exception {
    try (Connection c = DriverManager.getConnection("jdbc:duckdb:"); Statement st = c.createStatement()) {
      st.execute("SET TimeZone = 'UTC'");
      st.execute(sql);
    }
  }
}
