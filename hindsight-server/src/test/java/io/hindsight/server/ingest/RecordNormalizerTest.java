package io.hindsight.server.ingest;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.hindsight.server.schema.Column;
import io.hindsight.server.schema.ColumnType;
import io.hindsight.server.schema.EndpointSchema;
import io.hindsight.server.schema.JsonText;
import io.hindsight.server.schema.SchemaRegistry;
import io.hindsight.server.schema.Table;
import java.io.IOException;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** How a parsed record becomes a row: its fields, ids, timestamps, keys, the schema and the limits. */
class RecordNormalizerTest {
  /** 2026-11-30T12:00:00Z in microseconds. */
  private static final long NOW = 1_796_040_000_000_000L;

  private static final long DAY = 24L * 3600 * 1_000_000;

  /** At most 4 keys, 5 columns an endpoint, 3 new columns a request. */
  private final IngestLimits limits = new IngestLimits(1 << 20, 1 << 16, 8, 4, 5, 3);

  @TempDir Path dir;
  private SchemaRegistry schemas;
  private RecordNormalizer normalizer;

  @BeforeEach
  void setUp() throws IOException {
    schemas = new SchemaRegistry(dir, new ObjectMapper());
    normalizer = new RecordNormalizer(new ObjectMapper(), limits, () -> "generated-id");
  }

  private EndpointSchema schema(Table table) {
    return schemas.schema(table, "churn");
  }

  private RecordNormalizer.Outcome prediction(Map<String, Object> fields) {
    return normalizer.normalize(Table.PREDICTIONS, schema(Table.PREDICTIONS), fields, NOW);
  }

  /** A prediction with the given top-level fields next to a one-key {@code data}. */
  private RecordNormalizer.Outcome predictionWith(Object... keysAndValues) {
    Map<String, Object> fields = new HashMap<>();
    for (int i = 0; i < keysAndValues.length; i += 2) {
      fields.put((String) keysAndValues[i], keysAndValues[i + 1]);
    }
    fields.putIfAbsent("data", Map.of("score", 0.5));
    return prediction(fields);
  }

  private static Map<String, Object> data(Object... keysAndValues) {
    Map<String, Object> data = new LinkedHashMap<>();
    for (int i = 0; i < keysAndValues.length; i += 2) {
      data.put((String) keysAndValues[i], keysAndValues[i + 1]);
    }
    return data;
  }

  private RecordNormalizer.Outcome withData(Map<String, Object> data) {
    return prediction(Map.of("data", data));
  }

  @Test
  void fillsADefaultPredictionFromItsData() {
    RecordNormalizer.Outcome o = withData(data("score", 0.87, "label", "yes"));
    assertThat(o.error()).isNull();
    assertThat(o.warnings()).isEmpty();
    assertThat(o.row().table()).isEqualTo(Table.PREDICTIONS);
    assertThat(o.row().endpoint()).isEqualTo("churn");
    assertThat(o.row().tsMicros()).isEqualTo(NOW);
    Map<String, Object> values = new HashMap<>(o.row().values());
    assertThat(values)
        .containsEntry("prediction_id", "generated-id")
        .containsEntry("status", "ok")
        .containsEntry("sample_rate", 1.0)
        .containsEntry("score", 0.87)
        .containsEntry("label", "yes")
        .containsEntry("_conflicts", null)
        .containsEntry("model_version", null)
        .containsEntry("request_id", null)
        .containsEntry("error", null)
        .containsEntry("latency_ms", null)
        .containsEntry("tags", null);
    assertThat(schema(Table.PREDICTIONS).columns())
        .extracting(Column::name, Column::type)
        .containsExactly(
            org.assertj.core.groups.Tuple.tuple("score", ColumnType.DOUBLE),
            org.assertj.core.groups.Tuple.tuple("label", ColumnType.STRING));
  }

