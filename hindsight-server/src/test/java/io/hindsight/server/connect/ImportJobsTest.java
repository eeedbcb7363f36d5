package io.hindsight.server.connect;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.hindsight.server.TestServer;
import io.hindsight.server.objects.LocalS3;
import io.hindsight.server.objects.ObjectStore;
import io.hindsight.server.objects.S3Location;
import io.hindsight.server.ops.ManualScheduler;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.function.Predicate;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ImportJobsTest {
  @TempDir Path dir;

  @Test
  void aScheduledImportRunsAgainAfterARestartStoringNewRowsOnce() throws Exception {
    Path tree = Files.createDirectories(dir.resolve("tree"));
    hour(tree, "hour=10", "a", "2026-11-01 10:00:00");
    ManualScheduler time = new ManualScheduler();
    try (TestServer server = new TestServer(dir.resolve("data"), c -> c.imports.roots = List.of(tree), time)) {
      TestServer.Response started = server.postJson("/v1/jobs/imports",
          "{\"from\": \"" + tree + "\", \"format\": \"parquet\", \"endpoint\": \"scoring\", \"kind\": \"predictions\","
              + " \"id_column\": \"id\", \"ts_column\": \"ts\", \"watermark\": \"ts\", \"delay\": \"PT1H\", \"every\": \"PT5M\"}");
      assertThat(started.status()).as(started.body()).isEqualTo(202);
      String id = started.json().get("id").asText();

      JsonNode afterFirst = await(server, id, j -> j.path("counts").path("runs").asLong() == 1 && j.path("state").asText().equals("queued"));
      assertThat(afterFirst.path("counts").path("rows_accepted").asLong()).isEqualTo(60);
      assertThat(afterFirst.path("next_run").asText()).isEqualTo(time.now().plus(Duration.ofMinutes(5)).toString());
      assertThat(afterFirst.path("details").path("watermark").asText()).isEqualTo("2026-11-01T10:59:00Z");

      hour(tree, "hour=11", "b", "2026-11-01 11:00:00");
      server.restart();
      assertThat(server.get("/v1/jobs/" + id).json().path("state").asText()).isEqualTo("queued");
      time.advance(Duration.ofMinutes(5));

      JsonNode afterSecond = await(server, id, j -> j.path("counts").path("runs").asLong() == 2 && j.path("state").asText().equals("queued"));
      assertThat(afterSecond.path("counts").path("rows_accepted").asLong()).isEqualTo(120);
      server.flush();
      var counts = server.query("SELECT count(*), count(DISTINCT prediction_id) FROM predictions").get("rows").get(0);
      assertThat(counts.get(0).asLong()).isEqualTo(120);
      assertThat(counts.get(1).asLong()).isEqualTo(120);

      assertThat(server.delete("/v1/jobs/" + id).status()).isEqualTo(200);
      assertThat(server.get("/v1/jobs/" + id).json().path("state").asText()).isEqualTo("cancelled");
    }
  }

  @Test
  void importsFromAnS3PrefixAndReportsRejectedRows() throws Exception {
    Path local = Files.createDirectories(dir.resolve("out"));
    hour(local, "hour=10", "a", "2026-11-01 10:00:00");
    duckdb("COPY (SELECT repeat('x', 200) AS id, TIMESTAMP '2026-11-01 10:00:00' AS ts) TO '" + local.resolve("bad.parquet") + "' (FORMAT parquet)");
    try (LocalS3 s3 = new LocalS3("logs");
        ObjectStore store = ObjectStore.open(s3.settings());
        TestServer server = new TestServer(dir.resolve("data"), c -> {
          c.imports.s3.endpoint = s3.endpoint().toString();
          c.imports.s3.pathStyle = true;
          c.imports.s3.accessKey = LocalS3.ACCESS_KEY;
          c.imports.s3.secretKey = LocalS3.SECRET_KEY;
        })) {
      store.upload(local.resolve("hour=10/a.parquet"), S3Location.parse("s3://logs/scores/date=2026-11-01/hour=10/a.parquet"));
      store.upload(local.resolve("bad.parquet"), S3Location.parse("s3://logs/scores/date=2026-11-01/hour=11/bad.parquet"));

      TestServer.Response started = server.postJson("/v1/jobs/imports",
          "{\"from\": \"s3://logs/scores\", \"format\": \"parquet\", \"endpoint\": \"scoring\", \"id_column\": \"id\", \"ts_column\": \"ts\"}");
      assertThat(started.status()).as(started.body()).isEqualTo(202);
      JsonNode job = server.awaitJob(started.json().get("id").asText());

      assertThat(job.path("state").asText()).as(job.toString()).isEqualTo("done");
      assertThat(job.path("counts").path("rows_accepted").asLong()).isEqualTo(60);
      assertThat(job.path("counts").path("rows_rejected").asLong()).isEqualTo(1);
      assertThat(job.path("details").path("errors").get(0).asText())
          .startsWith("date=2026-11-01/hour=11/bad.parquet:1: ").contains("prediction_id");
      server.flush();
      assertThat(server.scalar("SELECT count(*) FROM predictions WHERE tags['hour'] = '10'").asLong()).isEqualTo(60);
    }
  }

  @Test
  void refusesLocalFoldersOutsideTheConfiguredRoots() throws Exception {
    Path root = Files.createDirectories(dir.resolve("root"));
    Path outside = Files.createDirectories(dir.resolve("secrets"));
    Files.createSymbolicLink(root.resolve("link"), outside);
    try (TestServer server = new TestServer(dir.resolve("data"), c -> c.imports.roots = List.of(root))) {
      for (String from : List.of(outside.toString(), root + "/../secrets", root.resolve("link").toString(), "/etc")) {
        TestServer.Response r = server.postJson("/v1/jobs/imports",
            "{\"from\": \"" + from + "\", \"format\": \"csv\", \"endpoint\": \"scoring\"}");
        assertThat(r.status()).as(from).isEqualTo(400);
        assertThat(r.json().get("error").asText()).contains("imports.roots");
      }
      assertThat(server.postJson("/v1/jobs/imports", "{\"from\": \"" + root + "\", \"format\": \"csv\", \"endpoint\": \"scoring\"}")
          .status()).isEqualTo(202);
    }
  }

  private static JsonNode await(TestServer server, String id, Predicate<JsonNode> condition) throws InterruptedException {
    long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    while (true) {
      JsonNode job = server.get("/v1/jobs/" + id).json();
      if (condition.test(job)) {
        return job;
      }
      if (System.nanoTime() > deadline) {
        throw new AssertionError("job " + id + " did not get there within 30 s: " + job);
      }
      Thread.sleep(20);
    }
  }

  private static void hour(Path tree, String folder, String name, String start) throws Exception {
    Path f = Files.createDirectories(tree.resolve(folder)).resolve(name + ".parquet");
    duckdb("COPY (SELECT '" + name + "-' || i AS id, TIMESTAMP '" + start + "' + INTERVAL (i) MINUTE AS ts FROM range(60) t(i))"
        + " TO '" + f + "' (FORMAT parquet)");
  }

  private static void duckdb(String sql) throws Exception {
    try (Connection c = DriverManager.getConnection("jdbc:duckdb:"); Statement st = c.createStatement()) {
      st.execute("SET TimeZone = 'UTC'");
      st.execute(sql);
    }
  }
}
