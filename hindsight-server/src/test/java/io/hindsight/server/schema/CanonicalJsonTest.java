package io.hindsight.server.schema;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.erdtman.jcs.JsonCanonicalizer;
import org.junit.jupiter.api.Test;

/** RFC 8785 as this store writes it, against the RFC authors' library as the reference. */
class CanonicalJsonTest {
  @Test
  void canonicalJsonFollowsRfc8785() throws Exception {
    // RFC 8785 §3.2.2 / appendix examples: sorted keys, ES6 numbers, minimal escapes.
    assertThat(new String(CanonicalJson.ofText(
        "{\"numbers\": [333333333.33333329, 1E30, 4.50, 2e-3, 0.000000000000000000000000001],"
            + " \"string\": \"\\u20ac$\\u000F\\u000aA'\\u0042\\u0022\\u005c\\\\\\\"\\/\", \"literals\": [null, true, false]}"),
        StandardCharsets.UTF_8))
        .isEqualTo("{\"literals\":[null,true,false],\"numbers\":[333333333.3333333,1e+30,4.5,0.002,1e-27],"
            + "\"string\":\"€$\\u000f\\nA'B\\\"\\\\\\\\\\\"/\"}");
    assertThat(new String(CanonicalJson.of(java.util.Map.of("b", 712L, "a", 712.0, "é", List.of("x"))), StandardCharsets.UTF_8))
        .isEqualTo("{\"a\":712,\"b\":712,\"é\":[\"x\"]}");
  }

  @Test
  void canonicalJsonOfValuesIsWhatTheReferenceLibraryMakesOfTheirText() throws Exception {
    SplittableRandom random = new java.util.SplittableRandom(1);
    com.fasterxml.jackson.databind.ObjectMapper json = new com.fasterxml.jackson.databind.ObjectMapper();
    for (int i = 0; i < 2000; i++) {
      // The library takes an object or array at the top.
      Object value = java.util.Arrays.asList(randomValue(random, 0));
      assertThat(new String(CanonicalJson.of(value), StandardCharsets.UTF_8))
          .as("value %s", value)
          .isEqualTo(new JsonCanonicalizer(json.writeValueAsString(value)).getEncodedString());
    }
  }

  @Test
  void canonicalNumbersAreWhatTheReferenceLibraryWritesForEveryKindOfDouble() throws Exception {
    SplittableRandom random = new java.util.SplittableRandom(3);
    for (int i = 0; i < 200_000; i++) {
      double d =
          switch (i % 4) {
            case 0 -> Double.longBitsToDouble(random.nextLong()); // any bit pattern: subnormals, huge, tiny
            case 1 -> random.nextDouble() * Math.pow(10, random.nextInt(-30, 30));
            case 2 -> Math.round(random.nextDouble() * 1e6) / 1e3; // prices and scores
            default -> (float) random.nextDouble(); // floats widened to double
          };
      if (!Double.isFinite(d)) {
        continue;
      }
      assertThat(new String(CanonicalJson.of(List.of(d)), StandardCharsets.UTF_8))
          .as("%s (bits %x)", d, Double.doubleToLongBits(d))
          .isEqualTo("[" + org.erdtman.jcs.NumberToJSON.serializeNumber(d) + "]");
    }
    for (double d : new double[] {Double.MIN_VALUE, 2 * Double.MIN_VALUE, Double.MIN_NORMAL, Double.MAX_VALUE, 1e21, 1e-6, 1e-7, 9.5e-7, 123e20, 1e23, 5e-324}) {
      assertThat(new String(CanonicalJson.of(List.of(d)), StandardCharsets.UTF_8)).isEqualTo("[" + org.erdtman.jcs.NumberToJSON.serializeNumber(d) + "]");
    }
  }

  private static Object randomValue(java.util.SplittableRandom r, int depth) {
    switch (r.nextInt(depth > 3 ? 6 : 8)) {
      case 0:
        return null;
      case 1:
        return r.nextBoolean();
      case 2:
        long[] longs = {0, -1, 712, 1L << 53, (1L << 53) + 1, Long.MAX_VALUE, Long.MIN_VALUE, r.nextLong()};
        return longs[r.nextInt(longs.length)];
      case 3:
        double[] doubles = {0.0, -0.0, 0.1, 1e21, 1e-7, 123456789.125, 5e-324, Double.MAX_VALUE, 1e20, 712.0, -3.5e-5, r.nextDouble() * 1e6};
        return doubles[r.nextInt(doubles.length)];
      case 4:
      case 5:
        String[] strings = {"", "plain", "é日本\uD83D\uDE00", "quote\" \\ back", "ctl\u0001\u001f\n\t\b\f\r", "\u2028\u2029", "\u007f\u0080", "😀"};
        return strings[r.nextInt(strings.length)];
      case 6:
        java.util.Map<String, Object> m = new java.util.LinkedHashMap<>();
        String[] keys = {"b", "a", "A", "é", "\u20ac", "😀", "\r", "aa", "ab", "1", "10", "2"};
        for (int i = r.nextInt(5); i > 0; i--) {
          m.put(keys[r.nextInt(keys.length)], randomValue(r, depth + 1));
        }
        return m;
      default:
        List<Object> l = new ArrayList<>();
        for (int i = r.nextInt(4); i > 0; i--) {
          l.add(randomValue(r, depth + 1));
        }
        return l;
    }
  }


  @Test
  void numberTokensAreWrittenAsTheReferenceWritesTheirValue() throws Exception {
    SplittableRandom random = new SplittableRandom(5);
    List<String> tokens = new ArrayList<>(List.of(
        "0", "-0", "0.0", "-0.0", "0.000", "1.0", "1.50", "-1.50", "10", "100", "120.000", "0.000001", "0.0000001",
        "0.00000123", "9007199254740992", "9007199254740993", "123456789012345", "1234567890123456",
        "100000000000000000000", "1000000000000000000000", "10000000000000000.0", "999999999999999999999.0",
        "1e21", "1E-7", "2.5e3", "0.1", "0.30000000000000004", "123456789.125", "-3.5e-5", "4.50"));
    for (int i = 0; i < 100_000; i++) {
      StringBuilder t = new StringBuilder();
      if (random.nextBoolean()) {
        t.append('-');
      }
      int intDigits = random.nextInt(1, 24);
      t.append(intDigits == 1 ? random.nextInt(10) : random.nextInt(1, 10));
      for (int d = 1; d < intDigits; d++) {
        t.append(random.nextInt(4) == 0 ? 0 : random.nextInt(10));
      }
      if (random.nextBoolean()) {
        t.append('.');
        int zeros = random.nextInt(4) == 0 ? random.nextInt(9) : 0;
        t.append("0".repeat(zeros));
        for (int d = random.nextInt(1, 20); d > 0; d--) {
          t.append(random.nextInt(5) == 0 ? 0 : random.nextInt(10));
        }
      }
      String token = t.toString();
      if (random.nextInt(8) == 0) {
        token = token.replaceFirst("^(-?)\\d+", "$10");
      }
      tokens.add(token);
    }
    for (String token : tokens) {
      StringBuilder out = new StringBuilder();
      CanonicalJson.number(out, token);
      assertThat(out.toString()).as(token).isEqualTo(new JsonCanonicalizer("[" + token + "]").getEncodedString().replaceAll("^\\[|\\]$", ""));
    }
  }
}