  @Test
  void keepsThePredictionsOwnFields() {
    RecordNormalizer.Outcome o =
        predictionWith(
            "prediction_id", "p-1", "model_version", "v2", "request_id", "r-9", "tags", Map.of("env", "prod", "n", 3L),
            "latency_ms", 12L, "status", "error", "error", "timeout", "sample_rate", 0.25);
    assertThat(o.error()).isNull();
    assertThat(o.row().values())
        .containsEntry("prediction_id", "p-1")
        .containsEntry("model_version", "v2")
        .containsEntry("request_id", "r-9")
        .containsEntry("tags", Map.of("env", "prod", "n", "3"))
        .containsEntry("latency_ms", 12.0)
        .containsEntry("status", "error")
        .containsEntry("error", "timeout")
        .containsEntry("sample_rate", 0.25);
  }

  @Test
  void refusesAnUnknownTopLevelFieldNamingTheFieldsThereAre() {
    RecordNormalizer.Outcome o = predictionWith("score", 1L);
    assertThat(o.reason()).isEqualTo("unknown_field");
    assertThat(o.error())
        .isEqualTo(
            "unknown field 'score'; a prediction has only the fields 'data', 'error', 'latency_ms', 'model_version',"
                + " 'prediction_id', 'request_id', 'sample_rate', 'status', 'tags', 'ts', and your own keys go inside 'data'");
    RecordNormalizer.Outcome event =
        normalizer.normalize(Table.EVENTS, schema(Table.EVENTS), Map.of("kind", "deploy", "x", 1L), NOW);
    assertThat(event.error()).isEqualTo("unknown field 'x'; an event has only the fields 'data', 'kind', 'text', 'ts'");
  }

  @Test
  void refusesAMissingOrNonObjectData() {
    RecordNormalizer.Outcome missing = prediction(Map.of());
    assertThat(missing.reason()).isEqualTo("missing_field");
    assertThat(missing.error()).isEqualTo("'data' is missing; put the record's keys in a 'data' object");
    RecordNormalizer.Outcome list = prediction(Map.of("data", List.of(1L)));
    assertThat(list.reason()).isEqualTo("bad_field");
    assertThat(list.error()).startsWith("'data' must be a JSON object of your keys");
  }

  @Test
  void readsTimestampsAsEpochMillisDecimalMillisOrRfc3339() {
    assertThat(predictionWith("ts", 1_796_040_000_000L).row().tsMicros()).isEqualTo(NOW);
    assertThat(predictionWith("ts", 1_796_040_000_000.5).row().tsMicros()).isEqualTo(NOW + 500);
    assertThat(predictionWith("ts", "2026-11-30T12:00:00.000001Z").row().tsMicros()).isEqualTo(NOW + 1);
    assertThat(predictionWith("ts", "2026-11-30T13:00:00+01:00").row().tsMicros()).isEqualTo(NOW);
  }

  @Test
  void acceptsTimestampsFromTheEpochToOneDayAheadAndNoFurther() {
    assertThat(predictionWith("ts", 0L).row().tsMicros()).isZero();
    assertThat(predictionWith("ts", (NOW + DAY) / 1000).row().tsMicros()).isEqualTo(NOW + DAY);
    RecordNormalizer.Outcome ahead = predictionWith("ts", (NOW + DAY) / 1000 + 1);
    assertThat(ahead.reason()).isEqualTo("bad_ts");
    assertThat(ahead.error())
        .isEqualTo(
            "'ts' " + ((NOW + DAY) / 1000 + 1) + " is outside the accepted range (from 1970 to one day ahead of the"
                + " server's clock); check its unit: epoch values are milliseconds");
    assertThat(predictionWith("ts", -1L).reason()).isEqualTo("bad_ts");
    assertThat(predictionWith("ts", Long.MAX_VALUE / 1000 + 1).reason()).isEqualTo("bad_ts");
  }

  @Test
  void theSmallestEpochValueIsRefusedNotWrappedToTheEpoch() {
    // Long.MIN_VALUE milliseconds times 1000 overflows to exactly 0, which is in range.
    RecordNormalizer.Outcome o = predictionWith("ts", Long.MIN_VALUE);
    assertThat(o.reason()).isEqualTo("bad_ts");
    assertThat(predictionWith("ts", Long.MIN_VALUE / 1000 - 1).reason()).isEqualTo("bad_ts");
  }

