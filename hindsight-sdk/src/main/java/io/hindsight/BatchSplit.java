package io.hindsight;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.zip.GZIPInputStream;

/**
 * Splits a batch the server refused as a whole (413 over a size or gzip-ratio limit, or 400 for a
 * body it could not read) into two halves, so that resending them isolates the record it refused
 * and every other record still arrives. The body is the SDK's own output, an array of objects in
 * its body format, so the split only has to find where its top-level elements start and end.
 */
final class BatchSplit {
  private BatchSplit() {}

  /** Where each top-level element of a body starts and ends (just past its last byte). */
  record Elements(int[] starts, int[] ends) {}

  /** The two halves, in order, with idempotency keys derived from the parent's; null for one record. */
  static Batch[] halves(Batch batch) {
    if (batch.records < 2) {
      return null;
    }
    byte[] body = gunzip(batch.gzippedBody);
    Elements e = batch.format == BodyFormat.JSON
        ? jsonElements(body, batch.records)
        : SmileBodies.elements(body, batch.records);
    int mid = batch.records / 2;
    int last = batch.records - 1;
    return new Batch[] {
      half(batch, "-1", mid, body, e.starts[0], e.ends[mid - 1]),
      half(batch, "-2", batch.records - mid, body, e.starts[mid], e.ends[last])
    };
  }

  private static Batch half(Batch parent, String suffix, int records, byte[] body, int from, int to) {
    BodyOut out = parent.format.writer(to - from + 16);
    out.beginBody().bytes(body, from, to - from).endBody();
    return new Batch(parent.kind, parent.idempotencyKey + suffix, records, parent.format, Shipper.gzip(out.buffer(), out.size()));
  }

  /**
   * The elements of a JSON array. Strings are skipped with their escapes, so brackets and commas
   * inside them do not count.
   */
  static Elements jsonElements(byte[] json, int expected) {
    int[] starts = new int[expected];
    int[] ends = new int[expected];
    int found = 0;
    int depth = 0;
    boolean inString = false;
    for (int i = 0; i < json.length; i++) {
      byte c = json[i];
      if (inString) {
        if (c == '\\') {
          i++;
        } else if (c == '"') {
          inString = false;
        }
      } else if (c == '"') {
        inString = true;
      } else if (c == '[' || c == '{') {
        if (depth == 0 && found < expected) {
          starts[found] = i + 1;
        }
        depth++;
      } else if (c == ']' || c == '}') {
        depth--;
        if (depth == 0 && found < expected) {
          ends[found++] = i;
        }
      } else if (c == ',' && depth == 1 && found < expected) {
        ends[found++] = i;
        if (found < expected) {
          starts[found] = i + 1;
        }
      }
    }
    if (found != expected) {
      throw new IllegalStateException("a batch body holds " + found + " records, not " + expected);
    }
    return new Elements(starts, ends);
  }

  static byte[] gunzip(byte[] gzipped) {
    try (InputStream in = new GZIPInputStream(new ByteArrayInputStream(gzipped))) {
      return in.readAllBytes();
    } catch (IOException e) {
      throw new UncheckedIOException("a batch body could not be unzipped", e);
    }
  }
}
