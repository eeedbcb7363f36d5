package io.hindsight.server.schema;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

/** The type rules of a learnt schema (DESIGN §6), on the schema alone. */
class SchemaRulesTest {
  private final EndpointSchema schema = new EndpointSchema(Table.PREDICTIONS, "e", List.of(), false);

  private Column column(String key, Object firstValue) {
    schema.addIfAbsent(key, ColumnType.of(firstValue), 0);
    return schema.column(key);
  }

  @Test
  void aValueOfTheColumnsTypeIsStoredAsItIs() {
    assertThat(schema.fit(column("s", "a"), "b")).isEqualTo("b");
    assertThat(schema.fit(column("b", true), false)).isEqualTo(false);
    assertThat(schema.fit(column("j", new JsonText("[1]")), new JsonText("{}"))).isEqualTo(new JsonText("{}"));
  }

  @Test
  void aBigintInADoubleColumnBecomesADouble() {
    Object fitted = schema.fit(column("x", 0.5), 3L);
    assertThat(fitted).isInstanceOf(Double.class).isEqualTo(3.0);
  }

  @Test
  void aDoubleWidensABigintColumnForGoodAndMarksTheFilesForRewrite() {
    Column n = column("n", 1L);
    assertThat(schema.fit(n, 2.5)).isEqualTo(2.5);
    assertThat(schema.column("n").type()).isEqualTo(ColumnType.DOUBLE);
    assertThat(schema.rewritePending()).isTrue();
    assertThat(schema.fit(schema.column("N"), 7L)).isEqualTo(7.0);
  }

  @Test
  void anyOtherTypeContradictsTheColumnAndChangesNothing() {
    Column n = column("n", 1L);
    assertThat(schema.fit(n, "seven")).isSameAs(EndpointSchema.CONTRADICTS);
    assertThat(schema.fit(n, true)).isSameAs(EndpointSchema.CONTRADICTS);
    assertThat(schema.fit(column("s", "a"), 1L)).isSameAs(EndpointSchema.CONTRADICTS);
    assertThat(schema.fit(column("d", 1.5), "x")).isSameAs(EndpointSchema.CONTRADICTS);
    assertThat(schema.column("n").type()).isEqualTo(ColumnType.BIGINT);
    assertThat(schema.rewritePending()).isFalse();
  }
}
