package io.hindsight.server.ingest;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class RecordFieldsTest {
  @Test
  void keepsMembersInOrderFindsEachAndRefusesASecondOfOneName() {
    RecordFields fields = new RecordFields(4);
    List<String> names = new ArrayList<>();
    for (int i = 0; i < 1_000; i++) {
      // new String: equal names are not always the same object (the parser's are, a map's need not be)
      String name = new String("key_" + i);
      names.add(name);
      assertThat(fields.add(name, (long) i)).isTrue();
    }
    assertThat(fields.size()).isEqualTo(1_000);
    for (int i = 0; i < 1_000; i++) {
      assertThat(fields.name(i)).isEqualTo(names.get(i));
      assertThat(fields.value(i)).isEqualTo((long) i);
      assertThat(fields.get(new String("key_" + i))).isEqualTo((long) i);
      assertThat(fields.add(new String("key_" + i), "again")).isFalse();
    }
    assertThat(fields.size()).isEqualTo(1_000);
    assertThat(fields.get("key_1000")).isNull();
    assertThat(fields.get("")).isNull();
  }

  @Test
  void namesWithCollidingHashesAreTwoMembers() {
    // "Aa" and "BB" have the same String hash code.
    RecordFields fields = new RecordFields(4);
    assertThat(fields.add("Aa", 1L)).isTrue();
    assertThat(fields.add("BB", 2L)).isTrue();
    assertThat(fields.get("Aa")).isEqualTo(1L);
    assertThat(fields.get("BB")).isEqualTo(2L);
    assertThat(fields.add("BB", 3L)).isFalse();
  }

  @Test
  void becomesAnOrderedMapWithNestedMembersAsMapsToo() {
    RecordFields tags = new RecordFields(2);
    tags.add("env", "prod");
    RecordFields record = RecordFields.of(Map.of("ts", 5L));
    record.add("tags", tags);
    record.add("none", null);
    Map<String, Object> expected = new LinkedHashMap<>();
    expected.put("ts", 5L);
    expected.put("tags", Map.of("env", "prod"));
    expected.put("none", null);
    assertThat(record.toMap()).containsExactlyEntriesOf(expected);
  }
}