  @Test
  void refusesTimestampsThatAreNotTimes() {
    RecordNormalizer.Outcome text = predictionWith("ts", "yesterday");
    assertThat(text.reason()).isEqualTo("bad_ts");
    assertThat(text.error())
        .isEqualTo("'ts' value 'yesterday' is not an RFC 3339 timestamp; send e.g. \"2026-11-22T10:15:00Z\" or epoch milliseconds");
    assertThat(predictionWith("ts", "2026-11-30T12:00:00").reason()).as("no offset").isEqualTo("bad_ts");
    assertThat(predictionWith("ts", "+999999999-12-31T23:59:59Z").reason()).as("beyond micros").isEqualTo("bad_ts");
    RecordNormalizer.Outcome bool = predictionWith("ts", true);
    assertThat(bool.error()).isEqualTo("'ts' must be an RFC 3339 string or epoch milliseconds");
    assertThat(predictionWith("ts", "x".repeat(100)).error()).contains("'" + "x".repeat(57) + "...'");
  }

  @Test
  void checksPredictionIdsAtTheirLimits() {
    assertThat(predictionWith("prediction_id", "p".repeat(128)).error()).isNull();
    RecordNormalizer.Outcome longer = predictionWith("prediction_id", "p".repeat(129));
    assertThat(longer.reason()).isEqualTo("bad_field");
    assertThat(longer.error()).isEqualTo("'prediction_id' is 129 characters long; the limit is 128");
    assertThat(predictionWith("prediction_id", "").error()).isEqualTo("'prediction_id' must be a non-empty string");
    assertThat(predictionWith("prediction_id", 7L).error()).isEqualTo("'prediction_id' must be a non-empty string");
    assertThat(predictionWith("prediction_id", "a\tb").error())
        .isEqualTo("'prediction_id' contains a control character; use printable characters only");
    assertThat(predictionWith("prediction_id", "ab\u0000").reason()).isEqualTo("bad_field");
  }

  @Test
  void checksLabelsAndStrings() {
    assertThat(predictionWith("model_version", "v".repeat(256)).error()).isNull();
    assertThat(predictionWith("model_version", "v".repeat(257)).error())
        .isEqualTo("'model_version' is 257 characters long; the limit is 256");
    assertThat(predictionWith("request_id", 5L).error()).isEqualTo("'request_id' must be a string");
    assertThat(predictionWith("error", "e".repeat(1000)).error()).as("error is not a label").isNull();
    assertThat(predictionWith("error", false).error()).isEqualTo("'error' must be a string");
  }

  @Test
  void checksTags() {
    assertThat(predictionWith("tags", List.of()).error()).startsWith("'tags' must be an object of string labels");
    assertThat(predictionWith("tags", Map.of("a", List.of())).error())
        .isEqualTo("tag 'a' must be a string, not an array or object; tags are low-cardinality labels");
    assertThat(predictionWith("tags", Map.of("a", Map.of())).reason()).isEqualTo("bad_field");
    assertThat(predictionWith("tags", Map.of("a", new JsonText("[]"))).reason()).isEqualTo("bad_field");
    assertThat(predictionWith("tags", Map.of("k".repeat(256), "v".repeat(256))).error()).isNull();
    assertThat(predictionWith("tags", Map.of("k".repeat(257), "v")).error()).endsWith("is longer than 256 characters");
    assertThat(predictionWith("tags", Map.of("k", "v".repeat(257))).error()).isEqualTo("tag 'k' is longer than 256 characters");
    Map<String, Object> withNull = new HashMap<>();
    withNull.put("gone", null);
    withNull.put("env", "prod");
    assertThat(predictionWith("tags", withNull).row().values().get("tags")).isEqualTo(Map.of("env", "prod"));
  }

