package io.hindsight.cli;

import static io.hindsight.cli.CliRun.run;
import static org.assertj.core.api.Assertions.assertThat;

import io.hindsight.server.HindsightServer;
import io.hindsight.server.ServerConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code hindsight ingest} against a real server: data never stops an upload, and every bad line is named. */
class IngestCommandTest {
  @TempDir Path dir;

  private HindsightServer server(Consumer<ServerConfig> tweak) throws Exception {
    ServerConfig c = new ServerConfig();
    c.dataDir = dir.resolve("data");
    c.port = 0;
    c.lake.flushInterval = Duration.ofMillis(50);
    tweak.accept(c);
    return HindsightServer.start(c);
  }

  private static String csv(HindsightServer s, String sql) {
    s.flushLake();
    return run("query", "--server", "http://127.0.0.1:" + s.port(), "--format", "csv", sql).out().replace("\r", "");
  }

  @Test
  void badNdjsonLinesAreRejectedWithFileLineAndReasonWhileEveryGoodLineArrives() throws Exception {
    Path file = dir.resolve("scores.ndjson");
    Files.writeString(
        file,
        String.join(
            "\n",
            "{\"prediction_id\": \"p-1\", \"data\": {\"amount\": 1.5}}",
            "this is not json",
            "{\"prediction_id\": \"p-2\", \"data\": {\"amount\": 2.5}}",
            "{\"amount\": NaN}",
            "",
            "{\"prediction_id\": \"p-3\", \"amount\": 3.5, \"segment\": \"retail\", \"tags\": {\"env\": \"prod\"}}",
            "{\"data\": {\"_bad\": 1}}",
            "[1, 2]",
            "{\"prediction_id\": \"p-4\", \"data\": {\"amount\": 4.5}}")
            + "\n");
    try (HindsightServer s = server(c -> {})) {
      CliRun r = run("ingest", "--server", "http://127.0.0.1:" + s.port(), "--endpoint", "offline", file.toString());

      assertThat(r.exit()).isEqualTo(1);
      assertThat(r.out()).contains("done: 4 accepted, 4 rejected, 0 warnings");
      assertThat(r.err())
          .contains(file + ":2: rejected: not valid JSON: Unrecognized token 'this'")
          .contains(file + ":4: rejected: not valid JSON: Non-standard token 'NaN'")
          .contains(file + ":7: rejected: ").contains("'_bad'")
          .contains(file + ":8: rejected: not a JSON object but array")
          .doesNotContain("Exception")
          .doesNotContain("\tat ");
      assertThat(csv(s, "SELECT prediction_id, amount, segment, tags['env'] FROM predictions ORDER BY 1"))
          .isEqualTo("prediction_id,amount,segment,tags['env']\np-1,1.5,,\np-2,2.5,,\np-3,3.5,retail,prod\np-4,4.5,,\n");
    }
  }

  @Test
  void flatNdjsonRecordsAreReadLikeCsvRowsAndWarningsAreListedWithTheirLine() throws Exception {
    Path ndjson = dir.resolve("flat.ndjson");
    Files.writeString(
        ndjson,
        "{\"prediction_id\": \"n-1\", \"ts\": \"2026-11-20T10:00:00Z\", \"amount\": 10, \"approved\": true}\n"
            + "{\"prediction_id\": \"n-2\", \"ts\": \"2026-11-20T10:00:00Z\", \"amount\": \"ten\", \"approved\": false}\n");
    Path csv = dir.resolve("flat.csv");
    Files.writeString(
        csv, "prediction_id,ts,amount,approved\nc-1,2026-11-20T10:00:00Z,30,true\n" + "x".repeat(200) + ",2026-11-20T10:00:00Z,40,true\n");
    try (HindsightServer s = server(c -> {})) {
      CliRun r = run("ingest", "--server", "http://127.0.0.1:" + s.port(), "--endpoint", "offline", ndjson.toString(), csv.toString());

      assertThat(r.exit()).isEqualTo(1);
      assertThat(r.out()).contains("done: 3 accepted, 1 rejected, 1 warnings");
      assertThat(r.err()).contains(ndjson + ":2: warning: ").contains("amount").contains(csv + ":3: rejected: ").contains("prediction_id");
      assertThat(csv(s, "SELECT prediction_id, ts, amount, approved FROM predictions ORDER BY 1"))
          .isEqualTo(
              "prediction_id,ts,amount,approved\n"
                  + "c-1,2026-11-20T10:00:00.000000Z,30,true\n"
                  + "n-1,2026-11-20T10:00:00.000000Z,10,true\n"
                  + "n-2,2026-11-20T10:00:00.000000Z,,false\n");
    }
  }

