package io.hindsight.server.ingest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.hindsight.server.ApiException;
import io.hindsight.server.schema.JsonText;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** How a request body becomes records: value types, nesting, the per-record limits and the errors. */
class BodyReaderTest {
  /** Body 1 MiB, record 200 bytes, depth 4, 8 keys. */
  private final BodyReader reader = new BodyReader(new IngestLimits(1 << 20, 200, 4, 8));

  private List<ParsedRecord> json(String body) throws IOException {
    return reader.readJson(new ByteArrayInputStream(body.getBytes(StandardCharsets.UTF_8)));
  }

  private List<ParsedRecord> ndjson(String body) throws IOException {
    return reader.readNdjson(new ByteArrayInputStream(body.getBytes(StandardCharsets.UTF_8)));
  }

  private List<ParsedRecord> ndjson(byte[] body) throws IOException {
    return reader.readNdjson(new ByteArrayInputStream(body));
  }

  private ParsedRecord one(String body) throws IOException {
    List<ParsedRecord> records = json(body);
    assertThat(records).hasSize(1);
    return records.get(0);
  }

  @Test
  void readsEachJsonTypeAsItsPlainJavaValue() throws IOException {
    ParsedRecord r = one("{\"s\":\"x\",\"i\":42,\"f\":1.5,\"t\":true,\"n\":false,\"z\":null}");
    assertThat(r.error()).isNull();
    Map<String, Object> expected = new java.util.LinkedHashMap<>();
    expected.put("s", "x");
    expected.put("i", 42L);
    expected.put("f", 1.5);
    expected.put("t", true);
    expected.put("n", false);
    expected.put("z", null);
    assertThat(r.fields().toMap()).containsExactlyEntriesOf(expected);
  }

  @Test
  void anIntegerBeyondLongRangeBecomesADouble() throws IOException {
    assertThat(one("{\"i\":123456789012345678901234567890}").fields().toMap().get("i")).isEqualTo(1.2345678901234568e29);
  }

  @Test
  void keepsTheRecordsOwnFieldsAsMapsAndListsAndDeeperValuesAsJsonText() throws IOException {
    ParsedRecord r = one("{\"data\":{\"a\":[1,2.5,\"x\",true,false,null],\"o\":{\"k\":{\"m\":1e3}}},\"l\":[1,[2]]}");
    assertThat(r.error()).isNull();
    @SuppressWarnings("unchecked")
    Map<String, Object> data = (Map<String, Object>) r.fields().toMap().get("data");
    assertThat(data.get("a")).isEqualTo(new JsonText("[1,2.5,\"x\",true,false,null]"));
    assertThat(data.get("o")).isEqualTo(new JsonText("{\"k\":{\"m\":1e3}}"));
    assertThat(r.fields().toMap().get("l")).isEqualTo(List.of(1L, new JsonText("[2]")));
    ParsedRecord siblings = one("{\"data\":{\"a\":[[1],{\"b\":2},{},3]}}");
    assertThat(((Map<?, ?>) siblings.fields().toMap().get("data")).get("a")).isEqualTo(new JsonText("[[1],{\"b\":2},{},3]"));
  }

  @Test
  void aRecordAtTheDepthLimitIsReadAndOneLevelDeeperIsRejected() throws IOException {
    // The record is level 1; depth 4 allows three nested levels below it.
    assertThat(one("{\"a\":{\"b\":{\"c\":{}}}}").error()).isNull();
    assertThat(one("{\"a\":[[[]]]}").error()).isNull();
    ParsedRecord deep = one("{\"a\":{\"b\":{\"c\":{\"d\":{}}}}}");
    assertThat(deep.reason()).isEqualTo("too_deep");
    assertThat(deep.error()).isEqualTo("the record is nested deeper than 4 levels (ingest.max-depth); flatten it");
    assertThat(one("{\"a\":[[[[1]]]]}").reason()).isEqualTo("too_deep");
  }

  @Test
  void aTooDeepValueIsSkippedSoTheNextRecordsAreStillRead() throws IOException {
    List<ParsedRecord> records = json("[{\"a\":{\"b\":{\"c\":{\"d\":[1,{\"e\":2}]}}}},{\"ok\":1}]");
    assertThat(records).extracting(ParsedRecord::reason).containsExactly("too_deep", null);
    assertThat(records.get(1).fields().toMap()).containsExactly(Map.entry("ok", 1L));
    assertThat(records).extracting(ParsedRecord::index).containsExactly(0, 1);
  }