  @Test
  void checksLatencyStatusAndSampleRate() {
    assertThat(predictionWith("latency_ms", 0L).row().values()).containsEntry("latency_ms", 0.0);
    assertThat(predictionWith("latency_ms", -0.5).error()).isEqualTo("'latency_ms' must be a non-negative number of milliseconds");
    assertThat(predictionWith("latency_ms", "5").reason()).isEqualTo("bad_field");
    assertThat(predictionWith("status", "ok").row().values()).containsEntry("status", "ok");
    assertThat(predictionWith("status", "failed").error()).isEqualTo("'status' must be \"ok\" or \"error\"");
    assertThat(predictionWith("sample_rate", 1L).row().values()).containsEntry("sample_rate", 1.0);
    assertThat(predictionWith("sample_rate", 1e-9).error()).isNull();
    assertThat(predictionWith("sample_rate", 0.0).error())
        .isEqualTo("'sample_rate' must be in (0, 1], the probability that this record was kept");
    assertThat(predictionWith("sample_rate", 1.0000001).reason()).isEqualTo("bad_field");
    assertThat(predictionWith("sample_rate", Double.NaN).reason()).isEqualTo("bad_field");
    assertThat(predictionWith("sample_rate", "1").error()).isEqualTo("'sample_rate' must be a number in (0, 1]");
  }

  @Test
  void feedbackNeedsItsPredictionId() {
    EndpointSchema s = schema(Table.FEEDBACK);
    RecordNormalizer.Outcome missing = normalizer.normalize(Table.FEEDBACK, s, Map.of("data", Map.of("ok", true)), NOW);
    assertThat(missing.reason()).isEqualTo("missing_field");
    assertThat(missing.error()).isEqualTo("'prediction_id' is missing; feedback joins its prediction by that id");
    RecordNormalizer.Outcome ok =
        normalizer.normalize(Table.FEEDBACK, s, Map.of("prediction_id", "p-1", "data", Map.of("ok", true)), NOW);
    assertThat(ok.row().values()).containsEntry("prediction_id", "p-1").containsEntry("ok", true);
    assertThat(normalizer.normalize(Table.FEEDBACK, s, Map.of("prediction_id", "p-1"), NOW).reason())
        .isEqualTo("missing_field");
    assertThat(normalizer.normalize(Table.FEEDBACK, s, Map.of("prediction_id", "p", "score", 1L), NOW).error())
        .startsWith("unknown field 'score'; a feedback record has only the fields 'data', 'prediction_id', 'ts',");
  }

  @Test
  void eventsKeepTheirDataAsJsonWithoutColumns() {
    EndpointSchema s = schema(Table.EVENTS);
    RecordNormalizer.Outcome o =
        normalizer.normalize(Table.EVENTS, s, Map.of("kind", "deploy", "text", "v2 out", "data", data("v", 2L)), NOW);
    assertThat(o.row().values())
        .containsEntry("kind", "deploy")
        .containsEntry("text", "v2 out")
        .containsEntry("data", new JsonText("{\"v\":2}"));
    assertThat(s.columns()).isEmpty();
    assertThat(normalizer.normalize(Table.EVENTS, s, Map.of("kind", "deploy"), NOW).row().values()).containsEntry("data", null);
    String kindError = "'kind' must be a non-empty string such as \"deploy\" or \"incident\"";
    assertThat(normalizer.normalize(Table.EVENTS, s, Map.of("kind", " "), NOW).error()).isEqualTo(kindError);
    assertThat(normalizer.normalize(Table.EVENTS, s, Map.of("text", "x"), NOW).error()).isEqualTo(kindError);
    assertThat(normalizer.normalize(Table.EVENTS, s, Map.of("kind", 1L), NOW).error()).isEqualTo(kindError);
    assertThat(normalizer.normalize(Table.EVENTS, s, Map.of("kind", "k".repeat(257)), NOW).reason()).isEqualTo("bad_field");
    assertThat(normalizer.normalize(Table.EVENTS, s, Map.of("kind", "d", "data", "x"), NOW).error())
        .isEqualTo("'data' must be a JSON object");
  }

