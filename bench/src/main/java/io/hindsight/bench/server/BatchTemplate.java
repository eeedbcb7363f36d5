package io.hindsight.bench.server;

import java.nio.charset.StandardCharsets;

/**
 * A pre-serialized JSON array of records with the byte offsets of each record's id and ts, so a
 * sender stamps fresh ids and the current time into a copy instead of serializing again.
 */
final class BatchTemplate {
  static final int TS_DIGITS = 13;

  private final byte[] body;
  private final int[] idOffsets;
  private final int[] tsOffsets;
  /** 0: each ts is {@link #TS_DIGITS} ASCII digits (JSON); else the bytes of its Smile integer (see {@link SmileBodies}). */
  private final int smileTsBytes;

  BatchTemplate(byte[] body, int[] idOffsets, int[] tsOffsets) {
    this(body, idOffsets, tsOffsets, 0);
  }

  BatchTemplate(byte[] body, int[] idOffsets, int[] tsOffsets, int smileTsBytes) {
    this.body = body;
    this.idOffsets = idOffsets;
    this.tsOffsets = tsOffsets;
    this.smileTsBytes = smileTsBytes;
  }

  boolean smile() {
    return smileTsBytes > 0;
  }

  int records() {
    return idOffsets.length;
  }

  int length() {
    return body.length;
  }

  /**
   * Copies the body into {@code buf} with fresh ids and {@code nowMillis} as every record's ts;
   * returns the last record's id (used by the freshness probe).
   */
  String stamp(byte[] buf, IdStyle ids, long nowMillis) {
    System.arraycopy(body, 0, buf, 0, body.length);
    for (int off : tsOffsets) {
      if (smileTsBytes > 0) {
        SmileBodies.writeVInt(buf, off, smileTsBytes, nowMillis);
        continue;
      }
      long v = nowMillis;
      for (int i = TS_DIGITS - 1; i >= 0; i--) {
        buf[off + i] = (byte) ('0' + (v % 10));
        v /= 10;
      }
    }
    for (int off : idOffsets) {
      ids.write(buf, off, nowMillis);
    }
    int last = idOffsets[idOffsets.length - 1];
    return new String(buf, last, IdStyle.LENGTH, StandardCharsets.US_ASCII);
  }
}
