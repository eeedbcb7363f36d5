package io.hindsight.cli;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.MappingIterator;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectReader;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.csv.CsvMapper;
import com.fasterxml.jackson.dataformat.csv.CsvSchema;
import java.io.BufferedReader;
import java.io.Closeable;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;

/**
 * The records of one file, read one at a time so a large file never sits in memory. A bad line
 * never ends the reading: it comes out as an {@link Item} with its line number and the reason,
 * and the next line is read. Only when a JSON array or a CSV file is broken in a way that hides
 * where the next record starts does the file end early, with that said as its last item.
 *
 * <ul>
 *   <li>{@code .ndjson}, {@code .jsonl}: one JSON object per line.
 *   <li>{@code .csv}: a header row, then one record per row.
 *   <li>anything else: JSON, an array of objects or objects one after another.
 * </ul>
 *
 * Objects with a {@code data} object are records as the API takes them; others are flat records
 * (see {@link FlatRecords}).
 */
abstract class RecordFile implements Closeable {
  /** One record, or the reason the text at that line is not one. */
  record Item(long line, ObjectNode record, String error) {}

  private static final ObjectMapper JSON = new ObjectMapper();
  /** For one line: text after the first value makes the line bad. */
  private static final ObjectMapper LINE = new ObjectMapper().enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

  final String kind;

  private RecordFile(String kind) {
    this.kind = kind;
  }

  static RecordFile open(Path file, String kind) throws IOException {
    String name = file.getFileName().toString().toLowerCase(Locale.ROOT);
    if (name.endsWith(".csv")) {
      return new Csv(file, kind);
    }
    if (name.endsWith(".ndjson") || name.endsWith(".jsonl")) {
      return new Ndjson(file, kind);
    }
    return new Json(file, kind);
  }

  /** The next item, or null at the end of the file. */
  abstract Item next() throws IOException;

  Item record(long line, JsonNode value) {
    if (!value.isObject()) {
      return new Item(line, null, "not a JSON object but " + value.getNodeType().name().toLowerCase(Locale.ROOT));
    }
    return new Item(line, FlatRecords.fromJson((ObjectNode) value, kind), null);
  }

  /** Jackson's reason without its position and its hints for Java programmers. */
  static String reason(JsonProcessingException e) {
    String m = e.getOriginalMessage();
    if (m.startsWith("Non-standard token")) {
      return "not valid JSON: " + m.replaceAll(":? *enable `?JsonReadFeature.*$", "") + " (NaN and Infinity are not JSON numbers; write null)";
    }
    return "not valid JSON: " + m.replaceAll("\\s+", " ").trim();
  }

  /** One JSON value per line; blank lines are skipped. */
  private static final class Ndjson extends RecordFile {
    private final BufferedReader in;
    private long line;

    Ndjson(Path file, String kind) throws IOException {
      super(kind);
      this.in = Files.newBufferedReader(file, StandardCharsets.UTF_8);
    }

    @Override
    Item next() throws IOException {
      String text;
      do {
        text = in.readLine();
        line++;
      } while (text != null && text.isBlank());
      if (text == null) {
        return null;
      }
      try {
        return record(line, LINE.readTree(text));
      } catch (JsonProcessingException e) {
        return new Item(line, null, reason(e));
      }
    }

    @Override
    public void close() throws IOException {
      in.close();
    }
  }

  /** A JSON array of records, or records one after another. */
  private static final class Json extends RecordFile {
    private final JsonParser parser;
    private boolean started;
    private boolean inArray;
    private boolean ended;

    Json(Path file, String kind) throws IOException {
      super(kind);
      this.parser = JSON.getFactory().createParser(file.toFile());
    }

    @Override
    Item next() throws IOException {
      if (ended) {
        return null;
      }
      long line = parser.currentLocation().getLineNr();
      try {
        JsonToken t = parser.nextToken();
        if (!started && t == JsonToken.START_ARRAY) {
          inArray = true;
          t = parser.nextToken();
        }
        started = true;
        if (t == null || (inArray && t == JsonToken.END_ARRAY)) {
          ended = true;
          return null;
        }
        line = parser.currentTokenLocation().getLineNr();
        return record(line, JSON.readTree(parser));
      } catch (JsonProcessingException e) {
        ended = true;
        long at = e.getLocation() == null ? line : e.getLocation().getLineNr();
        return new Item(at, null, reason(e) + "; the rest of the file cannot be read");
      }
    }

    @Override
    public void close() throws IOException {
      parser.close();
    }
  }

  /** A header row, then records; empty cells are left out. */
  private static final class Csv extends RecordFile {
    private final MappingIterator<Map<String, String>> rows;
    private boolean ended;

    Csv(Path file, String kind) throws IOException {
      super(kind);
      ObjectReader reader = new CsvMapper().readerForMapOf(String.class).with(CsvSchema.emptySchema().withHeader());
      this.rows = reader.readValues(file.toFile());
    }

    @Override
    Item next() throws IOException {
      if (ended) {
        return null;
      }
      try {
        if (!rows.hasNextValue()) {
          ended = true;
          return null;
        }
        Map<String, String> row = rows.nextValue();
        return new Item(rows.getParser().currentTokenLocation().getLineNr(), FlatRecords.fromCsv(row, kind), null);
      } catch (JsonProcessingException e) {
        ended = true;
        long at = e.getLocation() == null ? -1 : e.getLocation().getLineNr();
        return new Item(at, null, "not valid CSV: " + e.getOriginalMessage() + "; the rest of the file is not read");
      }
    }

    @Override
    public void close() throws IOException {
      rows.close();
    }
  }
}