  @Test
  void aBatchTheServerRefusesAsAWholeIsSplitUntilTheOversizedRecordStandsAlone() throws Exception {
    StringBuilder sb = new StringBuilder();
    for (int i = 1; i <= 12; i++) {
      String amount = i == 7 ? "\"" + "x".repeat(6000) + "\"" : String.valueOf(i);
      sb.append("{\"prediction_id\": \"b-").append(i).append("\", \"data\": {\"amount\": ").append(amount).append("}}\n");
    }
    Path file = dir.resolve("big.ndjson");
    Files.writeString(file, sb.toString());
    try (HindsightServer s = server(c -> {
          c.ingest.maxBodyBytes = 4096;
          c.ingest.maxRecordBytes = 4096;
        })) {
      CliRun r = run("ingest", "--server", "http://127.0.0.1:" + s.port(), "--endpoint", "offline", "--batch", "50", file.toString());

      assertThat(r.exit()).isEqualTo(1);
      assertThat(r.out()).contains("done: 11 accepted, 1 rejected");
      assertThat(r.err()).contains(file + ":7: rejected: the server refused it: ");
      assertThat(csv(s, "SELECT count(*), sum(amount) FROM predictions")).isEqualTo("count_star(),sum(amount)\n11,71\n");
    }
  }

  @Test
  void aBrokenJsonArrayStillSendsTheRecordsBeforeTheBreak() throws Exception {
    Path file = dir.resolve("scores.json");
    Files.writeString(
        file,
        "[\n {\"prediction_id\": \"j-1\", \"data\": {\"amount\": 1}},\n 42,\n {\"prediction_id\": \"j-2\", \"amount\": 2},\n {\"amount\": NaN}\n]\n");
    try (HindsightServer s = server(c -> {})) {
      CliRun r = run("ingest", "--server", "http://127.0.0.1:" + s.port(), "--endpoint", "offline", file.toString());

      assertThat(r.exit()).isEqualTo(1);
      assertThat(r.out()).contains("done: 2 accepted, 2 rejected");
      assertThat(r.err())
          .contains(file + ":3: rejected: not a JSON object but number")
          .contains(file + ":5: rejected: not valid JSON: Non-standard token 'NaN'")
          .contains("the rest of the file cannot be read");
      assertThat(csv(s, "SELECT prediction_id, amount FROM predictions ORDER BY 1")).isEqualTo("prediction_id,amount\nj-1,1\nj-2,2\n");
    }
  }

  @Test
  void theServerUrlComesFromHindsightUrlWhenNoServerIsGiven() throws Exception {
    Path file = dir.resolve("one.ndjson");
    Files.writeString(file, "{\"prediction_id\": \"u-1\", \"amount\": 1}\n");
    try (HindsightServer s = server(c -> {})) {
      // picocli reads ${HINDSIGHT_URL} from a system property first, then the environment.
      System.setProperty("HINDSIGHT_URL", "http://127.0.0.1:" + s.port());
      try {
        CliRun r = run("ingest", "--endpoint", "offline", file.toString());
        assertThat(r.exit()).as(r.err()).isZero();
        assertThat(r.out()).contains("done: 1 accepted");
        s.flushLake();
        assertThat(run("query", "--format", "csv", "SELECT count(*) FROM predictions").out()).contains("\n1");
      } finally {
        System.clearProperty("HINDSIGHT_URL");
      }
    }
  }
}
