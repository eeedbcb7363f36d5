package io.hindsight.server.ingest;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.io.NumberOutput;
import com.fasterxml.jackson.dataformat.smile.SmileFactory;
import io.hindsight.server.ApiException;
import io.hindsight.server.schema.CanonicalJson;
import io.hindsight.server.schema.JsonText;
import java.io.ByteArrayOutputStream;
import java.io.CharConversionException;
import java.io.IOException;
import java.io.InputStream;
import java.io.PushbackInputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/**
 * Reads a request body (one JSON object, a JSON array of objects, NDJSON, or the same values as
 * Smile, Jackson's binary JSON) into records, one at a time with Jackson's streaming parser. A
 * record that breaks a rule (too deep, too large, duplicate key, a number beyond double range) is
 * marked failed and reading goes on; only a body that cannot be parsed at all fails the request.
 * A record's fields become null, Boolean, Long, Double, String, {@link RecordFields} (objects) and
 * ArrayList; arrays and objects nested below them become {@link JsonText}.
 */
final class BodyReader {
  /** Jackson's own depth guard, far above the per-record limit so deep records fail one by one. */
  private static final int PARSER_MAX_DEPTH = 100_000;

  private static final StreamReadConstraints CONSTRAINTS =
      StreamReadConstraints.builder()
          .maxNestingDepth(PARSER_MAX_DEPTH)
          // A long string is judged by the record limit, per record; Jackson's own cap (20 MB)
          // would instead fail the whole body, valid JSON and good records with it.
          .maxStringLength(Integer.MAX_VALUE)
          .build();

  private static final JsonFactory FACTORY =
      JsonFactory.builder()
          .enable(com.fasterxml.jackson.core.StreamReadFeature.USE_FAST_DOUBLE_PARSER)
          .streamReadConstraints(CONSTRAINTS)
          .build();

  private static final SmileFactory SMILE = SmileFactory.builder().streamReadConstraints(CONSTRAINTS).build();

  /** The first bytes of a Smile body (":)\n"); Jackson checks them only for a body in memory. */
  private static final byte[] SMILE_HEADER = {':', ')', '\n'};

  /**
   * Depth from which arrays and objects are kept as JSON text: the record is level 1, its fields
   * (such as {@code data} and {@code tags}) level 2, the values of those fields level 3.
   */
  static final int NESTED_AS_TEXT_DEPTH = 3;

  private final IngestLimits limits;

  BodyReader(IngestLimits limits) {
    this.limits = limits;
  }

  /** A JSON object or array body, as a list (for tests and tools; the server streams). */
  List<ParsedRecord> readJson(InputStream body) throws IOException {
    List<ParsedRecord> out = new ArrayList<>();
    readJson(body, out::add);
    return out;
  }

  /** A Smile body, as a list (for tests and tools; the server streams). */
  List<ParsedRecord> readSmile(InputStream body) throws IOException {
    List<ParsedRecord> out = new ArrayList<>();
    readSmile(body, out::add, false);
    return out;
  }

  /** NDJSON, as a list (for tests and tools; the server streams). */
  List<ParsedRecord> readNdjson(InputStream body) throws IOException {
    List<ParsedRecord> out = new ArrayList<>();
    readNdjson(body, out::add);
    return out;
  }

  /**
   * Reads a JSON object or array body and hands each record to {@code out} as soon as it is read,
   * so a request never holds more than one parsed record.
   */
  void readJson(InputStream body, Consumer<ParsedRecord> out) throws IOException {
    readJson(body, out, false);
  }

  /**
   * As {@link #readJson(InputStream, Consumer)}; with {@code canonical}, nested values come as
   * RFC 8785 text (as an audited endpoint stores them), written once from the parser's tokens.
   */
  void readJson(InputStream body, Consumer<ParsedRecord> out, boolean canonical) throws IOException {
    try (JsonParser p = FACTORY.createParser(new Utf8CheckingInputStream(body))) {
      readDocument(p, out, new Reading(canonical, false));
    } catch (JsonProcessingException e) {
      throw ApiException.badRequest(
          "the body is not valid JSON: " + jacksonMessage(e) + " " + where(e) + "; nothing was stored");
    } catch (CharConversionException e) {
      throw ApiException.badRequest("the body is not valid UTF-8: " + e.getMessage() + "; nothing was stored");
    }
  }

