package io.hindsight.server.ingest;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.hindsight.server.schema.Column;
import io.hindsight.server.schema.ColumnType;
import io.hindsight.server.schema.EndpointSchema;
import io.hindsight.server.schema.JsonText;
import io.hindsight.server.schema.MediaReference;
import io.hindsight.server.schema.Row;
import io.hindsight.server.schema.Table;
import java.time.format.DateTimeParseException;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.function.Supplier;

/**
 * Turns a parsed record into a {@link Row}: checks the fields of its table, assigns missing ids
 * and timestamps, and applies the endpoint's schema: new keys add columns, and each value is fitted
 * to its column by {@link EndpointSchema#fit} (DESIGN §6), a contradiction going to
 * {@code _conflicts} with a warning. DESIGN §3 and §4.
 */
final class RecordNormalizer {
  static final int MAX_ID_LENGTH = 128;
  static final int MAX_LABEL_LENGTH = 256;
  private static final long MIN_TS_MICROS = 0L;
  private static final long MAX_FUTURE_MICROS = 24L * 3600 * 1_000_000;

  private static final Map<Table, Set<String>> TOP_LEVEL_FIELDS =
      Map.of(
          Table.PREDICTIONS,
          Set.of(
              "prediction_id", "ts", "model_version", "request_id", "tags", "latency_ms", "status",
              "error", "sample_rate", "data"),
          Table.FEEDBACK,
          Set.of("prediction_id", "ts", "data"),
          Table.EVENTS,
          Set.of("ts", "kind", "text", "data"));

  private final ObjectMapper json;
  private final IngestLimits limits;
  private final Supplier<String> idGenerator;

  RecordNormalizer(ObjectMapper json, IngestLimits limits, Supplier<String> idGenerator) {
    this.json = json;
    this.limits = limits;
    this.idGenerator = idGenerator;
  }

  /**
   * Where a record's values go as they are normalized, in their order: straight into a log
   * entry's bytes, or into a map for a {@link Row}.
   */
  interface Values {
    void put(String column, Object value);
  }

  /**
   * The outcome for one record written to {@link Values}: its time and prediction id (null for an
   * event) and its warnings, or the reason it was rejected (the values written are then void).
   */
  record Result(long tsMicros, String predictionId, List<String> warnings, String reason, String error) {}

  /** The outcome for one record normalized into a row: the row and its warnings, or why it was rejected. */
  record Outcome(Row row, List<String> warnings, String reason, String error) {}

  /** Rejects a record by throwing; caught per record so the batch goes on. */
  static final class Rejection extends Exception {
    final String reason;

    Rejection(String reason, String message) {
      super(message, null, false, false);
      this.reason = reason;
    }
  }

  /** Columns added by one request so far, for the per-request limit. */
  static final class NewColumns {
    int added;
  }

  /** Normalizes a record given as maps (as a request of its own) into a row. */
  Outcome normalize(Table table, EndpointSchema schema, Map<String, Object> fields, long nowMicros) {
    return normalize(table, schema, fields, nowMicros, new NewColumns());
  }

  /** As {@link #normalize(Table, EndpointSchema, Map, long)}, one record of a request. */
  @SuppressWarnings("unchecked")
  Outcome normalize(Table table, EndpointSchema schema, Map<String, Object> fields, long nowMicros, NewColumns request) {
    RecordFields read = new RecordFields(fields.size());
    fields.forEach((k, v) -> read.add(k, v instanceof Map<?, ?> m ? RecordFields.of((Map<String, ?>) m) : v));
    return normalize(table, schema, read, nowMicros, request);
  }

  /** Normalizes one record of a request into a row. */
  Outcome normalize(Table table, EndpointSchema schema, RecordFields fields, long nowMicros, NewColumns request) {
    Map<String, Object> values = new LinkedHashMap<>(64);
    Result r = normalize(table, schema, fields, nowMicros, request, values::put);
    return r.error() != null
        ? new Outcome(null, List.of(), r.reason(), r.error())
        : new Outcome(new Row(table, schema.endpoint(), r.tsMicros(), values), r.warnings(), null, null);
  }

