package io.hindsight;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.zip.GZIPInputStream;

/**
 * Splits a batch the server refused as a whole (413 over a size or gzip-ratio limit, or 400 for a
 * body it could not read) into two halves, so that resending them isolates the record it refused
 * and every other record still arrives. The body is the SDK's own output, a JSON array of
 * objects, so the split only has to find where its top-level elements end.
 */
final class BatchSplit {
  private BatchSplit() {}

  /** The two halves, in order, with idempotency keys derived from the parent's; null for one record. */
  static Batch[] halves(Batch batch) {
    if (batch.records < 2) {
      return null;
    }
    byte[] json = gunzip(batch.gzippedBody);
    int[] ends = elementEnds(json, batch.records);
    int mid = batch.records / 2;
    int cut = ends[mid - 1]; // index of the ',' after the last element of the first half
    JsonOut first = new JsonOut(cut + 1);
    first.bytes(json, 0, cut).raw(']');
    JsonOut second = new JsonOut(json.length - cut + 1);
    second.raw('[').bytes(json, cut + 1, json.length - cut - 1);
    return new Batch[] {
      new Batch(batch.kind, batch.idempotencyKey + "-1", mid, Shipper.gzip(first.buffer(), first.size())),
      new Batch(batch.kind, batch.idempotencyKey + "-2", batch.records - mid, Shipper.gzip(second.buffer(), second.size()))
    };
  }

  /**
   * For each top-level element of a JSON array, the index just past it (its ',' or the closing
   * ']'). Strings are skipped with their escapes, so brackets and commas inside them do not count.
   */
  static int[] elementEnds(byte[] json, int expected) {
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
        depth++;
      } else if (c == ']' || c == '}') {
        depth--;
        if (depth == 0 && found < expected) {
          ends[found++] = i;
        }
      } else if (c == ',' && depth == 1 && found < expected) {
        ends[found++] = i;
      }
    }
    if (found != expected) {
      throw new IllegalStateException("a batch body holds " + found + " records, not " + expected);
    }
    return ends;
  }

  static byte[] gunzip(byte[] gzipped) {
    try (InputStream in = new GZIPInputStream(new ByteArrayInputStream(gzipped))) {
      return in.readAllBytes();
    } catch (IOException e) {
      throw new UncheckedIOException("a batch body could not be unzipped", e);
    }
  }
}
