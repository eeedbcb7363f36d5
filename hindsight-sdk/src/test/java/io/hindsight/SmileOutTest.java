package io.hindsight;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.dataformat.smile.SmileFactory;
import com.fasterxml.jackson.dataformat.smile.SmileGenerator;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The SDK's Smile writer against Jackson's, the server's reader: the same bytes as Jackson's
 * generator for every kind of token, and the same tokens read back as the JSON writer's output for
 * random values.
 */
class SmileOutTest {
  private static final SmileFactory SMILE =
      SmileFactory.builder()
          .disable(SmileGenerator.Feature.CHECK_SHARED_NAMES)
          .disable(SmileGenerator.Feature.CHECK_SHARED_STRING_VALUES)
          .build();
  private static final JsonFactory JSON = new JsonFactory();

  @Test
  void writesTheBytesJacksonWritesForEachKindOfToken() throws IOException {
    List<Object> values = new ArrayList<>();
    for (long v : new long[] {0, 1, -1, 15, -16, 16, -17, 63, 64, 8191, 8192, -8193, Integer.MAX_VALUE,
        Integer.MIN_VALUE, Integer.MAX_VALUE + 1L, Integer.MIN_VALUE - 1L, Long.MAX_VALUE, Long.MIN_VALUE}) {
      values.add(v);
    }
    for (double d : new double[] {0.0, -0.0, 0.1, -2.5, 1e300, Double.MIN_VALUE, Double.MAX_VALUE, 3.0, 712.25}) {
      values.add(d);
    }
    for (String s : new String[] {"", "a", "x".repeat(32), "x".repeat(33), "x".repeat(64), "x".repeat(65),
        "x".repeat(300), "é", "é".repeat(16), "é".repeat(17), "é".repeat(32), "é".repeat(33), "€😀", "😀".repeat(40)}) {
      values.add(s);
    }
    values.add(new BigInteger("123456789012345678901234567890"));
    values.add(new BigInteger("-98765432109876543210987654321098765"));
    values.add(new BigDecimal("3.14159265358979323846264338327950288"));
    values.add(new BigDecimal("-1E+40"));
    values.add(new BigDecimal("0.000000000000000000000000001"));
    values.add(true);
    values.add(false);
    values.add(null);
    Map<String, Object> names = new LinkedHashMap<>();
    for (String k : new String[] {"", "k", "n".repeat(64), "n".repeat(65), "é".repeat(28), "é".repeat(29), "ключ", "😀"}) {
      names.put(k, 1L);
    }
    values.add(names);
    values.add(List.of(List.of(), Map.of(), List.of(1L, "two", 3.0)));

    for (Object v : values) {
      BodyOut ours = new SmileOut(16).beginBody().value(v).endBody();
      String shown = String.valueOf(v);
      assertThat(ours.toByteArray()).as("Smile of %s", shown.length() > 80 ? shown.substring(0, 80) + "..." : shown).isEqualTo(jackson(v));
    }
  }

  @Test
  void randomValuesReadBackAsTheSameTokensAsTheirJson() throws IOException {
    Random random = new Random(20261203);
    for (int i = 0; i < 2_000; i++) {
      Object v = randomValue(random, 0);
      byte[] smile = new SmileOut(64).beginBody().value(v).endBody().toByteArray();
      byte[] json = new JsonOut(64).beginBody().value(v).endBody().toByteArray();
      assertSameTokens(smile, json, v);
    }
  }

  @Test
  void aBodyWrittenAgainAsJsonIsByteForByteWhatTheJsonWriterWrites() {
    Random random = new Random(42);
    for (int i = 0; i < 2_000; i++) {
      List<Object> records = new ArrayList<>();
      for (int n = random.nextInt(4) + 1; n > 0; n--) {
        records.add(randomValue(random, 0));
      }
      records.add("x".repeat(100) + "\ud800 é");
      records.add(Map.of("n".repeat(70), "é".repeat(40), "", List.of()));
      BodyOut smile = new SmileOut(64).beginBody();
      BodyOut json = new JsonOut(64).beginBody();
      for (int r = 0; r < records.size(); r++) {
        if (r > 0) {
          smile.next();
          json.next();
        }
        smile.value(records.get(r));
        json.value(records.get(r));
      }
      byte[] expected = json.endBody().toByteArray();
      assertThat(new String(SmileBodies.toJson(smile.endBody().toByteArray()), java.nio.charset.StandardCharsets.UTF_8))
          .isEqualTo(new String(expected, java.nio.charset.StandardCharsets.UTF_8));
    }
  }

  @Test
  void longTextAndLoneSurrogatesReadBackAsTheirJsonDoes() throws IOException {
    // Jackson marks text longer than its buffer as Unicode whatever it holds; the SDK marks ASCII as ASCII.
    for (String s : new String[] {"x".repeat(100_000), "é".repeat(50_000), "a\ud800b", "\udfff", "x\ud83d"}) {
      assertSameTokens(
          new SmileOut(16).beginBody().string(s).endBody().toByteArray(),
          new JsonOut(16).beginBody().string(s).endBody().toByteArray(), s);
    }
  }

  @Test
  void recordsJoinIntoOneBodyAndSplitWhereTheyStartAndEnd() throws IOException {
    Random random = new Random(7);
    List<Object> records = new ArrayList<>();
    BodyOut out = new SmileOut(64).beginBody();
    for (int i = 0; i < 300; i++) {
      Map<String, Object> record = new LinkedHashMap<>();
      record.put("prediction_id", "p-" + i);
      record.put("data", randomValue(random, 1));
      records.add(record);
      if (i > 0) {
        out.next();
      }
      out.value(record);
    }
    byte[] body = out.endBody().toByteArray();
    BatchSplit.Elements e = SmileBodies.elements(body, records.size());
    for (int i = 0; i < records.size(); i++) {
      byte[] alone = new SmileOut(16).value(records.get(i)).toByteArray();
      assertThat(java.util.Arrays.copyOfRange(body, e.starts()[i], e.ends()[i])).as("record %d", i).isEqualTo(alone);
    }
  }

