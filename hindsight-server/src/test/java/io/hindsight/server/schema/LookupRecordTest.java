package io.hindsight.server.schema;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;
import org.erdtman.jcs.JsonCanonicalizer;
import org.junit.jupiter.api.Test;

/** The record a lookup returns and the canonical text an audited record's leaf hashes. */
class LookupRecordTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  @Test
  void theCanonicalTextOfARowIsTheCanonicalFormOfItsLookupRecord() throws Exception {
    SplittableRandom random = new SplittableRandom(17);
    for (int i = 0; i < 2000; i++) {
      Row row = randomRow(random);
      String expected = new JsonCanonicalizer(JSON.writeValueAsString(LookupRecord.of(row, JSON))).getEncodedString();
      assertThat(new String(LookupRecord.canonical(row, JSON), StandardCharsets.UTF_8)).as("%s", row).isEqualTo(expected);
    }
  }

  private static Row randomRow(SplittableRandom r) {
    Table table = Table.values()[r.nextInt(Table.values().length)];
    Map<String, Object> values = new LinkedHashMap<>();
    values.put("prediction_id", "p-" + r.nextInt(1000));
    if (r.nextBoolean()) {
      values.put("model_version", r.nextBoolean() ? "v1" : null);
    }
    if (r.nextBoolean()) {
      Map<String, String> tags = r.nextBoolean() ? new TreeMap<>() : new LinkedHashMap<>();
      tags.put("segment", "high\"value");
      tags.put("Region", "eu\u20ac");
      values.put("tags", tags);
    }
    if (r.nextInt(4) == 0) {
      values.put("_conflicts", new JsonText("{\"b\":1.50,\"a\":[true,null]}"));
    }
    values.put("endpoint", "ignored-as-a-column");
    values.put("date", "2026-11-30");
    String[] keys = {"amount", "Zeta", "é", "note", "features", "probabilities", "decision", "ts_local", "n"};
    for (String k : keys) {
      switch (r.nextInt(8)) {
        case 0 -> values.put(k, null);
        case 1 -> values.put(k, r.nextDouble() * Math.pow(10, r.nextInt(-9, 23)));
        case 2 -> values.put(k, r.nextLong());
        case 3 -> values.put(k, r.nextBoolean());
        case 4 -> values.put(k, "text\n\u0001 \"q\" \\ 😀");
        case 5 -> values.put(k, new JsonText("{\"z\":[1,2.0,-0.0],\"a\":{\"y\":\"x\"}}"));
        case 6 -> values.put(k, new JsonText("{\"a\":{\"y\":\"x\"},\"z\":[1,2,0]}", true));
        default -> { }
      }
    }
    return new Row(table, "fraud-model", r.nextLong(0, 4_000_000_000_000_000L), values);
  }

  @Test
  void nullsHiddenColumnsAndTheTimestampAreShapedAsTheLookupShowsThem() throws Exception {
    Map<String, Object> values = new LinkedHashMap<>();
    values.put("prediction_id", "p1");
    values.put("model_version", null);
    values.put("date", "2026-11-30");
    values.put("amount", 12.5);
    values.put("features", new JsonText("{\"b\":1,\"a\":2}"));
    Row row = new Row(Table.PREDICTIONS, "e", 1_764_460_800_000_001L, values);
    assertThat(new String(LookupRecord.canonical(row, JSON), StandardCharsets.UTF_8))
        .isEqualTo("{\"data\":{\"amount\":12.5,\"features\":{\"a\":2,\"b\":1}},\"endpoint\":\"e\","
            + "\"prediction_id\":\"p1\",\"ts\":\"2025-11-30T00:00:00.000001Z\"}");
    assertThat(List.copyOf(LookupRecord.of(row, JSON).keySet())).containsExactly("endpoint", "prediction_id", "ts", "data");
  }
}