  @Test
  void keyNamesAreALetterThenUpTo127LettersDigitsOrUnderscores() {
    assertThat(RecordNormalizer.validKeyName("a")).isTrue();
    assertThat(RecordNormalizer.validKeyName("Z9_z")).isTrue();
    for (String edge : List.of("zaAzZ09_", "Az", "Za")) {
      assertThat(RecordNormalizer.validKeyName(edge)).as(edge).isTrue();
    }
    assertThat(RecordNormalizer.validKeyName("a".repeat(128))).isTrue();
    assertThat(RecordNormalizer.validKeyName("a".repeat(129))).isFalse();
    assertThat(RecordNormalizer.validKeyName("")).isFalse();
    for (String bad : List.of("9a", "_a", "a-b", "a b", "é", "a.b", "a@", "a[", "a`", "a{", "a/", "a:", "@", "[", "`", "{")) {
      assertThat(RecordNormalizer.validKeyName(bad)).as(bad).isFalse();
    }
  }

  @Test
  void refusesInvalidAndReservedKeysAndAddsNoColumnForThem() {
    RecordNormalizer.Outcome invalid = withData(data("ok", 1L, "bad-key", 1L));
    assertThat(invalid.reason()).isEqualTo("invalid_key");
    assertThat(invalid.error())
        .isEqualTo("key 'bad-key' is not a valid name: use a letter followed by up to 127 letters, digits or underscores ([A-Za-z][A-Za-z0-9_]{0,127})");
    assertThat(withData(data("-".repeat(60), 1L)).error()).startsWith("key '" + "-".repeat(60) + "' is not");
    assertThat(withData(data("-".repeat(61), 1L)).error()).startsWith("key '" + "-".repeat(57) + "...' is not");
    RecordNormalizer.Outcome reserved = withData(data("Status", 1L));
    assertThat(reserved.reason()).isEqualTo("reserved_key");
    assertThat(reserved.error())
        .isEqualTo("key 'Status' is reserved: names starting with '_', the system fields and the prefix 'feedback_'"
            + " cannot be used in 'data'; rename it (e.g. 'user_Status')");
    assertThat(withData(data("feedback_x", 1L)).reason()).isEqualTo("reserved_key");
    RecordNormalizer.Outcome feedback =
        normalizer.normalize(Table.FEEDBACK, schema(Table.FEEDBACK), Map.of("prediction_id", "p", "data", data("ts", 1L)), NOW);
    assertThat(feedback.error()).startsWith("key 'ts' is reserved: names starting with '_', the system fields cannot be used");
    assertThat(schema(Table.PREDICTIONS).columns()).isEmpty();
  }

  @Test
  void keysDifferingOnlyInCaseNameOneColumn() {
    RecordNormalizer.Outcome o = withData(data("Score", 1L, "score", 2L));
    assertThat(o.reason()).isEqualTo("duplicate_key");
    assertThat(o.error())
        .isEqualTo("keys 'Score' and 'score' name the same column (keys are case-insensitive); send only one of them");
    assertThat(withData(data("score", 1L)).error()).isNull();
    assertThat(withData(data("SCORE", 1L, "Score", 2L)).reason()).as("both known").isEqualTo("duplicate_key");
    RecordNormalizer.Outcome later = withData(data("SCORE", 3L));
    assertThat(later.row().values()).as("a known key is stored under its column's name").containsEntry("score", 3L);
  }

  @Test
  void takesUpToMaxKeysKeys() {
    assertThat(withData(data("a", 1L, "b", 1L, "c", 1L, "d", null)).error()).isNull();
    RecordNormalizer.Outcome over = withData(data("a", 1L, "b", 1L, "c", 1L, "d", 1L, "e", 1L));
    assertThat(over.reason()).isEqualTo("too_many_keys");
    assertThat(over.error())
        .isEqualTo("'data' has 5 keys, more than the limit of 4 (ingest.max-keys); group related values into an object");
  }

  @Test
  void aNullValueAddsNoColumnAndStoresNothing() {
    RecordNormalizer.Outcome o = withData(data("maybe", null, "x", 1L));
    assertThat(o.row().values()).doesNotContainKey("maybe").containsEntry("x", 1L);
    assertThat(schema(Table.PREDICTIONS).columns()).extracting(Column::name).containsExactly("x");
  }