  @Test
  void aLineBrokenInsideANestedValueLeavesNothingInTheNextLinesValues() throws IOException {
    List<ParsedRecord> records = ndjson("{\"data\":{\"y\":[1,\"x\":1}}\n{\"data\":{\"y\":[2,{\"z\":null}],\"w\":{}}}");
    assertThat(records).extracting(ParsedRecord::reason).containsExactly("invalid_json", null);
    assertThat(records.get(1).fields().toMap())
        .isEqualTo(Map.of("data", Map.of("y", new JsonText("[2,{\"z\":null}]"), "w", new JsonText("{}"))));
  }

  @Test
  void aRecordAtTheSizeLimitIsReadAndOneByteMoreIsRejected() throws IOException {
    String exact = "{\"s\":\"" + "x".repeat(200 - 8) + "\"}";
    assertThat(exact).hasSize(200);
    assertThat(one(exact).error()).isNull();
    ParsedRecord large = one("{\"s\":\"" + "x".repeat(200 - 7) + "\"}");
    assertThat(large.reason()).isEqualTo("too_large");
    assertThat(large.error())
        .isEqualTo("the record is larger than the limit of 200 bytes (ingest.max-record-bytes); split it or log large payloads by reference");
  }

  @Test
  void theSizeOfARecordInAnArrayIsItsOwnNotItsOffsetInTheBody() throws IOException {
    String record = "{\"s\":\"" + "x".repeat(150) + "\"}";
    assertThat(json("[" + record + "," + record + "]")).extracting(ParsedRecord::error).containsExactly(null, null);
  }

  @Test
  void aDuplicateKeyRejectsTheRecordAtEveryLevel() throws IOException {
    ParsedRecord top = one("{\"a\":1,\"a\":2}");
    assertThat(top.reason()).isEqualTo("duplicate_key");
    assertThat(top.error()).isEqualTo("key 'a' appears twice in one object; send it once");
    assertThat(one("{\"data\":{\"x\":{\"k\":1,\"k\":2}}}").reason()).isEqualTo("duplicate_key");
    assertThat(one("{\"data\":{\"x\":{\"k\":1,\"j\":2}}}").error()).isNull();
  }

  @Test
  void onlyTheFirstProblemOfARecordIsReported() throws IOException {
    ParsedRecord r = one("{\"a\":1,\"a\":2,\"b\":1e999}");
    assertThat(r.reason()).isEqualTo("duplicate_key");
  }

  @Test
  void aNumberBeyondDoubleRangeRejectsTheRecordWithAShortenedNumber() throws IOException {
    ParsedRecord r = one("{\"x\":1e999}");
    assertThat(r.reason()).isEqualTo("number_range");
    assertThat(r.error()).isEqualTo("the number 1e999 is beyond the range of a double; send it as a string");
    String long40 = "1" + "0".repeat(35) + "e999";
    assertThat(one("{\"x\":" + long40 + "}").error()).contains("the number " + long40 + " is beyond");
    String long41 = "1" + "0".repeat(36) + "e999";
    ParsedRecord nested = one("{\"data\":{\"l\":[" + long41 + "]}}");
    assertThat(nested.reason()).isEqualTo("number_range");
    assertThat(nested.error()).contains("the number 1" + "0".repeat(36) + "... is beyond");
    assertThat(one("{\"data\":{\"l\":[-1E999]}}").reason()).isEqualTo("number_range");
    assertThat(one("{\"data\":{\"l\":{\"k\":2e999}}}").reason()).isEqualTo("number_range");
    ParsedRecord fine = one("{\"data\":{\"l\":[1e300,1E3,-0.5]}}");
    assertThat(fine.error()).isNull();
    assertThat(((Map<?, ?>) fine.fields().toMap().get("data")).get("l")).isEqualTo(new JsonText("[1e300,1E3,-0.5]"));
  }