  /**
   * Normalizes one record of a request, writing its values to {@code out} as they are decided;
   * {@code request} counts the columns the request added.
   */
  Result normalize(
      Table table, EndpointSchema schema, RecordFields fields, long nowMicros, NewColumns request, Values out) {
    try {
      List<String> warnings = new java.util.ArrayList<>(0);
      checkFields(table, fields);
      long ts = timestamp(fields.get("ts"), nowMicros);
      String id = write(table, schema, fields, nowMicros, warnings, request, out);
      return new Result(ts, id, warnings, null, null);
    } catch (Rejection r) {
      return new Result(0, null, List.of(), r.reason, r.getMessage());
    }
  }

  /** Writes a record's values; returns its prediction id (null for an event). */
  private String write(
      Table table,
      EndpointSchema schema,
      RecordFields fields,
      long nowMicros,
      List<String> warnings,
      NewColumns request,
      Values values)
      throws Rejection {
    switch (table) {
      case PREDICTIONS:
        Object given = fields.get("prediction_id");
        String id = given == null ? idGenerator.get() : identifier("prediction_id", given);
        values.put("prediction_id", id);
        values.put("model_version", optionalLabel("model_version", fields.get("model_version")));
        values.put("request_id", optionalLabel("request_id", fields.get("request_id")));
        values.put("tags", tags(fields.get("tags")));
        values.put("latency_ms", latency(fields.get("latency_ms")));
        values.put("status", status(fields.get("status")));
        values.put("error", optionalString("error", fields.get("error")));
        values.put("sample_rate", sampleRate(fields.get("sample_rate")));
        RecordFields userData = requiredData(fields);
        PrincipalReasons.check(userData, json);
        userKeys(table, schema, userData, values, nowMicros, warnings, request);
        return id;
      case FEEDBACK:
        Object fid = fields.get("prediction_id");
        if (fid == null) {
          throw new Rejection("missing_field", "'prediction_id' is missing; feedback joins its prediction by that id");
        }
        String predictionId = identifier("prediction_id", fid);
        values.put("prediction_id", predictionId);
        userKeys(table, schema, requiredData(fields), values, nowMicros, warnings, request);
        return predictionId;
      case EVENTS:
        Object kind = fields.get("kind");
        if (!(kind instanceof String) || ((String) kind).isBlank()) {
          throw new Rejection("bad_field", "'kind' must be a non-empty string such as \"deploy\" or \"incident\"");
        }
        values.put("kind", optionalLabel("kind", kind));
        values.put("text", optionalString("text", fields.get("text")));
        Object data = fields.get("data");
        if (data != null && !(data instanceof RecordFields)) {
          throw new Rejection("bad_field", "'data' must be a JSON object");
        }
        values.put("data", data == null ? null : new JsonText(toJson(((RecordFields) data).toMap())));
        return null;
      default:
        throw new IllegalStateException();
    }
  }

  private static void checkFields(Table table, RecordFields fields) throws Rejection {
    Set<String> allowed = TOP_LEVEL_FIELDS.get(table);
    for (int i = 0; i < fields.size(); i++) {
      String f = fields.name(i);
      if (!allowed.contains(f)) {
        throw new Rejection("unknown_field",
            "unknown field '" + f + "'; " + singular(table) + " has only the fields " + sorted(allowed)
                + (table == Table.EVENTS ? "" : ", and your own keys go inside 'data'"));
      }
    }
  }

  private static RecordFields requiredData(RecordFields fields) throws Rejection {
    Object data = fields.get("data");
    if (data == null) {
      throw new Rejection("missing_field", "'data' is missing; put the record's keys in a 'data' object");
    }
    if (!(data instanceof RecordFields)) {
      throw new Rejection("bad_field", "'data' must be a JSON object of your keys, e.g. {\"score\": 0.87}");
    }
    return (RecordFields) data;
  }