  /**
   * As {@link #readJson(InputStream, Consumer, boolean)} for a Smile body (Jackson's binary JSON,
   * header included): the same records, values and rules. What Smile holds and JSON cannot (raw
   * binary, NaN and infinities) fails the record that holds it.
   */
  void readSmile(InputStream body, Consumer<ParsedRecord> out, boolean canonical) throws IOException {
    PushbackInputStream in = new PushbackInputStream(body, SMILE_HEADER.length);
    byte[] start = in.readNBytes(SMILE_HEADER.length);
    if (!java.util.Arrays.equals(start, SMILE_HEADER)) {
      throw ApiException.badRequest("the body is not valid Smile: it does not start with the Smile header ':)\\n'"
          + (start.length > 0 && (start[0] == '{' || start[0] == '[') ? " (it looks like JSON: send it as application/json)" : "")
          + "; nothing was stored");
    }
    in.unread(start);
    try (JsonParser p = SMILE.createParser(in)) {
      readDocument(p, out, new Reading(canonical, true));
    } catch (JsonProcessingException e) {
      throw ApiException.badRequest(
          "the body is not valid Smile: " + jacksonMessage(e) + " (at byte " + byteOffset(e) + "); nothing was stored");
    }
  }

  /** A body of one object or an array of objects, each handed to {@code out} as soon as it is read. */
  private void readDocument(JsonParser p, Consumer<ParsedRecord> out, Reading reading) throws IOException {
    JsonToken first = p.nextToken();
    if (first == null) {
      throw ApiException.badRequest(
          "the body is empty; send one JSON object, a JSON array of objects, or NDJSON");
    }
    if (first == JsonToken.START_OBJECT) {
      out.accept(readRecord(p, 0, reading));
    } else if (first == JsonToken.START_ARRAY) {
      int index = 0;
      JsonToken t;
      while ((t = p.nextToken()) != JsonToken.END_ARRAY) {
        if (t == null) {
          throw ApiException.badRequest("the JSON array is not closed; the body ends early");
        }
        out.accept(readRecord(p, index++, reading));
      }
    } else {
      throw ApiException.badRequest(
          "the body must be a JSON object or a JSON array of objects, but it starts with "
              + describe(first));
    }
    if (p.nextToken() != null) {
      throw ApiException.badRequest(
          "the body has more after its JSON value; to send several records use a JSON array"
              + " or NDJSON (Content-Type: application/x-ndjson)");
    }
  }

  /**
   * One JSON object per line, each handed to {@code out} as soon as it is read; a bad line rejects
   * only that record. Blank lines are skipped.
   */
  void readNdjson(InputStream body, Consumer<ParsedRecord> out) throws IOException {
    readNdjson(body, out, false);
  }

  /** As {@link #readNdjson(InputStream, Consumer)}; {@code canonical} as for {@link #readJson}. */
  void readNdjson(InputStream body, Consumer<ParsedRecord> out, boolean canonical) throws IOException {
    LineReader lines = new LineReader(body, limits.maxRecordBytes());
    Reading reading = new Reading(canonical, false);
    int index = 0;
    boolean any = false;
    byte[] line;
    while ((line = lines.next()) != null) {
      any = true;
      if (lines.overLong()) {
        out.accept(ParsedRecord.failed(index++, "too_large", recordTooLarge()));
        continue;
      }
      if (isBlank(line)) {
        continue;
      }
      int i = index++;
      String badUtf8 = Utf8CheckingInputStream.problem(line);
      if (badUtf8 != null && i == 0 && contains(line, (byte) 0)) {
        // The body's encoding, not one record, is wrong: every line would fail the same way.
        throw ApiException.badRequest("the body is not valid UTF-8: " + badUtf8 + "; nothing was stored");
      }
      if (badUtf8 != null) {
        out.accept(ParsedRecord.failed(i, "invalid_utf8", "the line is not valid UTF-8: " + badUtf8));
        continue;
      }
      try (JsonParser p = FACTORY.createParser(line)) {
        p.nextToken();
        ParsedRecord r = readRecord(p, i, reading);
        if (r.error() == null && p.nextToken() != null) {
          r = ParsedRecord.failed(i, "invalid_json", "the line has more after its JSON object; put one record per line");
        }
        out.accept(r);
      } catch (JsonProcessingException e) {
        out.accept(ParsedRecord.failed(i, "invalid_json", "the line is not valid JSON: " + jacksonMessage(e)));
      } catch (CharConversionException e) {
        out.accept(ParsedRecord.failed(i, "invalid_utf8", "the line is not valid UTF-8: " + e.getMessage()));
      }
    }
    if (!any) {
      throw ApiException.badRequest("the body is empty; send one JSON object per line");
    }
  }

