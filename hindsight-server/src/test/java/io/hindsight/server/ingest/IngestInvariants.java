package io.hindsight.server.ingest;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.hindsight.server.ApiException;
import io.hindsight.server.schema.Column;
import io.hindsight.server.schema.ColumnType;
import io.hindsight.server.schema.EndpointSchema;
import io.hindsight.server.schema.JsonText;
import io.hindsight.server.schema.Row;
import io.hindsight.server.schema.SchemaRegistry;
import io.hindsight.server.schema.Table;
import io.hindsight.server.wal.GrowableBuffer;
import io.hindsight.server.wal.RowCodec;
import io.hindsight.server.wal.WalEntry;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Pattern;
import java.util.zip.ZipException;

/**
 * What the ingest path promises for any body at all (DESIGN §4, §6): reading either refuses the
 * whole body with a 4xx {@link ApiException} (or an {@link EOFException} / {@link ZipException},
 * which the HTTP layer answers with 400), or yields records that are each rejected with a reason or
 * turned into a row that respects the key rules, the value types and the limits. Anything else
 * escaping, an {@link IllegalStateException}, an {@link ArithmeticException}, a
 * {@link StackOverflowError}, is what the server would answer with a 500, and is a finding.
 *
 * <p>Shared by the fuzz tests and the hostile-corpus generator so both judge bodies alike.
 */
final class IngestInvariants {
  static final Pattern KEY = Pattern.compile("[A-Za-z][A-Za-z0-9_]{0,127}");
  /** One day, the furthest ahead of the server's clock a record's ts may be. */
  private static final long MAX_FUTURE_MICROS = 24L * 3600 * 1_000_000;

  private static final JsonFactory DEPTH_PROBE =
      JsonFactory.builder()
          .streamReadConstraints(StreamReadConstraints.builder().maxNestingDepth(Integer.MAX_VALUE).build())
          .build();

  private final IngestLimits limits;
  private final BodyReader reader;
  private final RecordNormalizer normalizer;
  private final ObjectMapper json = new ObjectMapper().findAndRegisterModules();
  private final Path catalog;
  private final AtomicLong ids = new AtomicLong();
  private SchemaRegistry schemas;
  private long bodies;

