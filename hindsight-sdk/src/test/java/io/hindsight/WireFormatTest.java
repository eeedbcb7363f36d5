package io.hindsight;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Map;
import org.junit.jupiter.api.Test;

class WireFormatTest {
  @Test
  void formatsTimestampsAsRfc3339WithMicroseconds() {
    assertThat(Timestamps.rfc3339(Timestamps.micros(Instant.parse("2026-11-22T10:15:00.123456Z"))))
        .isEqualTo("2026-11-22T10:15:00.123456Z");
    assertThat(Timestamps.rfc3339(0)).isEqualTo("1970-01-01T00:00:00.000000Z");
    assertThat(Timestamps.rfc3339(Timestamps.micros(Instant.parse("2024-02-29T23:59:59.999999Z"))))
        .isEqualTo("2024-02-29T23:59:59.999999Z");
    assertThat(Timestamps.rfc3339(-1)).isEqualTo("1969-12-31T23:59:59.999999Z");
  }

  @Test
  void escapesStringsAndEncodesUtf8() {
    String s = "quote\" backslash\\ newline\n tab\t ctrl\u0001 é € 😀 lone\ud800";
    String json = new String(new JsonOut(8).string(s).toByteArray(), StandardCharsets.UTF_8);
    assertThat(json).isEqualTo("\"quote\\\" backslash\\\\ newline\\n tab\\t ctrl\\u0001 é € 😀 lone\\ud800\"");
    assertThat(JsonIn.parse(json)).isEqualTo(s);
  }

  @Test
  void writesNumbersSoTheServerTypesThemRight() {
    assertThat(text(new JsonOut(8).number(3.0))).isEqualTo("3.0");
    assertThat(text(new JsonOut(8).number(0.1))).isEqualTo("0.1");
    assertThat(text(new JsonOut(8).number(1e-7))).isEqualTo("1.0E-7");
    assertThat(JsonIn.parse("1.0E-7")).isEqualTo(1e-7);
    assertThat(text(new JsonOut(8).number(-42L))).isEqualTo("-42");
  }

  @Test
  void roundTripsNestedValues() {
    Object v = Values.snapshot("k", Map.of("a", java.util.List.of(1, 2.5, true, "x")));
    assertThat(JsonIn.parse(text(new JsonOut(8).value(v)))).isEqualTo(Map.of("a", java.util.List.of(1L, 2.5, true, "x")));
  }

  private static String text(BodyOut out) {
    return new String(out.toByteArray(), StandardCharsets.UTF_8);
  }
}