  private void userKeys(
      Table table,
      EndpointSchema schema,
      RecordFields data,
      Values values,
      long nowMicros,
      List<String> warnings,
      NewColumns newColumns)
      throws Rejection {
    int n = data.size();
    if (n > limits.maxKeys()) {
      throw new Rejection("too_many_keys",
          "'data' has " + n + " keys, more than the limit of " + limits.maxKeys()
              + " (ingest.max-keys); group related values into an object");
    }
    Column[] knownColumns = new Column[n];
    Object[] typedValues = new Object[n];
    Map<String, ColumnType> newKeys = null;
    // Keys are distinct as sent; only keys spelled unlike their column can name one column twice.
    boolean spelledAsColumns = true;
    for (int k = 0; k < n; k++) {
      String key = data.name(k);
      Column known = schema.column(key);
      if (known == null) {
        checkKey(table, key);
      }
      Object raw = data.value(k);
      Object value = raw == null ? null : asValue(raw);
      if (value instanceof JsonText text) {
        checkMediaReference(key, text);
      }
      typedValues[k] = value;
      knownColumns[k] = known;
      spelledAsColumns &= known != null && known.name().equals(key);
      if (known == null && value != null) {
        if (newKeys == null) {
          newKeys = new LinkedHashMap<>();
        }
        newKeys.put(key, ColumnType.of(value));
      }
    }
    if (!spelledAsColumns) {
      checkDistinctColumns(data, knownColumns);
    }
    // Keys are checked before any of them touches the schema, and a record's new columns are
    // added all at once, so a rejected record adds no column.
    if (newKeys != null) {
      addColumns(schema, newKeys, nowMicros, newColumns);
    }
    Map<String, Object> conflicts = null;
    for (int k = 0; k < n; k++) {
      Object value = typedValues[k];
      if (value == null) {
        continue;
      }
      String key = data.name(k);
      Column known = knownColumns[k];
      // A column that widens meanwhile is no different from one that widens just after this record.
      Column column = known != null ? known : schema.column(key);
      Object fitted = schema.fit(column, value);
      if (fitted != EndpointSchema.CONTRADICTS) {
        values.put(column.name(), fitted);
      } else {
        if (conflicts == null) {
          conflicts = new LinkedHashMap<>();
        }
        Object raw = data.value(k);
        conflicts.put(column.name(), raw instanceof RecordFields f ? f.toMap() : raw);
        warnings.add(
            "key '" + key + "' is " + column.type().publicName() + " in the schema of endpoint '"
                + schema.endpoint() + "' but this record has a " + ColumnType.of(value).publicName()
                + "; the value was kept in _conflicts. Send " + column.type().publicName()
                + " values, or log the new meaning under a new key");
      }
    }
    values.put("_conflicts", conflicts == null ? null : new JsonText(toJson(conflicts)));
  }

  /** Rejects two keys that name the same column (keys are case-insensitive). */
  private static void checkDistinctColumns(RecordFields data, Column[] knownColumns) throws Rejection {
    Map<String, String> seen = new HashMap<>(data.size() * 2);
    for (int k = 0; k < data.size(); k++) {
      String key = data.name(k);
      // A known key was checked when its column was added; its canonical name is its identity.
      String previous = seen.put(knownColumns[k] == null ? key.toLowerCase(Locale.ROOT) : knownColumns[k].name(), key);
      if (previous != null) {
        throw new Rejection("duplicate_key",
            "keys '" + previous + "' and '" + key + "' name the same column (keys are case-insensitive);"
                + " send only one of them");
      }
    }
  }

  /** An object shaped like a media reference must be a valid one (see {@link MediaReference}). */
  private static void checkMediaReference(String key, JsonText value) throws Rejection {
    String problem = MediaReference.problem(value.json());
    if (problem != null) {
      throw new Rejection("bad_media",
          "key '" + key + "' holds a media reference ({\"uri\", \"content_type\"}) but " + problem
              + "; to store the object as ordinary JSON instead, give it a further key or rename one");
    }
  }

  private Object asValue(Object raw) {
    return (raw instanceof Map || raw instanceof List) ? new JsonText(toJson(raw)) : raw;
  }