  @Test
  void aNestedNumberOfHundredsOfDigitsIsCheckedForRange() throws IOException {
    BodyReader wide = new BodyReader(new IngestLimits(1 << 20, 4096, 4, 8));
    String fits = "9".repeat(301);
    String beyond = "9".repeat(310);
    List<ParsedRecord> records =
        wide.readJson(new ByteArrayInputStream(("[{\"data\":{\"l\":[" + fits + "]}},{\"data\":{\"l\":[" + beyond + "]}}]")
            .getBytes(StandardCharsets.UTF_8)));
    assertThat(records).extracting(ParsedRecord::reason).containsExactly(null, "number_range");
    assertThat(((Map<?, ?>) records.get(0).fields().toMap().get("data")).get("l")).isEqualTo(new JsonText("[" + fits + "]"));
  }

  @Test
  void anAuditedEndpointsNestedValuesAreReadStraightIntoTheirCanonicalText() throws Exception {
    BodyReader wide = new BodyReader(new IngestLimits(1 << 20, 1 << 16, 12, 1000));
    java.util.SplittableRandom random = new java.util.SplittableRandom(11);
    for (int i = 0; i < 3000; i++) {
      String nested = randomNested(random, 0);
      List<ParsedRecord> records = canonical(wide, "{\"data\":{\"v\":" + nested + "}}");
      ParsedRecord r = records.get(0);
      assertThat(r.error()).as(nested).isNull();
      JsonText text = (JsonText) ((Map<?, ?>) r.fields().toMap().get("data")).get("v");
      assertThat(text.canonical()).isTrue();
      assertThat(text.json()).as(nested).isEqualTo(new org.erdtman.jcs.JsonCanonicalizer(nested).getEncodedString());
      // The plain reading of the same body holds the same value: put in canonical form, the same text.
      Object plain = ((Map<?, ?>) wide.readJson(
          new ByteArrayInputStream(("{\"data\":{\"v\":" + nested + "}}").getBytes(StandardCharsets.UTF_8))).get(0).fields().toMap().get("data")).get("v");
      assertThat(text.json()).isEqualTo(new org.erdtman.jcs.JsonCanonicalizer(((JsonText) plain).json()).getEncodedString());
    }
  }

  @Test
  void theCanonicalReadingFindsTheSameProblemsAsThePlainOne() throws IOException {
    for (String body : List.of(
        "{\"data\":{\"x\":{\"k\":1,\"j\":2,\"k\":3}}}", "{\"data\":{\"x\":{\"a\":1,\"a\":1}}}",
        "{\"data\":{\"x\":[\"a\\ud800\"]}}", "{\"data\":{\"x\":[1e999]}}", "{\"data\":{\"x\":[[[[[1]]]]]}}",
        "{\"data\":{\"x\":{\"b\":[1,{\"z\":null,\"y\":true}],\"a\":-0.0}}}")) {
      ParsedRecord plain = one(body);
      ParsedRecord canonical = canonical(reader, body).get(0);
      assertThat(canonical.reason()).as(body).isEqualTo(plain.reason());
      assertThat(canonical.error()).as(body).isEqualTo(plain.error());
    }
    ParsedRecord sorted = canonical(new BodyReader(new IngestLimits(1 << 20, 200, 8, 8)), "{\"data\":{\"x\":{\"b\":[1.50,{\"z\":null,\"y\":true}],\"a\":-0.0}}}").get(0);
    assertThat(((Map<?, ?>) sorted.fields().toMap().get("data")).get("x")).isEqualTo(new JsonText("{\"a\":0,\"b\":[1.5,{\"y\":true,\"z\":null}]}", true));
  }

  private static List<ParsedRecord> canonical(BodyReader reader, String body) throws IOException {
    List<ParsedRecord> out = new java.util.ArrayList<>();
    reader.readJson(new ByteArrayInputStream(body.getBytes(StandardCharsets.UTF_8)), out::add, true);
    return out;
  }

  /** JSON text of a random array or object, keys in no order, numbers written in many ways. */
  private static String randomNested(java.util.SplittableRandom r, int depth) {
    StringBuilder out = new StringBuilder();
    if (r.nextBoolean()) {
      out.append('[');
      for (int i = r.nextInt(5); i > 0; i--) {
        out.append(randomValue(r, depth)).append(i > 1 ? "," : "");
      }
      return out.append(']').toString();
    }
    String[] keys = {"b", "a", "A", "\\u00e9", "\u20ac", "\ud83d\ude00", "\\r", "aa", "ab", "1", "10", "2", "\\\"q"};
    List<String> chosen = new java.util.ArrayList<>(List.of(keys));
    java.util.Collections.shuffle(chosen, new java.util.Random(r.nextLong()));
    out.append('{');
    int n = r.nextInt(6);
    for (int i = 0; i < n; i++) {
      out.append(i > 0 ? "," : "").append('"').append(chosen.get(i)).append("\":").append(randomValue(r, depth));
    }
    return out.append('}').toString();
  }