  private ParsedRecord readRecord(JsonParser p, int index, Reading reading) throws IOException {
    long start = p.currentTokenLocation().getByteOffset();
    JsonToken first = p.currentToken();
    if (first != JsonToken.START_OBJECT) {
      p.skipChildren();
      return ParsedRecord.failed(index, "not_object", "each record must be a JSON object, but this one is " + describe(first));
    }
    Problems problems = new Problems(reading);
    RecordFields fields = (RecordFields) readValue(p, 1, problems);
    long size = p.currentLocation().getByteOffset() - start;
    if (size > limits.maxRecordBytes()) {
      return ParsedRecord.failed(index, "too_large", recordTooLarge());
    }
    if (problems.first != null) {
      return ParsedRecord.failed(index, problems.reason, problems.first);
    }
    return ParsedRecord.ok(index, fields);
  }

  private String recordTooLarge() {
    return "the record is larger than the limit of "
        + limits.maxRecordBytes()
        + " bytes (ingest.max-record-bytes); split it or log large payloads by reference";
  }

  /**
   * Past the depth limit, records the problem and skips the object or array at the current token
   * instead of recursing into it; returns whether it did.
   */
  private boolean skippedTooDeep(JsonParser p, int depth, Problems problems) throws IOException {
    if (depth <= limits.maxDepth()) {
      return false;
    }
    problems.add(
        "too_deep",
        "the record is nested deeper than " + limits.maxDepth() + " levels (ingest.max-depth); flatten it");
    p.skipChildren();
    return true;
  }

  /** Reads the value at the current token; past the depth limit it skips instead of recursing. */
  private Object readValue(JsonParser p, int depth, Problems problems) throws IOException {
    JsonToken t = endedEarly(p.currentToken());
    switch (t) {
      case START_OBJECT:
      case START_ARRAY:
        if (skippedTooDeep(p, depth, problems)) {
          return null;
        }
        if (depth >= NESTED_AS_TEXT_DEPTH) {
          return capture(p, depth, problems);
        }
        if (t == JsonToken.START_ARRAY) {
          List<Object> list = new ArrayList<>();
          while (p.nextToken() != JsonToken.END_ARRAY) {
            list.add(readValue(p, depth + 1, problems));
          }
          return list;
        }
        boolean data = depth == 2 && "data".equals(p.currentName());
        RecordFields fields = new RecordFields(depth == 1 ? 16 : data ? problems.reading.dataKeysHint : 8);
        while (p.nextToken() == JsonToken.FIELD_NAME) {
          String key = p.currentName();
          if (hasLoneSurrogate(key)) {
            problems.add("invalid_unicode", "a key holds an unpaired surrogate escape; send valid Unicode");
          }
          p.nextToken();
          if (!fields.add(key, readValue(p, depth + 1, problems))) {
            problems.add("duplicate_key", "key '" + key + "' appears twice in one object; send it once");
          }
        }
        endedEarly(p.currentToken());
        if (data) {
          problems.reading.dataKeysHint = Math.max(problems.reading.dataKeysHint, fields.size());
        }
        return fields;
      case VALUE_STRING:
        return checkedString(p, problems);
      case VALUE_NUMBER_INT:
        if (p.getNumberType() == JsonParser.NumberType.BIG_INTEGER) {
          return finite(p, problems);
        }
        return p.getLongValue();
      case VALUE_NUMBER_FLOAT:
        return finite(p, problems);
      case VALUE_EMBEDDED_OBJECT:
        binary(problems);
        return null;
      case VALUE_TRUE:
        return Boolean.TRUE;
      case VALUE_FALSE:
        return Boolean.FALSE;
      case VALUE_NULL:
        return null;
      default:
        throw new IllegalStateException("unexpected token " + t);
    }
  }