  /**
   * Adds the columns for a record's new keys, all or none, within the per-request and
   * per-endpoint limits; a record over either is rejected and adds nothing.
   */
  private void addColumns(EndpointSchema schema, Map<String, ColumnType> newKeys, long nowMicros, NewColumns request)
      throws Rejection {
    if (request.added + newKeys.size() > limits.maxNewColumnsPerRequest()) {
      throw new Rejection("too_many_new_columns",
          "the record would add " + newKeys.size() + " new columns, and this request already added "
              + request.added + "; one request may add at most " + limits.maxNewColumnsPerRequest()
              + " (ingest.max-new-columns-per-request). Send records with new keys in smaller batches,"
              + " or group related values into an object");
    }
    int added = schema.addAllIfAbsent(newKeys, nowMicros, limits.maxColumnsPerEndpoint());
    if (added < 0) {
      throw new Rejection("too_many_columns",
          "the record would add " + newKeys.size() + " new columns to endpoint '" + schema.endpoint() + "', which has "
              + schema.columns().size() + " of at most " + limits.maxColumnsPerEndpoint()
              + " (ingest.max-columns-per-endpoint); log values under existing keys, group related values"
              + " into an object, or raise the limit");
    }
    request.added += added;
  }

  private static void checkKey(Table table, String key) throws Rejection {
    if (!validKeyName(key)) {
      throw new Rejection("invalid_key", 
          "key '" + abbreviate(key) + "' is not a valid name: use a letter followed by up to 127 letters,"
              + " digits or underscores ([A-Za-z][A-Za-z0-9_]{0,127})");
    }
    if (table.isReserved(key)) {
      throw new Rejection("reserved_key", 
          "key '" + key + "' is reserved: names starting with '_', the system fields"
              + (table == Table.PREDICTIONS ? " and the prefix 'feedback_'" : "")
              + " cannot be used in 'data'; rename it (e.g. 'user_" + key.replaceFirst("^_+", "") + "')");
    }
  }