  private static String randomValue(java.util.SplittableRandom r, int depth) {
    String[] scalars = {"null", "true", "false", "0", "-0", "0.0", "1.50", "-3.5e-5", "1E21", "1e-7", "123456789.125",
        "9007199254740993", "712", "0.1", "2.5E+3", "\"\"", "\"plain\"", "\"\\u0001\\n\\t\\\"\\\\\\/\"",
        "\"\u00e9\u65e5\ud83d\ude00\"", "\"\\u2028\\u007f\"", String.valueOf(r.nextDouble() * 1000)};
    return depth < 3 && r.nextInt(3) == 0 ? randomNested(r, depth + 1) : scalars[r.nextInt(scalars.length)];
  }

  @Test
  void anUnpairedSurrogateInAStringRejectsTheRecord() throws IOException {
    assertThat(one("{\"s\":\"\\ud800\"}").reason()).isEqualTo("invalid_unicode");
    assertThat(one("{\"data\":{\"l\":[\"a\\ud800\"]}}").reason()).isEqualTo("invalid_unicode");
    // In a key Jackson itself refuses the escape, and with it the body.
    assertThatThrownBy(() -> json("{\"\\ud800x\":1}")).isInstanceOf(ApiException.class)
        .hasMessageStartingWith("the body is not valid JSON: ");
    assertThat(one("{\"s\":\"\\ud83d\\ude00\"}").fields().toMap().get("s")).isEqualTo("😀");
  }

  @Test
  void findsLoneSurrogatesAnywhereInAString() {
    assertThat(BodyReader.hasLoneSurrogate("ok 😀")).isFalse();
    assertThat(BodyReader.hasLoneSurrogate("\ud83d")).isTrue();
    assertThat(BodyReader.hasLoneSurrogate("x\ud83dy")).isTrue();
    assertThat(BodyReader.hasLoneSurrogate("\ude00x")).isTrue();
    assertThat(BodyReader.hasLoneSurrogate("😀\ude00")).isTrue();
  }

  @Test
  void anElementThatIsNotAnObjectIsRejectedByWhatItIs() throws IOException {
    List<ParsedRecord> records = json("[[1,{}],\"s\",null,true,false,3,{\"ok\":1}]");
    assertThat(records).extracting(ParsedRecord::error)
        .containsExactly(
            "each record must be a JSON object, but this one is an array",
            "each record must be a JSON object, but this one is a string",
            "each record must be a JSON object, but this one is null",
            "each record must be a JSON object, but this one is a boolean",
            "each record must be a JSON object, but this one is a boolean",
            "each record must be a JSON object, but this one is a number",
            null);
    assertThat(records.get(0).reason()).isEqualTo("not_object");
  }

  @Test
  void refusesBodiesThatAreNotOneJsonValueOfObjects() {
    assertThatThrownBy(() -> json("")).isInstanceOf(ApiException.class)
        .hasMessage("the body is empty; send one JSON object, a JSON array of objects, or NDJSON");
    assertThatThrownBy(() -> json("\"text\"")).isInstanceOf(ApiException.class)
        .hasMessageStartingWith("the body must be a JSON object or a JSON array of objects, but it starts with");
    assertThatThrownBy(() -> json("[{\"a\":1}")).isInstanceOf(ApiException.class)
        .hasMessageStartingWith("the body is not valid JSON: Unexpected end-of-input");
    assertThatThrownBy(() -> json("{\"a\":1} {\"b\":2}")).isInstanceOf(ApiException.class)
        .hasMessageStartingWith("the body has more after its JSON value");
    assertThatThrownBy(() -> json("{\"a\":}")).isInstanceOf(ApiException.class)
        .hasMessageStartingWith("the body is not valid JSON: ")
        .hasMessageContaining("(at line 1, column ")
        .hasMessageEndingWith("; nothing was stored")
        .satisfies(e -> assertThat(((ApiException) e).status()).isEqualTo(400));
  }