  /**
   * Reads an array or object below a record's own fields (a value inside {@code data}) straight
   * into its compact JSON text, checking it as it goes: nested values are stored as JSON text
   * anyway, and building maps and boxed numbers only to format them again costs time and garbage.
   * Strings are escaped minimally (as RFC 8785 does), numbers kept as they were written. For an
   * audited endpoint ({@link Reading#canonical}) the text is the value's RFC 8785 form: keys in
   * UTF-16 order, numbers as ECMAScript writes them; putting parsed text in that form afterwards
   * cost an audited record more than all of the rest of its reading.
   */
  private JsonText capture(JsonParser p, int depth, Problems problems) throws IOException {
    StringBuilder out = problems.reading.text;
    out.setLength(0);
    copy(p, depth, problems, out);
    return new JsonText(out.toString(), problems.reading.canonical);
  }

  private void copy(JsonParser p, int depth, Problems problems, StringBuilder out) throws IOException {
    JsonToken t = endedEarly(p.currentToken());
    switch (t) {
      case START_OBJECT:
      case START_ARRAY:
        if (skippedTooDeep(p, depth, problems)) {
          out.append("null");
          return;
        }
        if (t == JsonToken.START_ARRAY) {
          out.append('[');
          boolean first = true;
          while (p.nextToken() != JsonToken.END_ARRAY) {
            if (!first) {
              out.append(',');
            }
            first = false;
            copy(p, depth + 1, problems, out);
          }
          out.append(']');
        } else if (problems.reading.canonical) {
          canonicalObject(p, depth, problems, out);
        } else {
          compactObject(p, depth, problems, out);
        }
        return;
      case VALUE_STRING:
        CanonicalJson.string(out, checkedString(p, problems));
        return;
      case VALUE_NUMBER_INT:
      case VALUE_NUMBER_FLOAT:
        String number = checkedNumber(p, problems);
        if (number == null) {
          out.append("null");
        } else if (!problems.reading.canonical) {
          out.append(number);
        } else if (!CanonicalJson.plainNumber(out, number)) {
          // The parser's double reading is the faster; a Smile number's text is its double's.
          CanonicalJson.number(out, problems.reading.smile ? Double.parseDouble(number) : p.getDoubleValue());
        }
        return;
      case VALUE_EMBEDDED_OBJECT:
        binary(problems);
        out.append("null");
        return;
      case VALUE_TRUE:
        out.append("true");
        return;
      case VALUE_FALSE:
        out.append("false");
        return;
      case VALUE_NULL:
        out.append("null");
        return;
      default:
        throw new IllegalStateException("unexpected token " + t);
    }
  }

  /** Writes an object's members as they come. */
  private void compactObject(JsonParser p, int depth, Problems problems, StringBuilder out) throws IOException {
    out.append('{');
    RecordFields keys = null;
    while (p.nextToken() == JsonToken.FIELD_NAME) {
      String key = p.currentName();
      if (keys == null) {
        keys = new RecordFields(4);
      } else {
        out.append(',');
      }
      if (!keys.add(key, null)) {
        problems.add("duplicate_key", "key '" + key + "' appears twice in one object; send it once");
      }
      if (hasLoneSurrogate(key)) {
        problems.add("invalid_unicode", "a key holds an unpaired surrogate escape; send valid Unicode");
      }
      CanonicalJson.string(out, key);
      out.append(':');
      p.nextToken();
      copy(p, depth + 1, problems, out);
    }
    endedEarly(p.currentToken());
    out.append('}');
  }

