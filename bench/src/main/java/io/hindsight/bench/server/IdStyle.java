package io.hindsight.bench.server;

import java.util.Locale;
import java.util.concurrent.ThreadLocalRandom;

/**
 * How prediction ids look. Both styles are exactly {@link #LENGTH} ASCII characters, so a
 * pre-serialized body can be given fresh ids by overwriting bytes in place.
 */
enum IdStyle {
  /** UUIDv7-like: 48-bit millisecond time first, so ids sort by arrival (what the SDK generates). */
  ORDERED,
  /** A caller's own opaque id, e.g. {@code txn-<32 random hex>}: no order at all. */
  RANDOM;

  static final int LENGTH = 36;
  private static final byte[] HEX = "0123456789abcdef".getBytes(java.nio.charset.StandardCharsets.US_ASCII);

  static IdStyle parse(String s) {
    return switch (s.toLowerCase(Locale.ROOT)) {
      case "ordered", "uuid7", "uuidv7", "time-ordered" -> ORDERED;
      case "random", "txn" -> RANDOM;
      default -> throw new IllegalArgumentException("--ids must be 'ordered' or 'random', not '" + s + "'");
    };
  }

  /** Writes a fresh id of this style at {@code off}. */
  void write(byte[] buf, int off, long epochMillis) {
    ThreadLocalRandom r = ThreadLocalRandom.current();
    if (this == RANDOM) {
      buf[off] = 't';
      buf[off + 1] = 'x';
      buf[off + 2] = 'n';
      buf[off + 3] = '-';
      hex(buf, off + 4, r.nextLong(), 16);
      hex(buf, off + 20, r.nextLong(), 16);
      return;
    }
    // xxxxxxxx-xxxx-7xxx-Vxxx-xxxxxxxxxxxx
    long a = r.nextLong();
    long b = r.nextLong();
    hex(buf, off, epochMillis >>> 16, 8);
    buf[off + 8] = '-';
    hex(buf, off + 9, epochMillis & 0xFFFF, 4);
    buf[off + 13] = '-';
    buf[off + 14] = '7';
    hex(buf, off + 15, a & 0xFFF, 3);
    buf[off + 18] = '-';
    hex(buf, off + 19, 0x8000 | ((a >>> 12) & 0x3FFF), 4);
    buf[off + 23] = '-';
    hex(buf, off + 24, b & 0xFFFF_FFFF_FFFFL, 12);
  }

  String fresh(long epochMillis) {
    byte[] b = new byte[LENGTH];
    write(b, 0, epochMillis);
    return new String(b, java.nio.charset.StandardCharsets.US_ASCII);
  }

  private static void hex(byte[] buf, int off, long v, int digits) {
    for (int i = digits - 1; i >= 0; i--) {
      buf[off + i] = HEX[(int) (v & 0xF)];
      v >>>= 4;
    }
  }
}
