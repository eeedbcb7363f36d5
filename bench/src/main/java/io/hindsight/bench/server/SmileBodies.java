package io.hindsight.bench.server;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.dataformat.smile.SmileFactory;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * JSON bodies as Smile (Jackson's binary JSON, {@code Content-Type: application/x-jackson-smile}),
 * written by Jackson from the JSON's tokens with the keys of a body written once and referred to
 * after (Smile's shared names, on by default), as a Jackson client's {@code ObjectMapper} over a
 * {@code SmileFactory} writes them.
 */
final class SmileBodies {
  static final String CONTENT_TYPE = "application/x-jackson-smile";

  private static final JsonFactory JSON = new JsonFactory();
  private static final SmileFactory SMILE = new SmileFactory();

  private SmileBodies() {}

  static byte[] of(byte[] json) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream(json.length / 2);
    try (JsonParser p = JSON.createParser(json); JsonGenerator g = SMILE.createGenerator(out)) {
      while (p.nextToken() != null) {
        g.copyCurrentEvent(p);
      }
    }
    return out.toByteArray();
  }

  /**
   * A JSON template as Smile, with where each record's id and ts are, so that sends stamp them in
   * place as they do in JSON: an id is its ASCII bytes after a one-byte header (Smile does not share
   * string values unless asked), a ts a millisecond integer of a fixed number of bytes.
   */
  static BatchTemplate template(BatchTemplate json) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream(json.length() / 2);
    List<Integer> ids = new ArrayList<>();
    List<Integer> ts = new ArrayList<>();
    int tsBytes = 0;
    long placeholder = System.currentTimeMillis();
    byte[] stamped = new byte[json.length()];
    json.stamp(stamped, IdStyle.ORDERED, placeholder); // the template's own placeholders are not JSON numbers
    try (JsonParser p = JSON.createParser(stamped); JsonGenerator g = SMILE.createGenerator(out)) {
      JsonToken t;
      while ((t = p.nextToken()) != null) {
        boolean top = p.getParsingContext().getParent() != null && p.getParsingContext().getParent().inArray();
        if (top && t.isScalarValue() && "ts".equals(p.currentName())) {
          g.flush();
          int at = out.size() + 1; // after the integer's type byte
          g.writeNumber(placeholder);
          g.flush();
          ts.add(at);
          tsBytes = out.size() - at;
          continue;
        }
        if (top && t == JsonToken.VALUE_STRING && "prediction_id".equals(p.currentName())) {
          g.flush();
          ids.add(out.size() + 1); // after the short string's header byte
        }
        g.copyCurrentEvent(p);
      }
    }
    BatchTemplate smile = new BatchTemplate(
        out.toByteArray(), ids.stream().mapToInt(Integer::intValue).toArray(), ts.stream().mapToInt(Integer::intValue).toArray(),
        tsBytes);
    check(smile);
    return smile;
  }

  /**
   * Writes {@code value} as Smile's variable-length integer of exactly {@code bytes} bytes: zigzag
   * encoded, seven bits a byte, most significant first, the last byte holding six bits and its top
   * bit set.
   */
  static void writeVInt(byte[] buf, int off, int bytes, long value) {
    long v = (value << 1) ^ (value >> 63);
    buf[off + bytes - 1] = (byte) (0x80 | (v & 0x3F));
    v >>>= 6;
    for (int i = bytes - 2; i >= 0; i--) {
      buf[off + i] = (byte) (v & 0x7F);
      v >>>= 7;
    }
    if (v != 0) {
      throw new IllegalArgumentException(value + " does not fit in " + bytes + " bytes");
    }
  }

  /** Stamps a copy and reads it back with Jackson: the offsets must land on the ids and times. */
  private static void check(BatchTemplate smile) throws IOException {
    byte[] buf = new byte[smile.length()];
    long now = System.currentTimeMillis();
    String lastId = smile.stamp(buf, IdStyle.ORDERED, now);
    int records = 0;
    String id = null;
    try (JsonParser p = SMILE.createParser(buf)) {
      JsonToken t;
      while ((t = p.nextToken()) != null) {
        if (t.isScalarValue() && "ts".equals(p.currentName()) && p.getLongValue() != now) {
          throw new IllegalStateException("a Smile template's ts did not stamp: " + p.getText());
        }
        if (t.isScalarValue() && "prediction_id".equals(p.currentName())) {
          id = p.getText();
          records++;
        }
      }
    }
    if (records != smile.records() || !lastId.equals(id)) {
      throw new IllegalStateException("a Smile template's ids did not stamp: " + id + " against " + lastId);
    }
  }
}