  /**
   * Writes an object's members as they come and, only if their keys did not come in order, sorts
   * the written members afterwards (a duplicate key shows as two equal neighbours).
   */
  private void canonicalObject(JsonParser p, int depth, Problems problems, StringBuilder out) throws IOException {
    int open = out.length();
    out.append('{');
    List<String> keys = new ArrayList<>();
    List<Integer> starts = new ArrayList<>();
    boolean ordered = true;
    while (p.nextToken() == JsonToken.FIELD_NAME) {
      String key = p.currentName();
      if (hasLoneSurrogate(key)) {
        problems.add("invalid_unicode", "a key holds an unpaired surrogate escape; send valid Unicode");
      }
      if (!keys.isEmpty()) {
        ordered &= keys.get(keys.size() - 1).compareTo(key) < 0;
        out.append(',');
      }
      keys.add(key);
      starts.add(out.length());
      CanonicalJson.string(out, key);
      out.append(':');
      p.nextToken();
      copy(p, depth + 1, problems, out);
    }
    endedEarly(p.currentToken());
    if (!ordered) {
      sortMembers(out, open, keys, starts, problems);
    }
    out.append('}');
  }

  private static void sortMembers(StringBuilder out, int open, List<String> keys, List<Integer> starts, Problems problems) {
    int n = keys.size();
    String[] members = new String[n];
    for (int i = 0; i < n; i++) {
      int end = i + 1 < n ? starts.get(i + 1) - 1 : out.length(); // up to the next member's comma
      members[i] = out.substring(starts.get(i), end);
    }
    Integer[] order = new Integer[n];
    for (int i = 0; i < n; i++) {
      order[i] = i;
    }
    // String order is UTF-16 code unit order, which RFC 8785 §3.2.3 asks for.
    java.util.Arrays.sort(order, (a, b) -> keys.get(a).compareTo(keys.get(b)));
    out.setLength(open + 1);
    for (int i = 0; i < n; i++) {
      if (i > 0) {
        out.append(',');
        if (keys.get(order[i]).equals(keys.get(order[i - 1]))) {
          problems.add("duplicate_key", "key '" + keys.get(order[i]) + "' appears twice in one object; send it once");
        }
      }
      out.append(members[order[i]]);
    }
  }

  /** The string at the current token; an unpaired surrogate in it is the record's problem. */
  private static String checkedString(JsonParser p, Problems problems) throws IOException {
    String text = p.getText();
    if (hasLoneSurrogate(text)) {
      problems.add(
          "invalid_unicode", "a string holds an unpaired surrogate escape (such as \\ud800); send valid Unicode");
    }
    return text;
  }

  /** The number token's text, or null (the record's problem) when it is beyond the range of a double. */
  private static String checkedNumber(JsonParser p, Problems problems) throws IOException {
    if (problems.reading.smile && p.currentToken() == JsonToken.VALUE_NUMBER_FLOAT) {
      // A binary number has no written form: a finite one is written as its shortest decimal
      // (Jackson's Schubfach writer, several times faster than Double.toString before Java 19).
      Double d = finite(p, problems);
      if (d == null) {
        return null;
      }
      return p.getNumberType() == JsonParser.NumberType.BIG_DECIMAL ? p.getText() : NumberOutput.toString(d, true);
    }
    String number = p.getText();
    // Only an exponent or hundreds of digits can leave double range; skip parsing the rest.
    if ((number.length() > 300 || number.indexOf('e') >= 0 || number.indexOf('E') >= 0) && finite(p, problems) == null) {
      return null;
    }
    return number;
  }