  @Test
  void refusesAJsonBodyThatIsNotUtf8() {
    byte[] latin1 = "{\"a\":\"Zo\u00eb\"}".getBytes(StandardCharsets.ISO_8859_1);
    assertThatThrownBy(() -> reader.readJson(new ByteArrayInputStream(latin1)))
        .isInstanceOf(ApiException.class)
        .hasMessageStartingWith("the body is not valid UTF-8: ");
  }

  @Test
  void ndjsonReadsOneRecordPerLineAndSkipsBlankLines() throws IOException {
    List<ParsedRecord> records = ndjson("{\"a\":1}\n \t\r\n\n{\"b\":2}\r\n{\"c\":3}");
    assertThat(records).extracting(ParsedRecord::index).containsExactly(0, 1, 2);
    assertThat(records).extracting(r -> r.fields().toMap().keySet().iterator().next()).containsExactly("a", "b", "c");
  }

  @Test
  void ndjsonRejectsOnlyTheBadLine() throws IOException {
    List<ParsedRecord> records = ndjson("{\"a\":1}\n{\"a\":\n[1]\n{\"a\":1} {\"b\":2}\n{\"a\":1,\"a\":2}\n{\"ok\":true}\n");
    assertThat(records).extracting(ParsedRecord::reason)
        .containsExactly(null, "invalid_json", "not_object", "invalid_json", "duplicate_key", null);
    assertThat(records.get(1).error()).startsWith("the line is not valid JSON: ");
    assertThat(records.get(3).error()).isEqualTo("the line has more after its JSON object; put one record per line");
  }

  @Test
  void ndjsonRejectsALineOverTheRecordLimitWithoutReadingIt() throws IOException {
    String exact = "{\"s\":\"" + "x".repeat(200 - 8) + "\"}";
    String over = "{\"s\":\"" + "x".repeat(200 - 7) + "\"}";
    List<ParsedRecord> records = ndjson(exact + "\n" + over + "\n" + "x".repeat(100_000) + "\n{\"a\":1}");
    assertThat(records).extracting(ParsedRecord::reason).containsExactly(null, "too_large", "too_large", null);
    assertThat(records).extracting(ParsedRecord::index).containsExactly(0, 1, 2, 3);
  }

  @Test
  void ndjsonReadsLinesThatCrossTheReadBuffer() throws IOException {
    String line = "{\"s\":\"" + "y".repeat(150) + "\"}\n";
    String body = line.repeat(1000);
    List<ParsedRecord> records = ndjson(body);
    assertThat(records).hasSize(1000).allSatisfy(r -> assertThat(r.error()).isNull());
  }

  @Test
  void ndjsonRejectsALineThatIsNotUtf8AndTheWholeBodyWhenItIsUtf16() throws IOException {
    byte[] bad = "{\"a\":\"\u00ff\"}\n{\"b\":1}\n".getBytes(StandardCharsets.ISO_8859_1);
    List<ParsedRecord> records = ndjson(bad);
    assertThat(records).extracting(ParsedRecord::reason).containsExactly("invalid_utf8", null);
    assertThat(records.get(0).error()).startsWith("the line is not valid UTF-8: ");

    byte[] utf16 = "{\"a\":\"\u00ff\"}\n".getBytes(StandardCharsets.UTF_16LE);
    assertThatThrownBy(() -> ndjson(utf16)).isInstanceOf(ApiException.class)
        .hasMessageStartingWith("the body is not valid UTF-8: ");
  }

  @Test
  void ndjsonWithALaterBadLineHoldingAZeroByteRejectsOnlyThatLine() throws IOException {
    byte[] body = "{\"a\":1}\n{\"b\":\"\u00ff\u0000\"}\n".getBytes(StandardCharsets.ISO_8859_1);
    assertThat(ndjson(body)).extracting(ParsedRecord::reason).containsExactly(null, "invalid_utf8");
  }

  @Test
  void anEmptyNdjsonBodyIsRefusedButBlankLinesAreNotEmpty() throws IOException {
    assertThatThrownBy(() -> ndjson("")).isInstanceOf(ApiException.class)
        .hasMessage("the body is empty; send one JSON object per line");
    assertThat(ndjson("\n\n")).isEmpty();
  }
}