  @Test
  void nestedValuesAreStoredAsJsonText() {
    RecordNormalizer.Outcome o = withData(data("l", List.of(1L, 2L), "m", Map.of("k", "v")));
    assertThat(o.row().values()).containsEntry("l", new JsonText("[1,2]")).containsEntry("m", new JsonText("{\"k\":\"v\"}"));
    assertThat(schema(Table.PREDICTIONS).column("l").type()).isEqualTo(ColumnType.JSON);
  }

  @Test
  void aValueThatContradictsItsColumnGoesToConflictsWithAWarning() {
    withData(data("score", 1L, "label", "yes"));
    RecordNormalizer.Outcome o = withData(data("score", "high", "label", List.of("a")));
    assertThat(o.error()).isNull();
    assertThat(o.row().values()).doesNotContainKeys("score", "label");
    assertThat(o.row().values().get("_conflicts")).isEqualTo(new JsonText("{\"score\":\"high\",\"label\":[\"a\"]}"));
    assertThat(o.warnings())
        .containsExactly(
            "key 'score' is bigint in the schema of endpoint 'churn' but this record has a string; the value was kept"
                + " in _conflicts. Send bigint values, or log the new meaning under a new key",
            "key 'label' is string in the schema of endpoint 'churn' but this record has a json; the value was kept"
                + " in _conflicts. Send string values, or log the new meaning under a new key");
  }

  @Test
  void aDoubleWidensABigintColumn() {
    withData(data("score", 1L));
    RecordNormalizer.Outcome o = withData(data("score", 0.5));
    assertThat(o.row().values()).containsEntry("score", 0.5);
    assertThat(schema(Table.PREDICTIONS).column("score").type()).isEqualTo(ColumnType.DOUBLE);
    assertThat(withData(data("score", 2L)).row().values()).containsEntry("score", 2.0);
  }

  @Test
  void oneRequestAddsAtMostMaxNewColumnsPerRequest() {
    RecordNormalizer.NewColumns request = new RecordNormalizer.NewColumns();
    EndpointSchema s = schema(Table.PREDICTIONS);
    assertThat(normalizer.normalize(Table.PREDICTIONS, s, Map.of("data", data("a", 1L, "b", 1L)), NOW, request).error()).isNull();
    assertThat(request.added).isEqualTo(2);
    RecordNormalizer.Outcome over = normalizer.normalize(Table.PREDICTIONS, s, Map.of("data", data("c", 1L, "d", 1L)), NOW, request);
    assertThat(over.reason()).isEqualTo("too_many_new_columns");
    assertThat(over.error())
        .isEqualTo("the record would add 2 new columns, and this request already added 2; one request may add at most 3"
            + " (ingest.max-new-columns-per-request). Send records with new keys in smaller batches, or group related"
            + " values into an object");
    assertThat(normalizer.normalize(Table.PREDICTIONS, s, Map.of("data", data("a", 2L, "c", 1L)), NOW, request).error()).isNull();
    assertThat(request.added).isEqualTo(3);
    assertThat(s.columns()).extracting(Column::name).containsExactly("a", "b", "c");
    assertThat(normalizer.normalize(Table.PREDICTIONS, s, Map.of("data", data("d", 1L)), NOW).error())
        .as("a new request starts its own count")
        .isNull();
  }

  @Test
  void anEndpointHoldsAtMostMaxColumnsPerEndpoint() {
    EndpointSchema s = schema(Table.PREDICTIONS);
    assertThat(withData(data("a", 1L, "b", 1L, "c", 1L)).error()).isNull();
    assertThat(withData(data("d", 1L, "e", 1L)).error()).isNull();
    assertThat(s.columns()).hasSize(5);
    RecordNormalizer.Outcome over = withData(data("a", 1L, "f", 1L));
    assertThat(over.reason()).isEqualTo("too_many_columns");
    assertThat(over.error())
        .isEqualTo("the record would add 1 new columns to endpoint 'churn', which has 5 of at most 5"
            + " (ingest.max-columns-per-endpoint); log values under existing keys, group related values into an"
            + " object, or raise the limit");
    assertThat(s.columns()).hasSize(5);
  }
}
