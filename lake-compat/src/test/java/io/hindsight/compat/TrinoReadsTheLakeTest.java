package io.hindsight.compat;

import io.hindsight.server.objects.LocalS3;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.hindsight.server.HindsightServer;
import io.hindsight.server.objects.S3Location;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Trino's Hive connector reads the lake in an S3-compatible store as tables, one per endpoint and
 * kind, declared from the schema API, plus a view over every endpoint. A real server wrote the
 * files; a real Trino (its own JVM, Java 24+) reads them. Heavy (a 450 MB download once, about
 * 20 s to start), so only {@code mvn -Ptrino} runs it.
 */
@Tag("trino")
class TrinoReadsTheLakeTest {
  private static final S3Location LAKE = S3Location.parse("s3://lake/hindsight");
  private static final ObjectMapper JSON = new ObjectMapper();

  private static LocalS3 store;
  private static LocalTrino trino;
  private static Connection sql;

  @BeforeAll
  static void putTheLakeInTheStoreAndDeclareIt(@TempDir Path dir) throws Exception {
    Path dataDir = dir.resolve("data");
    Path widening = dataDir.resolve("lake/predictions/endpoint=widening");
    Path bigintFiles = dir.resolve("before-widening");
    List<TrinoTables.EndpointTable> tables = new ArrayList<>();
    try (HindsightServer server = LakeSample.start(dataDir, LakeSample.NO_COMPACTION)) {
      IngestClient api = new IngestClient(server.port());
      LakeSample.record(api, server);
      // triage types score (double in fraud) as string and churn_prob (double in churn) as bigint.
      api.predict("triage", "t-1", "2026-11-22T09:00:00Z", "{\"score\": \"high\", \"churn_prob\": 1}");
      server.flushLake();
      // widening gets score as bigint, then as double; its older file is kept as it was before the rewrite.
      api.predict("widening", "w-1", "2026-11-20T08:00:00Z", "{\"score\": 10}");
      server.flushLake();
      LakeFiles.copyTree(widening, bigintFiles);
      api.predict("widening", "w-2", "2026-11-21T08:00:00Z", "{\"score\": 2.5}");
      server.flushLake();
      for (String endpoint : List.of("churn", "fraud", "triage", "widening")) {
        tables.add(new TrinoTables.EndpointTable(endpoint, "predictions_" + endpoint,
            TrinoTables.columns(JSON.readTree(api.get("/v1/endpoints/" + endpoint + "/schema")))));
      }
    }
    LakeFiles.deleteTree(widening.resolve("date=2026-11-20"));
    LakeFiles.copyTree(bigintFiles, widening);
    assertThat(LakeFiles.physicalTypes(widening, "score")).containsExactly("DOUBLE", "INT64");
    store = new LocalS3("lake");
    LakeCopy.upload(dataDir, store.settings(), LAKE);
    trino = LocalTrino.start(dir.resolve("trino"), store, "s3://lake/trino-metastore");
    sql = trino.connect();
    execute("CREATE SCHEMA hindsight");
    execute("USE hindsight");
    for (TrinoTables.EndpointTable t : tables) {
      execute(TrinoTables.createTable(t.table(), t.columns(), LAKE + "/predictions/endpoint=" + t.endpoint()));
      execute("CALL system.sync_partition_metadata('hindsight', '" + t.table() + "', 'FULL')");
    }
    execute(TrinoTables.unionView("predictions", tables.subList(0, 3)));
    execute("CREATE TABLE feedback_fraud (prediction_id varchar, ts timestamp(6), \"_conflicts\" varchar,"
        + " is_fraud boolean, loss double, \"date\" date) WITH (external_location = '" + LAKE
        + "/feedback/endpoint=fraud', format = 'PARQUET', partitioned_by = ARRAY['date'])");
    execute("CALL system.sync_partition_metadata('hindsight', 'feedback_fraud', 'FULL')");
  }

  @AfterAll
  static void stop() throws Exception {
    if (sql != null) {
      sql.close();
    }
    if (trino != null) {
      trino.close();
    }
    if (store != null) {
      store.close();
    }
  }

  @Test
  void readsEachEndpointAsATable() throws Exception {
    assertThat(rows("SELECT count(*), count(DISTINCT \"date\"), count(reviewer), sum(score) FROM predictions_fraud"))
        .containsExactly(List.of(9L, 3L, 3L, 235.5));
    assertThat(rows("SELECT prediction_id, model_version, tags['segment'], CAST(ts AS varchar), amount, \"count\", ok"
            + " FROM predictions_fraud WHERE \"date\" = DATE '2026-11-21' ORDER BY prediction_id"))
        .containsExactly(
            List.of("fraud-3", "v1", "a", "2026-11-21 10:00:00.000000", 3.5, 3L, true),
            List.of("fraud-4", "v1", "b", "2026-11-21 23:59:59.000000", 4.5, 4L, false),
            List.of("fraud-8", "v2", "a", "2026-11-21 15:00:00.000000", 8.0, 8L, true));
    assertThat(rows("SELECT json_extract_scalar(features, '$.country') FROM predictions_fraud WHERE prediction_id = 'fraud-8'"))
        .containsExactly(List.of("DE"));
  }

  @Test
  void readsEveryEndpointThroughOneViewWhenEndpointsGiveTheSameKeyDifferentTypes() throws Exception {
    assertThat(rows("SELECT endpoint, count(*), count(DISTINCT prediction_id) FROM predictions GROUP BY 1 ORDER BY 1"))
        .containsExactly(List.of("churn", 2L, 2L), List.of("fraud", 9L, 9L), List.of("triage", 1L, 1L));
    assertThat(rows("SELECT endpoint, prediction_id, score, churn_prob FROM predictions"
            + " WHERE prediction_id IN ('churn-1', 'fraud-9', 't-1') ORDER BY 1"))
        .containsExactly(
            Arrays.asList("churn", "churn-1", null, 0.3),
            Arrays.asList("fraud", "fraud-9", "9.5", null),
            Arrays.asList("triage", "t-1", "high", 1.0));
  }

  /**
   * Between the flush that widened {@code score} to double and the rewrite of the endpoint's older
   * files, one file holds it as bigint: Trino reads that file into the double column.
   */
  @Test
  void readsAnEndpointRightAfterAColumnWidenedBeforeItsOlderFilesAreRewritten() throws Exception {
    assertThat(rows("SELECT prediction_id, score FROM predictions_widening ORDER BY 1"))
        .containsExactly(List.of("w-1", 10.0), List.of("w-2", 2.5));
  }

  @Test
  void joinsFeedbackToPredictions() throws Exception {
    assertThat(rows("SELECT p.prediction_id, p.model_version, f.is_fraud, f.loss FROM predictions_fraud p"
            + " JOIN feedback_fraud f ON p.prediction_id = f.prediction_id ORDER BY 1"))
        .containsExactly(List.of("fraud-1", "v1", true, 120.5), List.of("fraud-7", "v2", false, 0.0));
  }

  private static void execute(String statement) throws SQLException {
    try (Statement st = sql.createStatement()) {
      st.execute(statement);
    }
  }

  private static List<List<Object>> rows(String query) throws SQLException {
    List<List<Object>> out = new ArrayList<>();
    try (Statement st = sql.createStatement(); ResultSet rs = st.executeQuery(query)) {
      int n = rs.getMetaData().getColumnCount();
      while (rs.next()) {
        List<Object> row = new ArrayList<>();
        for (int i = 1; i <= n; i++) {
          row.add(rs.getObject(i));
        }
        out.add(row);
      }
    }
    return out;
  }
}
