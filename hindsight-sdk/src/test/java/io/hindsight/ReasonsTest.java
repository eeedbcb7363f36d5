package io.hindsight;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** {@link Hindsight#logReasons}: the principal reasons of a decision in the shape the server checks. */
class ReasonsTest {
  private LocalContext ctx;

  @BeforeEach
  void open() {
    ctx = Hindsight.localContext();
  }

  @AfterEach
  void close() {
    ctx.close();
  }

  @Test
  void logsReasonsAsTheListOfObjectsTheServerStores() {
    Hindsight.logReasons(Reason.of("R07", "debt to income too high", 0.31), Reason.of("R02"));
    assertThat(ctx.logs().get("reasons"))
        .isEqualTo(List.of(Map.of("code", "R07", "text", "debt to income too high", "contribution", 0.31), Map.of("code", "R02")));
    assertThat(ctx.sentJson()).isEmpty();
  }

  @Test
  void refusesMoreThanFourReasonsOrNoneOrAnEmptyCode() {
    Reason r = Reason.of("R1");
    assertThatThrownBy(() -> Hindsight.logReasons(r, r, r, r, r)).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("1 to 4");
    assertThatThrownBy(Hindsight::logReasons).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> Reason.of("")).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("code of 1 to 64");
    assertThatThrownBy(() -> Reason.of("R1", "x", Double.NaN)).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("finite");
  }
}
