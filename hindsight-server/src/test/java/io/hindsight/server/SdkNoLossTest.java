package io.hindsight.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.hindsight.Hindsight;
import io.hindsight.HindsightBuilder;
import io.hindsight.KindStats;
import io.hindsight.Prediction;
import io.hindsight.Stats;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Java SDK against a real server: a 2 MiB value in a batch of good records (which once made
 * the server refuse the whole batch with 413, and the SDK lose all four) costs only that value,
 * or at most that record; every good record is in SQL and the SDK's counters add up.
 */
class SdkNoLossTest {
  private static final int MIB = 1 << 20;

  @TempDir Path dir;

  private static HindsightBuilder builder(TestServer s) {
    return Hindsight.builder()
        .endpoint("fraud-model")
        .serverUrl(s.url(""))
        .linger(Duration.ofMinutes(1)) // the four records go in one batch, cut by flush
        .closeOnShutdown(false);
  }

  private static void predict(Hindsight h, String id, String rawText) {
    try (Prediction p = h.startPrediction(id)) {
      Hindsight.log("score", 0.25);
      if (rawText != null) {
        Hindsight.log("raw_text", rawText);
      }
    }
  }

  @Test
  void aTwoMiBValueIsLeftOutAndEveryRecordOfItsBatchIsInSql() throws Exception {
    try (TestServer s = new TestServer(dir.resolve("data"))) {
      Hindsight h = builder(s).build();
      predict(h, "good-1", "short");
      predict(h, "big", "x".repeat(2 * MIB));
      predict(h, "good-2", null);
      predict(h, "good-3", null);
      h.feedback("good-1", Map.of("label", "legit", "note", "y".repeat(2 * MIB)));
      assertThat(h.flush(Duration.ofSeconds(30))).as("%s", h.stats()).isTrue();
      Stats stats = h.stats();
      h.close();
      s.flush();

      JsonNode row =
          s.query(
                  "SELECT count(*), count(raw_text), max(hindsight_removed->>'raw_text'), sum(score)"
                      + " FROM predictions WHERE endpoint = 'fraud-model'")
              .get("rows")
              .get(0);
      assertThat(row.toString()).isEqualTo("[4,1,\"2097154\",1.0]");
      assertThat(s.scalar("SELECT prediction_id FROM predictions WHERE hindsight_removed IS NOT NULL").asText())
          .isEqualTo("big");
      assertThat(s.scalar("SELECT feedback_label FROM predictions_with_feedback WHERE prediction_id = 'good-1'").asText())
          .isEqualTo("legit");
      assertThat(stats.predictions().sent()).isEqualTo(4);
      assertThat(stats.predictions().trimmed()).isEqualTo(1);
      assertThat(stats.feedback().sent()).isEqualTo(1);
      assertThat(stats.lost()).isZero();
      assertThat(stats.addsUp()).as("%s", stats).isTrue();
    }
  }

  @Test
  void aBatchTheServerRefusesForOneRecordIsSplitAndTheGoodRecordsArrive() throws Exception {
    try (TestServer s = new TestServer(dir.resolve("data"))) {
      // The SDK's own check above the server's: the server is the one to refuse the big record.
      Hindsight h = builder(s).maxRecordBytes(64L * MIB).build();
      predict(h, "good-1", "short");
      predict(h, "big", "x".repeat(2 * MIB));
      predict(h, "good-2", null);
      predict(h, "good-3", null);
      assertThat(h.flush(Duration.ofSeconds(30))).as("%s", h.stats()).isTrue();
      KindStats stats = h.stats().predictions();
      h.close();
      s.flush();

      assertThat(s.query("SELECT list(prediction_id ORDER BY prediction_id) FROM predictions").get("rows").get(0).get(0).toString())
          .isEqualTo("[\"good-1\",\"good-2\",\"good-3\"]");
      assertThat(stats.sent()).isEqualTo(3);
      assertThat(stats.rejectedTotal()).as("%s", stats).isEqualTo(1);
      assertThat(stats.lost()).isEqualTo(1);
      assertThat(stats.addsUp()).as("%s", stats).isTrue();
    }
  }
}
