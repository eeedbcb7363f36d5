package io.hindsight;

import static io.hindsight.SmileOut.END_ARRAY;
import static io.hindsight.SmileOut.END_OBJECT;
import static io.hindsight.SmileOut.END_STRING;
import static io.hindsight.SmileOut.START_ARRAY;
import static io.hindsight.SmileOut.START_OBJECT;

/**
 * Finds the top-level elements of a Smile body the SDK wrote ({@link SmileOut}), by skipping over
 * tokens; values are never decoded. Only what {@link SmileOut} writes is known: anything else (shared
 * names, raw binary) means the body is not the SDK's and is refused.
 */
final class SmileElements {
  private final byte[] b;

  private SmileElements(byte[] b) {
    this.b = b;
  }

  static BatchSplit.Elements of(byte[] body, int expected) {
    int header = SmileOut.HEADER.length;
    if (body.length < header + 2 || !java.util.Arrays.equals(body, 0, header, SmileOut.HEADER, 0, header)
        || (body[header] & 0xFF) != START_ARRAY) {
      throw new IllegalStateException("a batch body is not the SDK's Smile array");
    }
    SmileElements walk = new SmileElements(body);
    int[] starts = new int[expected];
    int[] ends = new int[expected];
    int found = 0;
    int pos = header + 1;
    while ((body[pos] & 0xFF) != END_ARRAY) {
      int end = walk.value(pos);
      if (found < expected) {
        starts[found] = pos;
        ends[found] = end;
      }
      found++;
      pos = end;
    }
    if (found != expected) {
      throw new IllegalStateException("a batch body holds " + found + " records, not " + expected);
    }
    return new BatchSplit.Elements(starts, ends);
  }

  /** The index just past the value at {@code pos}. */
  private int value(int pos) {
    int t = b[pos] & 0xFF;
    if (t >= 0x20 && t <= 0x23 || t >= 0xC0 && t <= 0xDF) {
      return pos + 1; // "", null, false, true, a small int
    }
    if (t >= 0x40 && t <= 0xBF) {
      return pos + 1 + shortStringBytes(t);
    }
    switch (t) {
      case SmileOut.INT_32:
      case SmileOut.INT_64:
        return vintEnd(pos + 1);
      case SmileOut.BIG_INTEGER:
        return binary7End(pos + 1);
      case SmileOut.FLOAT_64:
        return pos + 11;
      case SmileOut.BIG_DECIMAL:
        return binary7End(vintEnd(pos + 1));
      case SmileOut.LONG_ASCII:
      case SmileOut.LONG_UNICODE:
        return endOfString(pos + 1);
      case START_ARRAY:
        pos++;
        while ((b[pos] & 0xFF) != END_ARRAY) {
          pos = value(pos);
        }
        return pos + 1;
      case START_OBJECT:
        pos++;
        while ((b[pos] & 0xFF) != END_OBJECT) {
          pos = value(key(pos));
        }
        return pos + 1;
      default:
        throw new IllegalStateException("a batch body holds a Smile token the SDK does not write: 0x" + Integer.toHexString(t));
    }
  }

  private static int shortStringBytes(int t) {
    if (t < 0x60) {
      return t - SmileOut.TINY_ASCII + 1;
    }
    if (t < 0x80) {
      return t - SmileOut.SHORT_ASCII + 33;
    }
    if (t < 0xA0) {
      return t - SmileOut.TINY_UNICODE + 2;
    }
    return t - SmileOut.SHORT_UNICODE + 34;
  }

  /** The index just past the member name at {@code pos}. */
  private int key(int pos) {
    int t = b[pos] & 0xFF;
    if (t == SmileOut.EMPTY_STRING) {
      return pos + 1;
    }
    if (t == SmileOut.KEY_LONG) {
      return endOfString(pos + 1);
    }
    if (t >= SmileOut.KEY_ASCII && t < SmileOut.KEY_UNICODE) {
      return pos + 1 + t - SmileOut.KEY_ASCII + 1;
    }
    if (t >= SmileOut.KEY_UNICODE && t <= 0xF7) {
      return pos + 1 + t - SmileOut.KEY_UNICODE + 2;
    }
    throw new IllegalStateException("a batch body holds a Smile name token the SDK does not write: 0x" + Integer.toHexString(t));
  }

  private int endOfString(int pos) {
    while ((b[pos] & 0xFF) != END_STRING) {
      pos++;
    }
    return pos + 1;
  }

  /** Past a variable-length int: its last byte is the one with the high bit set. */
  private int vintEnd(int pos) {
    while ((b[pos] & 0x80) == 0) {
      pos++;
    }
    return pos + 1;
  }

  /** Past 7-bit binary: its byte count, then 8 bytes for each 7 and one more for a remainder. */
  private int binary7End(int pos) {
    long n = 0;
    while ((b[pos] & 0x80) == 0) {
      n = (n << 7) | b[pos++];
    }
    n = (n << 6) | (b[pos++] & 0x3F);
    long encoded = n / 7 * 8 + (n % 7 == 0 ? 0 : n % 7 + 1);
    return Math.toIntExact(pos + encoded);
  }
}