  static boolean validKeyName(String key) {
    int n = key.length();
    if (n == 0 || n > 128) {
      return false;
    }
    char c0 = key.charAt(0);
    if (!((c0 >= 'a' && c0 <= 'z') || (c0 >= 'A' && c0 <= 'Z'))) {
      return false;
    }
    for (int i = 1; i < n; i++) {
      char c = key.charAt(i);
      if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_')) {
        return false;
      }
    }
    return true;
  }

  private long timestamp(Object ts, long nowMicros) throws Rejection {
    if (ts == null) {
      return nowMicros;
    }
    long micros;
    if (ts instanceof Long) {
      long millis = (Long) ts;
      // Far outside the accepted range either way; saturate so the range check below explains it.
      // (Math.abs would not do: it leaves Long.MIN_VALUE negative, and times 1000 that wraps to 0.)
      micros = millis > Long.MAX_VALUE / 1000 || millis < Long.MIN_VALUE / 1000 ? Long.MAX_VALUE : millis * 1000L;
    } else if (ts instanceof Double) {
      micros = Math.round((Double) ts * 1000.0);
    } else if (ts instanceof String) {
      try {
        micros = Rfc3339.micros((String) ts);
      } catch (DateTimeParseException | ArithmeticException e) {
        throw new Rejection("bad_ts", 
            "'ts' value '" + abbreviate((String) ts) + "' is not an RFC 3339 timestamp;"
                + " send e.g. \"2026-11-22T10:15:00Z\" or epoch milliseconds");
      }
    } else {
      throw new Rejection("bad_ts", "'ts' must be an RFC 3339 string or epoch milliseconds");
    }
    if (micros < MIN_TS_MICROS || micros > nowMicros + MAX_FUTURE_MICROS) {
      throw new Rejection("bad_ts", 
          "'ts' " + ts + " is outside the accepted range (from 1970 to one day ahead of the server's"
              + " clock); check its unit: epoch values are milliseconds");
    }
    return micros;
  }

  private static String identifier(String field, Object value) throws Rejection {
    if (!(value instanceof String) || ((String) value).isEmpty()) {
      throw new Rejection("bad_field", "'" + field + "' must be a non-empty string");
    }
    String s = (String) value;
    if (s.length() > MAX_ID_LENGTH) {
      throw new Rejection("bad_field", 
          "'" + field + "' is " + s.length() + " characters long; the limit is " + MAX_ID_LENGTH);
    }
    for (int i = 0; i < s.length(); i++) {
      if (Character.isISOControl(s.charAt(i))) {
        throw new Rejection("bad_field", "'" + field + "' contains a control character; use printable characters only");
      }
    }
    return s;
  }

  private static String optionalLabel(String field, Object value) throws Rejection {
    String s = optionalString(field, value);
    if (s != null && s.length() > MAX_LABEL_LENGTH) {
      throw new Rejection("bad_field", 
          "'" + field + "' is " + s.length() + " characters long; the limit is " + MAX_LABEL_LENGTH);
    }
    return s;
  }

  private static String optionalString(String field, Object value) throws Rejection {
    if (value == null) {
      return null;
    }
    if (!(value instanceof String)) {
      throw new Rejection("bad_field", "'" + field + "' must be a string");
    }
    return (String) value;
  }

  private static Map<String, String> tags(Object value) throws Rejection {
    if (value == null) {
      return null;
    }
    if (!(value instanceof RecordFields given)) {
      throw new Rejection("bad_field", "'tags' must be an object of string labels, e.g. {\"env\": \"prod\"}");
    }
    Map<String, String> tags = new LinkedHashMap<>(given.size() * 2);
    for (int i = 0; i < given.size(); i++) {
      String key = given.name(i);
      Object v = given.value(i);
      if (v instanceof RecordFields || v instanceof Map || v instanceof List || v instanceof JsonText) {
        throw new Rejection("bad_field",
            "tag '" + abbreviate(key) + "' must be a string, not an array or object;"
                + " tags are low-cardinality labels");
      }
      if (key.length() > MAX_LABEL_LENGTH || (v != null && v.toString().length() > MAX_LABEL_LENGTH)) {
        throw new Rejection("bad_field", "tag '" + abbreviate(key) + "' is longer than " + MAX_LABEL_LENGTH + " characters");
      }
      if (v != null) {
        tags.put(key, v.toString());
      }
    }
    return tags;
  }

  private static Double latency(Object value) throws Rejection {
    if (value == null) {
      return null;
    }
    if (!(value instanceof Number) || ((Number) value).doubleValue() < 0) {
      throw new Rejection("bad_field", "'latency_ms' must be a non-negative number of milliseconds");
    }
    return ((Number) value).doubleValue();
  }

  private static String status(Object value) throws Rejection {
    if (value == null) {
      return "ok";
    }
    if (!"ok".equals(value) && !"error".equals(value)) {
      throw new Rejection("bad_field", "'status' must be \"ok\" or \"error\"");
    }
    return (String) value;
  }

  private static Double sampleRate(Object value) throws Rejection {
    if (value == null) {
      return 1.0;
    }
    if (!(value instanceof Number)) {
      throw new Rejection("bad_field", "'sample_rate' must be a number in (0, 1]");
    }
    double d = ((Number) value).doubleValue();
    if (!(d > 0 && d <= 1)) {
      throw new Rejection("bad_field", "'sample_rate' must be in (0, 1], the probability that this record was kept");
    }
    return d;
  }

  private String toJson(Object value) {
    try {
      return json.writeValueAsString(value);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("plain values always serialize", e);
    }
  }

  /** One record of the table, with its article. */
  private static String singular(Table table) {
    return table == Table.PREDICTIONS ? "a prediction" : table == Table.FEEDBACK ? "a feedback record" : "an event";
  }

  private static String sorted(Set<String> names) {
    return names.stream().sorted().map(n -> "'" + n + "'").collect(java.util.stream.Collectors.joining(", "));
  }

  private static String abbreviate(String s) {
    return s.length() <= 60 ? s : s.substring(0, 57) + "...";
  }
}