  /** Both bodies give the same token stream: names, strings, numbers by value, structure. */
  private static void assertSameTokens(byte[] smile, byte[] json, Object v) throws IOException {
    try (JsonParser s = SMILE.createParser(smile); JsonParser j = JSON.createParser(json)) {
      while (true) {
        JsonToken a = s.nextToken();
        JsonToken b = j.nextToken();
        if (a == JsonToken.VALUE_NUMBER_INT && b == JsonToken.VALUE_NUMBER_FLOAT
            || a == JsonToken.VALUE_NUMBER_FLOAT && b == JsonToken.VALUE_NUMBER_INT) {
          // a BigDecimal of scale 0 or less: JSON prints it as an integer
          assertThat(s.getDecimalValue().compareTo(j.getDecimalValue())).as("%s", v).isZero();
          continue;
        }
        assertThat(a).as("token of %s", v).isEqualTo(b);
        if (a == null) {
          return;
        }
        switch (a) {
          case FIELD_NAME, VALUE_STRING -> assertThat(s.getText()).as("%s", v).isEqualTo(j.getText());
          case VALUE_NUMBER_INT -> assertThat(s.getBigIntegerValue()).as("%s", v).isEqualTo(j.getBigIntegerValue());
          case VALUE_NUMBER_FLOAT -> {
            if (s.getNumberType() == JsonParser.NumberType.BIG_DECIMAL) {
              assertThat(s.getDecimalValue().compareTo(j.getDecimalValue())).as("%s", v).isZero();
            } else {
              assertThat(s.getDoubleValue()).as("%s", v).isEqualTo(j.getDoubleValue());
            }
          }
          default -> {}
        }
      }
    }
  }

  private static Object randomValue(Random r, int depth) {
    int kind = r.nextInt(depth > 3 ? 7 : 9);
    switch (kind) {
      case 0:
        return r.nextBoolean() ? null : r.nextBoolean();
      case 1:
        return switch (r.nextInt(4)) {
          case 0 -> (long) (r.nextInt(40) - 20);
          case 1 -> (long) r.nextInt();
          case 2 -> r.nextLong();
          default -> r.nextLong() >> r.nextInt(64);
        };
      case 2: {
        double d = Double.longBitsToDouble(r.nextLong());
        return Double.isFinite(d) ? d : r.nextGaussian() * 1000;
      }
      case 3:
        return Math.round(r.nextGaussian() * 1e6) / 1e3;
      case 4:
        return randomString(r);
      case 5:
        return new BigInteger(r.nextInt(200) + 1, r).multiply(BigInteger.valueOf(r.nextBoolean() ? 1 : -1));
      case 6:
        return new BigDecimal(new BigInteger(r.nextInt(150) + 1, r), r.nextInt(80) - 40);
      case 7: {
        Map<String, Object> m = new LinkedHashMap<>();
        for (int i = r.nextInt(6); i > 0; i--) {
          m.put(randomString(r), randomValue(r, depth + 1));
        }
        return m;
      }
      default: {
        List<Object> l = new ArrayList<>();
        for (int i = r.nextInt(6); i > 0; i--) {
          l.add(randomValue(r, depth + 1));
        }
        return l;
      }
    }
  }

  private static String randomString(Random r) {
    int n = r.nextInt(4) == 0 ? r.nextInt(300) : r.nextInt(20);
    StringBuilder sb = new StringBuilder(n);
    for (int i = 0; i < n; i++) {
      switch (r.nextInt(5)) {
        case 0 -> sb.append((char) (0x20 + r.nextInt(0x5F)));
        case 1 -> sb.append((char) r.nextInt(0x20));
        case 2 -> sb.append((char) (0x80 + r.nextInt(0x780)));
        case 3 -> sb.append((char) (0x800 + r.nextInt(0xD000)));
        default -> sb.appendCodePoint(0x10000 + r.nextInt(0xFFFFF));
      }
    }
    return sb.toString();
  }

  /** Jackson's bytes for the same value, written token by token as {@link BodyOut#value} writes it. */
  private static byte[] jackson(Object v) throws IOException {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (JsonGenerator g = SMILE.createGenerator(bytes)) {
      g.writeStartArray();
      write(g, v);
      g.writeEndArray();
    }
    return bytes.toByteArray();
  }

  private static void write(JsonGenerator g, Object v) throws IOException {
    if (v == null) {
      g.writeNull();
    } else if (v instanceof Long l) {
      if (l == l.intValue()) {
        g.writeNumber(l.intValue());
      } else {
        g.writeNumber(l);
      }
    } else if (v instanceof Double d) {
      g.writeNumber(d);
    } else if (v instanceof String s) {
      g.writeString(s);
    } else if (v instanceof BigInteger b) {
      g.writeNumber(b);
    } else if (v instanceof BigDecimal b) {
      g.writeNumber(b);
    } else if (v instanceof Boolean b) {
      g.writeBoolean(b);
    } else if (v instanceof Map<?, ?> m) {
      g.writeStartObject();
      for (Map.Entry<?, ?> e : m.entrySet()) {
        g.writeFieldName((String) e.getKey());
        write(g, e.getValue());
      }
      g.writeEndObject();
    } else {
      g.writeStartArray();
      for (Object o : (List<?>) v) {
        write(g, o);
      }
      g.writeEndArray();
    }
  }
}
