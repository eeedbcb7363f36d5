package io.hindsight;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Base64;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The decided answers to questions a new user runs into, each written down in the javadoc. */
class SmallSurprisesTest {
  @Test
  void bytesAreStoredAsOneBase64StringNotAListOfSignedNumbers() {
    byte[] image = {(byte) 0x89, 'P', 'N', 'G', (byte) 0xff, 0};
    try (LocalContext ctx = Hindsight.localContext()) {
      Hindsight.log("thumbnail", image);
      assertThat(ctx.logs()).containsEntry("thumbnail", "iVBOR/8A");
      assertThat(Base64.getDecoder().decode((String) ctx.logs().get("thumbnail"))).isEqualTo(image);
      ctx.close();
      assertThat(ctx.sentJson().get(0)).contains("\"thumbnail\":\"iVBOR/8A\"");
    }
  }

  @Test
  void integersComeBackAsLongAndFloatingPointNumbersAsDouble() {
    try (LocalContext ctx = Hindsight.localContext()) {
      Hindsight.log("count", 3);
      Hindsight.log("small", (short) 2);
      Hindsight.log("ratio", 0.5f);
      Hindsight.log("ids", List.of(1, 2));
      assertThat(ctx.logs())
          .containsEntry("count", 3L)
          .containsEntry("small", 2L)
          .containsEntry("ratio", 0.5)
          .containsEntry("ids", List.of(1L, 2L));
    }
  }

  @Test
  void aLocalContextTakesSeveralPredictionsAndFindsEachById() {
    try (LocalContext ctx = Hindsight.localContext()) {
      for (String id : List.of("txn-1", "txn-2", "txn-3")) {
        try (Prediction p = ctx.startPrediction(id)) {
          Hindsight.log("score", id.endsWith("2") ? 0.9 : 0.1);
          p.tag("segment", "a");
        }
      }
      Hindsight.log("in_own_scope", true); // the context's own scope is current again

      assertThat(ctx.records()).extracting(PredictionRecord::predictionId).containsExactly("txn-1", "txn-2", "txn-3");
      assertThat(ctx.record("txn-2").get("score")).isEqualTo(0.9);
      assertThat(ctx.record("txn-3").tags()).containsEntry("segment", "a");
      assertThat(ctx.logs()).containsOnlyKeys("in_own_scope");
      assertThatThrownBy(() -> ctx.record("txn-9")).hasMessageContaining("txn-1, txn-2, txn-3");
      assertThat(ctx.stats().predictions().sent()).isEqualTo(3);
    }
  }

  @Test
  void theKeyThatListsLeftOutValuesIsReserved() {
    try (LocalContext ctx = Hindsight.localContext()) {
      assertThatThrownBy(() -> Hindsight.log("hindsight_removed", Map.of()))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("reserved");
    }
  }

  @Test
  void aLocalContextLeavesOutOversizedValuesLikeTheRealOne() {
    try (LocalContext ctx = Hindsight.builder().endpoint("local").maxRecordBytes(1024).buildLocal()) {
      Hindsight.log("note", "n".repeat(2000));
      Hindsight.log("score", 0.5);
      ctx.close();
      assertThat(ctx.sentJson().get(0))
          .doesNotContain("nnnn")
          .contains("\"score\":0.5")
          .contains("\"hindsight_removed\":{\"note\":2002}");
      assertThat(ctx.stats().predictions().trimmed()).isEqualTo(1);
    }
  }
}