  IngestInvariants(IngestLimits limits) {
    this.limits = limits;
    this.reader = new BodyReader(limits);
    // One id per record and table, the same for both ways of normalizing it (see checkRecords).
    this.normalizer = new RecordNormalizer(json, limits, () -> "fuzz-" + ids.get());
    try {
      this.catalog = Files.createTempDirectory("hindsight-fuzz-catalog");
      Runtime.getRuntime().addShutdownHook(new Thread(() -> deleteQuietly(catalog)));
      this.schemas = new SchemaRegistry(catalog, json);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static void deleteQuietly(Path dir) {
    try (var paths = Files.walk(dir)) {
      paths.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException | UncheckedIOException ignored) {
      // a temporary folder; the OS cleans up what is left
    }
  }

  IngestLimits limits() {
    return limits;
  }

  /** How a body was answered as a whole. */
  enum Verdict {
    /** Read; each record was accepted or rejected on its own (the server answers 200). */
    READ,
    /** Refused as a whole with a 4xx. */
    REFUSED
  }

  /**
   * Reads a body the way the server does and checks every outcome; throws on anything the
   * contract does not allow. {@code body} is consumed.
   */
  Verdict check(InputStream body, boolean ndjson) throws IOException {
    return check(body, ndjson ? IngestService.Format.NDJSON : IngestService.Format.JSON);
  }

  /** As {@link #check(InputStream, boolean)}, for a body of any format. */
  Verdict check(InputStream body, IngestService.Format format) throws IOException {
    List<ParsedRecord> parsed;
    try {
      parsed = switch (format) {
        case NDJSON -> reader.readNdjson(body);
        case SMILE -> reader.readSmile(body);
        case JSON -> reader.readJson(body);
      };
    } catch (ApiException e) {
      if (e.status() < 400 || e.status() > 499) {
        throw new AssertionError("a body was refused with status " + e.status() + ", not a 4xx: " + e.getMessage(), e);
      }
      if (e.getMessage() == null || e.getMessage().isBlank()) {
        throw new AssertionError("a refusal with status " + e.status() + " has no message", e);
      }
      return Verdict.REFUSED;
    } catch (ZipException | EOFException e) {
      // The HTTP layer answers these with 400 "the body could not be read".
      return Verdict.REFUSED;
    }
    // Jackson's own exceptions and any other IOException are not caught: the server answers 500.
    checkRecords(parsed);
    return Verdict.READ;
  }

  private void checkRecords(List<ParsedRecord> parsed) {
    if (++bodies % 5_000 == 0) {
      freshSchemas(); // keeps a long fuzz session from growing one schema without bound
    }
    long now = 1_795_000_000_000_000L;
    int expectedIndex = 0;
    for (ParsedRecord p : parsed) {
      if (p.index() != expectedIndex++) {
        throw new AssertionError("record indexes are not 0, 1, 2...: got " + p.index() + " at " + (expectedIndex - 1));
      }
      if (p.error() != null) {
        if (p.fields() != null || p.reason() == null || p.reason().isBlank() || p.error().isBlank()) {
          throw new AssertionError("a failed record needs a reason and a message and no fields: " + p);
        }
        continue;
      }
      if (p.fields() == null) {
        throw new AssertionError("a record has neither fields nor an error: " + p);
      }
      Map<String, Object> fields = p.fields().toMap();
      checkParsedValue(fields, 1);
      for (Table table : Table.values()) {
        EndpointSchema schema = schemas.schema(table, "fuzz");
        ids.incrementAndGet();
        // The ingest path writes a record straight into its log entry; the row built as a map
        // (as an audited endpoint's is) must come out byte for byte the same.
        WalEntry.Builder entry = new WalEntry.Builder(1024);
        entry.beginRow(table, "fuzz");
        RecordNormalizer.Result written =
            normalizer.normalize(table, schema, p.fields(), now, new RecordNormalizer.NewColumns(), entry::put);
        if (written.error() != null) {
          entry.abandonRow();
        } else {
          entry.endRow(written.tsMicros());
        }
        RecordNormalizer.Outcome o = normalizer.normalize(table, schema, p.fields(), now, new RecordNormalizer.NewColumns());
        if (o.row() == null) {
          if (o.reason() == null || o.reason().isBlank() || o.error() == null || o.error().isBlank()) {
            throw new AssertionError("a rejection needs a reason and a message: " + o);
          }
          if (!o.reason().equals(written.reason()) || entry.rows() != 0 || entry.size() != 0) {
            throw new AssertionError("written into an entry, the record was " + written + " with " + entry.size()
                + " bytes left, but as a row " + o);
          }
        } else {
          if (o.error() != null) {
            throw new AssertionError("an accepted row also carries an error: " + o);
          }
          checkRow(table, schema, o.row(), fields, now);
          GrowableBuffer expected = new GrowableBuffer(entry.size());
          RowCodec.encode(o.row(), expected);
          if (written.error() != null || !expected.asByteBuffer().equals(entryRows(entry))) {
            throw new AssertionError("written into an entry, the record differs from its row " + o.row() + ": " + written);
          }
        }
      }
    }
  }

  /** The bytes of an entry's rows, after its key, answer and row count. */
  private static ByteBuffer entryRows(WalEntry.Builder entry) {
    ByteBuffer rows = WalEntry.rowsOf(entry.encode(null, null, false));
    rows.getInt();
    return rows.slice();
  }

  private void freshSchemas() {
    try {
      schemas = new SchemaRegistry(Files.createTempDirectory(catalog, "s"), json);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static int depthOf(com.fasterxml.jackson.databind.JsonNode n) {
    if (!n.isContainerNode()) {
      return 0;
    }
    int max = 0;
    for (com.fasterxml.jackson.databind.JsonNode c : n) {
      max = Math.max(max, depthOf(c));
    }
    return 1 + max;
  }

  /** Parsed values are plain Java values within the depth limit (the record object is level 1). */
  private void checkParsedValue(Object v, int depth) {
    if (v == null || v instanceof Boolean || v instanceof Long || v instanceof String) {
      return;
    }
    if (v instanceof Double) {
      if (!Double.isFinite((Double) v)) {
        throw new AssertionError("a parsed number is not finite: " + v);
      }
      return;
    }
    if (v instanceof io.hindsight.server.schema.JsonText) {
      // Nested values arrive as their JSON text: it must parse back, within the depth limit.
      com.fasterxml.jackson.databind.JsonNode tree;
      try {
        tree = json.readTree(((io.hindsight.server.schema.JsonText) v).json());
      } catch (IOException e) {
        throw new AssertionError("nested JSON text does not parse back: " + v, e);
      }
      if (tree == null || !(tree.isArray() || tree.isObject())) {
        throw new AssertionError("nested JSON text is not an array or object: " + v);
      }
      int deepest = depth - 1 + depthOf(tree);
      if (deepest > limits.maxDepth()) {
        throw new AssertionError("nested JSON text reaches level " + deepest + ", over " + limits.maxDepth());
      }
      return;
    }
    if (v instanceof Map || v instanceof List) {
      if (depth > limits.maxDepth()) {
        throw new AssertionError("a parsed record is nested " + depth + " levels deep, over " + limits.maxDepth());
      }
      Iterable<?> children = v instanceof Map ? ((Map<?, ?>) v).values() : (List<?>) v;
      for (Object c : children) {
        checkParsedValue(c, depth + 1);
      }
      return;
    }
    throw new AssertionError("a parsed value has type " + v.getClass().getName());
  }

  private void checkRow(Table table, EndpointSchema schema, Row row, Map<String, Object> fields, long now) {
    if (row.table() != table || !"fuzz".equals(row.endpoint())) {
      throw new AssertionError("row for the wrong table or endpoint: " + row);
    }
    if (row.tsMicros() < 0 || row.tsMicros() > now + MAX_FUTURE_MICROS) {
      throw new AssertionError("row ts " + row.tsMicros() + " is outside 1970 .. now + 1 day");
    }
    int userKeys = 0;
    for (Map.Entry<String, Object> e : row.values().entrySet()) {
      String key = e.getKey();
      Object v = e.getValue();
      if (table.isSystemColumn(key)) {
        checkSystemValue(key, v);
        continue;
      }
      userKeys++;
      if (!KEY.matcher(key).matches()) {
        throw new AssertionError("accepted user key '" + key + "' does not match " + KEY);
      }
      if (table.isReserved(key)) {
        throw new AssertionError("accepted user key '" + key + "' is reserved in " + table);
      }
      if (!(v instanceof Boolean || v instanceof Long || v instanceof Double || v instanceof String || v instanceof JsonText)) {
        throw new AssertionError("user key '" + key + "' has a value of type " + (v == null ? "null" : v.getClass().getName()));
      }
      if (v instanceof Double && !Double.isFinite((Double) v)) {
        throw new AssertionError("user key '" + key + "' holds " + v);
      }
      Column column = schema.column(key);
      if (column == null || !column.name().equals(key)) {
        throw new AssertionError("row key '" + key + "' is not the canonical name of a schema column: " + column);
      }
      if (ColumnType.of(v) != column.type()) {
        throw new AssertionError(
            "row key '" + key + "' holds a " + ColumnType.of(v).publicName() + " in a " + column.type().publicName() + " column");
      }
      if (v instanceof JsonText) {
        checkJsonText(key, ((JsonText) v).json());
      }
    }
    if (userKeys > limits.maxKeys()) {
      throw new AssertionError("row has " + userKeys + " user keys, over the limit of " + limits.maxKeys());
    }
    if (table != Table.EVENTS) {
      checkNothingDropped(schema, row, fields);
    }
  }

  /** DESIGN §6: every non-null value of 'data' lands in its column or in _conflicts. */
  private void checkNothingDropped(EndpointSchema schema, Row row, Map<String, Object> fields) {
    Map<?, ?> data = (Map<?, ?>) fields.get("data");
    JsonText conflicts = (JsonText) row.values().get("_conflicts");
    Map<?, ?> conflicted = Map.of();
    if (conflicts != null) {
      try {
        conflicted = json.readValue(conflicts.json(), Map.class);
      } catch (IOException e) {
        throw new AssertionError("_conflicts is not a JSON object: " + conflicts.json(), e);
      }
    }
    for (Map.Entry<?, ?> e : data.entrySet()) {
      if (e.getValue() == null) {
        continue;
      }
      Column c = schema.column((String) e.getKey());
      if (c == null) {
        throw new AssertionError("key '" + e.getKey() + "' was accepted but has no column");
      }
      boolean inColumn = row.values().containsKey(c.name());
      boolean inConflicts = conflicted.containsKey(c.name());
      if (inColumn == inConflicts) {
        throw new AssertionError(
            "key '" + e.getKey() + "' must be in its column or in _conflicts, exactly once (column: " + inColumn
                + ", _conflicts: " + inConflicts + ")");
      }
    }
  }

  private void checkSystemValue(String key, Object v) {
    switch (key) {
      case "prediction_id":
        if (!(v instanceof String) || ((String) v).isEmpty() || ((String) v).length() > RecordNormalizer.MAX_ID_LENGTH
            || ((String) v).chars().anyMatch(Character::isISOControl)) {
          throw new AssertionError("bad prediction_id in an accepted row: " + v);
        }
        break;
      case "model_version":
      case "request_id":
      case "kind":
        if (v != null && (!(v instanceof String) || ((String) v).length() > RecordNormalizer.MAX_LABEL_LENGTH)) {
          throw new AssertionError("bad " + key + " in an accepted row: " + v);
        }
        break;
      case "text":
      case "error":
        if (v != null && !(v instanceof String)) {
          throw new AssertionError("bad " + key + " in an accepted row: " + v);
        }
        break;
      case "tags":
        if (v != null) {
          for (Map.Entry<?, ?> t : ((Map<?, ?>) v).entrySet()) {
            if (!(t.getKey() instanceof String) || !(t.getValue() instanceof String)
                || ((String) t.getKey()).length() > RecordNormalizer.MAX_LABEL_LENGTH
                || ((String) t.getValue()).length() > RecordNormalizer.MAX_LABEL_LENGTH) {
              throw new AssertionError("bad tag in an accepted row: " + t);
            }
          }
        }
        break;
      case "latency_ms":
        if (v != null && (!(v instanceof Double) || !((Double) v >= 0) || ((Double) v).isInfinite())) {
          throw new AssertionError("bad latency_ms in an accepted row: " + v);
        }
        break;
      case "status":
        if (!"ok".equals(v) && !"error".equals(v)) {
          throw new AssertionError("bad status in an accepted row: " + v);
        }
        break;
      case "sample_rate":
        if (!(v instanceof Double) || !((Double) v > 0 && (Double) v <= 1)) {
          throw new AssertionError("bad sample_rate in an accepted row: " + v);
        }
        break;
      case "_conflicts":
      case "data":
        if (v != null) {
          if (!(v instanceof JsonText)) {
            throw new AssertionError(key + " is not JSON text: " + v);
          }
          checkJsonText(key, ((JsonText) v).json());
        }
        break;
      default:
        throw new AssertionError("unexpected system column in a row: " + key.toLowerCase(Locale.ROOT));
    }
  }

  /** Stored JSON text parses back and is no deeper than a record may be. */
  private void checkJsonText(String key, String text) {
    int depth = 0;
    int max = 0;
    try (JsonParser p = DEPTH_PROBE.createParser(text)) {
      JsonToken t;
      while ((t = p.nextToken()) != null) {
        if (t == JsonToken.START_OBJECT || t == JsonToken.START_ARRAY) {
          max = Math.max(max, ++depth);
        } else if (t == JsonToken.END_OBJECT || t == JsonToken.END_ARRAY) {
          depth--;
        }
      }
    } catch (IOException e) {
      throw new AssertionError("the JSON text stored for '" + key + "' does not parse back: " + text, e);
    }
    if (max > limits.maxDepth()) {
      throw new AssertionError("the JSON text stored for '" + key + "' is nested " + max + " deep, over " + limits.maxDepth());
    }
  }
}
