package io.hindsight;

import java.nio.charset.StandardCharsets;
import java.util.concurrent.ThreadLocalRandom;

/** Time-ordered UUIDv7 prediction ids (RFC 9562) and checks for custom ids. */
final class Ids {
  static final int MAX_ID_LENGTH = 128;
  static final int MAX_LABEL_LENGTH = 256;
  private static final byte[] HEX = "0123456789abcdef".getBytes(StandardCharsets.US_ASCII);

  private Ids() {}

  /** A UUIDv7: 48 bits of Unix milliseconds, then random bits. Not for security. */
  static String uuidV7(long epochMillis) {
    ThreadLocalRandom random = ThreadLocalRandom.current();
    long msb = (epochMillis << 16) | 0x7000L | (random.nextLong() & 0x0FFFL);
    long lsb = (random.nextLong() & 0x3FFF_FFFF_FFFF_FFFFL) | 0x8000_0000_0000_0000L;
    byte[] out = new byte[36];
    hex(msb >>> 32, out, 0, 8);
    out[8] = '-';
    hex(msb >>> 16, out, 9, 4);
    out[13] = '-';
    hex(msb, out, 14, 4);
    out[18] = '-';
    hex(lsb >>> 48, out, 19, 4);
    out[23] = '-';
    hex(lsb, out, 24, 12);
    return new String(out, StandardCharsets.ISO_8859_1);
  }

  private static void hex(long v, byte[] out, int off, int digits) {
    for (int i = digits - 1; i >= 0; i--) {
      out[off + i] = HEX[(int) (v & 0xF)];
      v >>>= 4;
    }
  }

  /** Checks a caller's prediction id like the server does; throws with what to do. */
  static String checkId(String what, String id) {
    if (id == null || id.isEmpty()) {
      throw new IllegalArgumentException(
          what + " must not be null or empty; pass your own id (e.g. a transaction id) or call the"
              + " variant without an id to get a generated UUIDv7");
    }
    if (id.length() > MAX_ID_LENGTH) {
      throw new IllegalArgumentException(
          what + " is " + id.length() + " characters long; ids have at most " + MAX_ID_LENGTH
              + " characters, use a shorter id or a hash of it");
    }
    for (int i = 0; i < id.length(); i++) {
      if (Character.isISOControl(id.charAt(i))) {
        throw new IllegalArgumentException(
            what + " contains a control character at position " + i
                + "; use printable characters only");
      }
    }
    return id;
  }

  /** Checks a short label (model version, request id, tag) against the server's 256 limit. */
  static String checkLabel(String what, String value) {
    if (value == null) {
      throw new IllegalArgumentException(what + " must not be null");
    }
    if (value.length() > MAX_LABEL_LENGTH) {
      throw new IllegalArgumentException(
          what + " is " + value.length() + " characters long; the limit is " + MAX_LABEL_LENGTH);
    }
    return value;
  }
}
