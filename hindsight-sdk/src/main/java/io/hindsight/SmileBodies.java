package io.hindsight;

import static io.hindsight.SmileOut.END_ARRAY;
import static io.hindsight.SmileOut.END_OBJECT;
import static io.hindsight.SmileOut.END_STRING;
import static io.hindsight.SmileOut.START_ARRAY;
import static io.hindsight.SmileOut.START_OBJECT;

import java.math.BigDecimal;
import java.math.BigInteger;

/**
 * Reads the Smile bodies the SDK wrote ({@link SmileOut}) token by token: to find where their
 * records start and end (to split a refused batch), or to write them again as JSON (for a server
 * that does not take Smile). Only what {@link SmileOut} writes is known: anything else (shared
 * names, raw binary) means the body is not the SDK's and is refused.
 */
final class SmileBodies {
  private final byte[] b;
  /** Where the value read is written as JSON; null when values are only skipped. */
  private final BodyOut json;

  private SmileBodies(byte[] b, BodyOut json) {
    this.b = b;
    this.json = json;
  }

  /** Where each top-level element of {@code body} starts and ends. */
  static BatchSplit.Elements elements(byte[] body, int expected) {
    SmileBodies walk = new SmileBodies(body, null);
    int[] starts = new int[expected];
    int[] ends = new int[expected];
    int found = 0;
    int pos = firstElement(body);
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

  /**
   * The same body as JSON, byte for byte what {@link JsonOut} writes for the values: numbers come
   * back as the values they were, strings as the chars they were.
   */
  static byte[] toJson(byte[] body) {
    BodyOut json = new JsonOut(body.length * 2);
    SmileBodies walk = new SmileBodies(body, json);
    json.beginBody();
    int pos = firstElement(body);
    boolean first = true;
    while ((body[pos] & 0xFF) != END_ARRAY) {
      if (!first) {
        json.next();
      }
      first = false;
      pos = walk.value(pos);
    }
    return json.endBody().toByteArray();
  }

  /** A Smile batch written again as JSON, under the same idempotency key (for a server that answered 415). */
  static Batch asJson(Batch smile) {
    byte[] json = toJson(BatchSplit.gunzip(smile.gzippedBody));
    return new Batch(smile.kind, smile.idempotencyKey, smile.records, BodyFormat.JSON, Shipper.gzip(json, json.length));
  }

  /** What the SDK logs when a server answers 415 to a Smile batch. */
  static String refusedMessage(Transport.Response r) {
    return "the server does not take Smile bodies (HTTP 415: " + ServerAnswer.errorOf(r.body) + "); this batch is"
        + " sent again as JSON, and every later one goes as JSON at once, so nothing is lost: upgrade the server,"
        + " or set bodyFormat(BodyFormat.JSON) to spare the conversion";
  }

  private static int firstElement(byte[] body) {
    int header = SmileOut.HEADER.length;
    if (body.length < header + 2 || !java.util.Arrays.equals(body, 0, header, SmileOut.HEADER, 0, header)
        || (body[header] & 0xFF) != START_ARRAY) {
      throw new IllegalStateException("a batch body is not the SDK's Smile array");
    }
    return header + 1;
  }

  /** The index just past the value at {@code pos}, written as JSON when converting. */
  private int value(int pos) {
    int t = b[pos] & 0xFF;
    if (t >= SmileOut.SMALL_INT && t < SmileOut.SMALL_INT + 32) {
      if (json != null) {
        json.number(unzigzag(t - SmileOut.SMALL_INT));
      }
      return pos + 1;
    }
    if (t >= SmileOut.TINY_ASCII && t < SmileOut.SMALL_INT) {
      int start = pos + 1;
      int end = start + shortStringBytes(t);
      if (json != null) {
        json.string(text(start, end));
      }
      return end;
    }
    switch (t) {
      case SmileOut.EMPTY_STRING:
        if (json != null) {
          json.string("");
        }
        return pos + 1;
      case SmileOut.NULL:
        if (json != null) {
          json.nul();
        }
        return pos + 1;
      case SmileOut.FALSE:
      case SmileOut.TRUE:
        if (json != null) {
          json.bool(t == SmileOut.TRUE);
        }
        return pos + 1;
      case SmileOut.INT_32:
      case SmileOut.INT_64: {
        int end = vintEnd(pos + 1);
        if (json != null) {
          json.number(unzigzag(vint(pos + 1, end)));
        }
        return end;
      }
      case SmileOut.BIG_INTEGER: {
        int end = binary7End(pos + 1);
        if (json != null) {
          json.bigNumber(new BigInteger(binary7(pos + 1)));
        }
        return end;
      }
      case SmileOut.FLOAT_64: {
        if (json != null) {
          long bits = 0;
          for (int i = 1; i <= 10; i++) {
            bits = (bits << 7) | b[pos + i];
          }
          json.number(Double.longBitsToDouble(bits));
        }
        return pos + 11;
      }
      case SmileOut.BIG_DECIMAL: {
        int scaleEnd = vintEnd(pos + 1);
        int end = binary7End(scaleEnd);
        if (json != null) {
          int scale = (int) unzigzag(vint(pos + 1, scaleEnd));
          json.bigNumber(new BigDecimal(new BigInteger(binary7(scaleEnd)), scale));
        }
        return end;
      }
      case SmileOut.LONG_ASCII:
      case SmileOut.LONG_UNICODE: {
        int end = endOfString(pos + 1);
        if (json != null) {
          json.string(text(pos + 1, end - 1));
        }
        return end;
      }
      case START_ARRAY: {
        if (json != null) {
          json.beginArray();
        }
        pos++;
        for (boolean first = true; (b[pos] & 0xFF) != END_ARRAY; first = false) {
          if (json != null && !first) {
            json.next();
          }
          pos = value(pos);
        }
        if (json != null) {
          json.endArray();
        }
        return pos + 1;
      }
      case START_OBJECT: {
        if (json != null) {
          json.beginObject();
        }
        pos++;
        for (boolean first = true; (b[pos] & 0xFF) != END_OBJECT; first = false) {
          if (json != null && !first) {
            json.next();
          }
          pos = value(key(pos));
        }
        if (json != null) {
          json.endObject();
        }
        return pos + 1;
      }
      default:
        throw new IllegalStateException("a batch body holds a Smile token the SDK does not write: 0x" + Integer.toHexString(t));
    }
  }

  private static int shortStringBytes(int t) {
    if (t < SmileOut.SHORT_ASCII) {
      return t - SmileOut.TINY_ASCII + 1;
    }
    if (t < SmileOut.TINY_UNICODE) {
      return t - SmileOut.SHORT_ASCII + 33;
    }
    if (t < SmileOut.SHORT_UNICODE) {
      return t - SmileOut.TINY_UNICODE + 2;
    }
    return t - SmileOut.SHORT_UNICODE + 34;
  }

  /** The index just past the member name at {@code pos}, written as JSON when converting. */
  private int key(int pos) {
    int t = b[pos] & 0xFF;
    int start = pos + 1;
    int end;
    if (t == SmileOut.EMPTY_STRING) {
      end = start;
    } else if (t == SmileOut.KEY_LONG) {
      end = endOfString(start) - 1;
    } else if (t >= SmileOut.KEY_ASCII && t < SmileOut.KEY_UNICODE) {
      end = start + t - SmileOut.KEY_ASCII + 1;
    } else if (t >= SmileOut.KEY_UNICODE && t <= 0xF7) {
      end = start + t - SmileOut.KEY_UNICODE + 2;
    } else {
      throw new IllegalStateException("a batch body holds a Smile name token the SDK does not write: 0x" + Integer.toHexString(t));
    }
    if (json != null) {
      json.key(text(start, end));
    }
    return t == SmileOut.KEY_LONG ? end + 1 : end;
  }

  /**
   * The chars of UTF-8 bytes, decoded by hand so that a lone surrogate (written as its three-byte
   * form) comes back as itself rather than as a replacement char.
   */
  private String text(int from, int to) {
    StringBuilder sb = new StringBuilder(to - from);
    for (int i = from; i < to; ) {
      int c = b[i] & 0xFF;
      if (c < 0x80) {
        sb.append((char) c);
        i++;
      } else if (c < 0xE0) {
        sb.append((char) (((c & 0x1F) << 6) | (b[i + 1] & 0x3F)));
        i += 2;
      } else if (c < 0xF0) {
        sb.append((char) (((c & 0x0F) << 12) | ((b[i + 1] & 0x3F) << 6) | (b[i + 2] & 0x3F)));
        i += 3;
      } else {
        sb.appendCodePoint(((c & 0x07) << 18) | ((b[i + 1] & 0x3F) << 12) | ((b[i + 2] & 0x3F) << 6) | (b[i + 3] & 0x3F));
        i += 4;
      }
    }
    return sb.toString();
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

  /** The variable-length int from {@code pos} to {@code end}: 7 bits a byte, the last byte 6. */
  private long vint(int pos, int end) {
    long v = 0;
    for (; pos < end - 1; pos++) {
      v = (v << 7) | b[pos];
    }
    return (v << 6) | (b[pos] & 0x3F);
  }

  private static long unzigzag(long v) {
    return (v >>> 1) ^ -(v & 1);
  }

  /** Past 7-bit binary: its byte count, then 8 bytes for each 7 and one more for a remainder. */
  private int binary7End(int pos) {
    int lengthEnd = vintEnd(pos);
    long n = vint(pos, lengthEnd);
    return Math.toIntExact(lengthEnd + n / 7 * 8 + (n % 7 == 0 ? 0 : n % 7 + 1));
  }

  /** The bytes of 7-bit binary at {@code pos}: groups of 7 bits, the last group right-aligned. */
  private byte[] binary7(int pos) {
    int lengthEnd = vintEnd(pos);
    byte[] out = new byte[Math.toIntExact(vint(pos, lengthEnd))];
    int in = lengthEnd;
    int acc = 0;
    int bits = 0;
    for (int i = 0; i < out.length; i++) {
      while (bits < 8) {
        int remaining = out.length - i;
        // The last group holds only the bits still owed, right-aligned.
        int groupBits = bits + 7 > 8 * remaining ? 8 * remaining - bits : 7;
        acc = (acc << groupBits) | (b[in++] & ((1 << groupBits) - 1));
        bits += groupBits;
      }
      bits -= 8;
      out[i] = (byte) (acc >>> bits);
    }
    return out;
  }
}
