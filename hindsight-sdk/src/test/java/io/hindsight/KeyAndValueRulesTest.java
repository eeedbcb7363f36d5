package io.hindsight;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.math.BigDecimal;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class KeyAndValueRulesTest {
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
  void acceptsKeysMatchingTheDesignPattern() {
    Hindsight.log("a", 1);
    Hindsight.log("credit_score", 712);
    Hindsight.log("Z9_x", true);
    Hindsight.log("k" + "x".repeat(127), "128 chars");
    assertThat(ctx.logs()).containsKeys("a", "credit_score", "Z9_x");
  }

  @Test
  void refusesAKeyThatIsTooLong() {
    assertThatThrownBy(() -> Hindsight.log("k" + "x".repeat(128), 1))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("129 characters long")
        .hasMessageContaining("at most 128");
  }

  @Test
  void refusesAKeyWithABadCharacterAndSuggestsAFix() {
    assertThatThrownBy(() -> Hindsight.log("credit-score", 1))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("'credit-score' contains '-'")
        .hasMessageContaining("\"credit_score\"");
  }

  @ParameterizedTest
  @ValueSource(strings = {"1abc", "", " x"})
  void refusesAKeyNotStartingWithALetter(String key) {
    assertThatThrownBy(() -> Hindsight.log(key, 1)).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void refusesANullKey() {
    assertThatThrownBy(() -> Hindsight.log(null, 1))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("must not be null or empty");
  }

  @Test
  void refusesKeysStartingWithUnderscore() {
    assertThatThrownBy(() -> Hindsight.log("_conflicts", 1))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("reserved");
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "prediction_id", "endpoint", "ts", "date", "model_version", "request_id", "tags",
        "latency_ms", "status", "error", "sample_rate", "Prediction_ID", "TS"
      })
  void refusesSystemFieldNamesInAnyCase(String key) {
    assertThatThrownBy(() -> Hindsight.log(key, 1))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("system field")
        .hasMessageContaining("rename your key");
  }

  @Test
  void refusesTheFeedbackPrefix() {
    assertThatThrownBy(() -> Hindsight.log("Feedback_label", 1))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("reserved for the columns that join feedback");
  }

  @Test
  void refusesTheSameKeyTwiceInOneScope() {
    Hindsight.log("score", 0.5);
    assertThatThrownBy(() -> Hindsight.log("score", 0.6))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("'score' was already logged")
        .hasMessageContaining("log each key once");
  }

  @Test
  void treatsKeysCaseInsensitivelyForDuplicates() {
    Hindsight.log("Score", 0.5);
    assertThatThrownBy(() -> Hindsight.log("score", "x"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("as 'Score' (keys are case-insensitive)");
  }

  @Test
  void findsDuplicatesAmongManyKeys() {
    for (int i = 0; i < 300; i++) {
      Hindsight.log("k" + i, i);
    }
    assertThatThrownBy(() -> Hindsight.log("K150", 1)).hasMessageContaining("already logged");
    assertThat(ctx.logs()).hasSize(300);
  }

  @Test
  void refusesMoreThanAThousandKeys() {
    for (int i = 0; i < Prediction.MAX_KEYS; i++) {
      Hindsight.log("k" + i, i);
    }
    assertThatThrownBy(() -> Hindsight.log("one_too_many", 1))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("1000 keys")
        .hasMessageContaining("group related values");
  }

  @Test
  void refusesNaNAndInfinityEvenNested() {
    assertThatThrownBy(() -> Hindsight.log("x", Double.NaN))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("NaN")
        .hasMessageContaining("finite");
    assertThatThrownBy(() -> Hindsight.log("y", Float.POSITIVE_INFINITY)).hasMessageContaining("Infinity");
    assertThatThrownBy(() -> Hindsight.log("z", List.of(1.0, Double.NEGATIVE_INFINITY)))
        .hasMessageContaining("z[1]");
    assertThatThrownBy(() -> Hindsight.log("w", new double[] {0.1, Double.NaN})).hasMessageContaining("NaN");
  }

  @Test
  void refusesArbitraryObjectsNamingTheType() {
    assertThatThrownBy(() -> Hindsight.log("thing", new Object()))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("java.lang.Object")
        .hasMessageContaining("not JSON-compatible");
    assertThatThrownBy(() -> Hindsight.log("nested", Map.of("inner", List.of(new StringBuilder("ok"), Thread.currentThread()))))
        .hasMessageContaining("nested.inner[1]");
  }

  @Test
  void refusesCyclesInMapsAndLists() {
    Map<String, Object> map = new HashMap<>();
    map.put("self", map);
    assertThatThrownBy(() -> Hindsight.log("m", map))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("contains itself")
        .hasMessageContaining("m.self");
    List<Object> list = new ArrayList<>();
    list.add(List.of(1));
    list.add(list);
    assertThatThrownBy(() -> Hindsight.log("l", list)).hasMessageContaining("cycle");
  }

  @Test
  void allowsTheSameObjectTwiceWhenItIsNotACycle() {
    List<Integer> shared = List.of(1, 2);
    Hindsight.log("pair", List.of(shared, shared));
    assertThat(ctx.logs().get("pair")).isEqualTo(List.of(List.of(1L, 2L), List.of(1L, 2L)));
  }

  @Test
  void refusesNestingDeeperThanSixtyFourLevels() {
    Object deep = 1;
    for (int i = 0; i < Values.MAX_DEPTH - 2; i++) {
      deep = List.of(deep);
    }
    Hindsight.log("ok_depth", deep); // record + data + 62 lists = 64 levels
    Object tooDeep = List.of(deep);
    assertThatThrownBy(() -> Hindsight.log("too_deep", tooDeep))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("deeper than 64 levels")
        .hasMessageContaining("flatten");
  }

  @Test
  void refusesNonStringMapKeys() {
    assertThatThrownBy(() -> Hindsight.log("m", Map.of(1, "one")))
        .hasMessageContaining("map key '1' of type java.lang.Integer")
        .hasMessageContaining("must be strings");
  }

  enum Decision {
    APPROVED
  }

  @Test
  void acceptsEveryJsonCompatibleType() {
    Map<String, Object> nested = new LinkedHashMap<>();
    nested.put("a", null);
    nested.put("b", List.of("x", 2));
    Hindsight.log("n_null", (Object) null);
    Hindsight.log("n_bool", Boolean.TRUE);
    Hindsight.log("n_int", 7);
    Hindsight.log("n_long", 1L << 40);
    Hindsight.log("n_short", (short) 3);
    Hindsight.log("n_float", 0.1f);
    Hindsight.log("n_double", 2.5);
    Hindsight.log("n_big", new BigDecimal("12345678901234567890.5"));
    Hindsight.log("n_string", "text");
    Hindsight.log("n_chars", new StringBuilder("sb"));
    Hindsight.log("n_enum", Decision.APPROVED);
    Hindsight.log("n_instant", Instant.parse("2026-01-02T03:04:05.000006Z"));
    Hindsight.log("n_map", nested);
    Hindsight.log("n_set", Set.of("only"));
    Hindsight.log("n_ints", new int[] {1, 2});
    Hindsight.log("n_doubles", new double[] {0.13, 0.87});
    Hindsight.log("n_objects", new Object[] {"a", 1});
    Hindsight.log("n_unit", TimeUnit.SECONDS);
    Map<String, Object> logs = ctx.logs();
    assertThat(logs.get("n_null")).isNull();
    assertThat(logs.get("n_int")).isEqualTo(7L);
    assertThat(logs.get("n_short")).isEqualTo(3L);
    assertThat(logs.get("n_float")).isEqualTo(0.1);
    assertThat(logs.get("n_chars")).isEqualTo("sb");
    assertThat(logs.get("n_enum")).isEqualTo("APPROVED");
    assertThat(logs.get("n_instant")).isEqualTo("2026-01-02T03:04:05.000006Z");
    assertThat(logs.get("n_ints")).isEqualTo(List.of(1L, 2L));
    assertThat(logs.get("n_doubles")).isEqualTo(List.of(0.13, 0.87));
    assertThat(logs.get("n_objects")).isEqualTo(List.of("a", 1L));
    assertThat(logs.get("n_unit")).isEqualTo("SECONDS");
    ctx.close();
    String json = ctx.sentJson().get(0);
    assertThat(json)
        .contains("\"n_null\":null")
        .contains("\"n_float\":0.1,")
        .contains("\"n_big\":12345678901234567890.5")
        .contains("\"n_map\":{\"a\":null,\"b\":[\"x\",2]}")
        .contains("\"n_doubles\":[0.13,0.87]");
  }

  @Test
  void copiesMutableValuesWhenLogged() {
    List<Integer> list = new ArrayList<>(List.of(1));
    int[] array = {1};
    Hindsight.log("list", list);
    Hindsight.log("array", array);
    list.add(2);
    array[0] = 99;
    assertThat(ctx.logs().get("list")).isEqualTo(List.of(1L));
    assertThat(ctx.logs().get("array")).isEqualTo(List.of(1L));
  }

  @Test
  void refusedValuesLeaveTheKeyFree() {
    assertThatThrownBy(() -> Hindsight.log("score", Double.NaN)).isInstanceOf(IllegalArgumentException.class);
    Hindsight.log("score", 0.5);
    assertThat(ctx.logs()).containsEntry("score", 0.5);
  }
}