  /** JSON allows any \\u escape, but a lone half of a surrogate pair is not Unicode text. */
  static boolean hasLoneSurrogate(String s) {
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (Character.isHighSurrogate(c)) {
        if (i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1))) {
          i++;
        } else {
          return true;
        }
      } else if (Character.isLowSurrogate(c)) {
        return true;
      }
    }
    return false;
  }

  private static Double finite(JsonParser p, Problems problems) throws IOException {
    // A Smile float (32 bits) is the number it prints as, not its nearest double (0.1f is not 0.1).
    boolean float32 = problems.reading.smile && p.getNumberType() == JsonParser.NumberType.FLOAT;
    double d = float32 ? Double.parseDouble(p.getText()) : p.getDoubleValue();
    if (Double.isNaN(d)) {
      problems.add("number_range", "the number is NaN, which JSON cannot hold; send null or a string");
      return null;
    }
    if (Double.isInfinite(d)) {
      problems.add(
          "number_range",
          "the number " + abbreviate(p.getText()) + " is beyond the range of a double; send it as a string");
      return null;
    }
    return d;
  }

  /**
   * The token, unless the body ended inside a record: Jackson's JSON parser throws there, but
   * Smile's end marker ({@code 0xFF}) ends a body anywhere with no token at all.
   */
  private static JsonToken endedEarly(JsonToken t) {
    if (t == null) {
      throw ApiException.badRequest("the body ends inside a record (a value or a closing bracket is missing); nothing was stored");
    }
    return t;
  }

  /** Raw binary (Smile can carry it, JSON cannot) is the record's problem. */
  private static void binary(Problems problems) {
    problems.add("binary_value", "a value is raw binary, which JSON cannot hold; send it as base64 text");
  }

  private static String abbreviate(String s) {
    return s.length() <= 40 ? s : s.substring(0, 37) + "...";
  }

  private static String describe(JsonToken t) {
    if (t == JsonToken.START_ARRAY) {
      return "an array";
    }
    if (t == JsonToken.VALUE_STRING) {
      return "a string";
    }
    if (t == JsonToken.VALUE_NULL) {
      return "null";
    }
    if (t == JsonToken.VALUE_TRUE || t == JsonToken.VALUE_FALSE) {
      return "a boolean";
    }
    return "a number";
  }

  /** Jackson's message without its note on where the enclosing value started. */
  private static String jacksonMessage(JsonProcessingException e) {
    String m = e.getOriginalMessage();
    int note = m.indexOf(" (for ");
    return note > 0 ? m.substring(0, note) : m;
  }

  private static long byteOffset(JsonProcessingException e) {
    return e.getLocation() == null ? -1 : e.getLocation().getByteOffset();
  }

  private static String where(JsonProcessingException e) {
    return e.getLocation() == null
        ? ""
        : "(at line " + e.getLocation().getLineNr() + ", column " + e.getLocation().getColumnNr() + ")";
  }

  private static boolean contains(byte[] line, byte b) {
    for (byte x : line) {
      if (x == b) {
        return true;
      }
    }
    return false;
  }

  private static boolean isBlank(byte[] line) {
    for (byte b : line) {
      if (b != ' ' && b != '\t' && b != '\r') {
        return false;
      }
    }
    return true;
  }

  /** What the records of one body share while it is read. */
  private static final class Reading {
    /** Nested values as RFC 8785 text (an audited endpoint's records). */
    final boolean canonical;
    /** The body is Smile: numbers come as values, not text. */
    final boolean smile;
    /** The most keys a record's {@code data} had so far, to size the next one's. */
    int dataKeysHint = 8;
    /** Where a nested value's text is written, one at a time. */
    final StringBuilder text = new StringBuilder(256);

    Reading(boolean canonical, boolean smile) {
      this.canonical = canonical;
      this.smile = smile;
    }
  }

  /** One record's reading: the body's and the first problem found (the others would only repeat the lesson). */
  private static final class Problems {
    final Reading reading;
    String first;
    String reason;

    Problems(Reading reading) {
      this.reading = reading;
    }

    void add(String reason, String problem) {
      if (first == null) {
        first = problem;
        this.reason = reason;
      }
    }
  }

  /** Splits a stream on '\n' without holding more than one bounded line. */
  private static final class LineReader {
    private final InputStream in;
    private final int maxLine;
    private final byte[] buf = new byte[64 * 1024];
    private int pos;
    private int len;
    private boolean overLong;

    LineReader(InputStream in, int maxLine) {
      this.in = in;
      this.maxLine = maxLine;
    }

    boolean overLong() {
      return overLong;
    }

    byte[] next() throws IOException {
      ByteArrayOutputStream line = new ByteArrayOutputStream();
      overLong = false;
      boolean any = false;
      while (true) {
        if (pos == len) {
          len = in.read(buf);
          pos = 0;
          if (len <= 0) {
            len = 0;
            return any ? line.toByteArray() : null;
          }
        }
        any = true;
        int start = pos;
        while (pos < len && buf[pos] != '\n') {
          pos++;
        }
        if (!overLong) {
          if (line.size() + (pos - start) > maxLine) {
            overLong = true;
            line.reset();
          } else {
            line.write(buf, start, pos - start);
          }
        }
        if (pos < len) {
          pos++;
          return line.toByteArray();
        }
      }
    }
  }
}
