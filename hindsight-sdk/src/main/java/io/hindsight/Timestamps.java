package io.hindsight;

import java.time.Instant;

/** RFC 3339 UTC timestamps with microseconds, as the wire format wants them. */
final class Timestamps {
  private Timestamps() {}

  static long micros(Instant instant) {
    return Math.addExact(Math.multiplyExact(instant.getEpochSecond(), 1_000_000L), instant.getNano() / 1_000);
  }

  static String rfc3339(Instant instant) {
    return rfc3339(micros(instant));
  }

  /** {@code 2026-11-22T10:15:00.123456Z}. */
  static String rfc3339(long epochMicros) {
    StringBuilder sb = new StringBuilder(27);
    append(sb, epochMicros);
    return sb.toString();
  }

  static void append(StringBuilder sb, long epochMicros) {
    long seconds = Math.floorDiv(epochMicros, 1_000_000L);
    int micros = (int) Math.floorMod(epochMicros, 1_000_000L);
    long days = Math.floorDiv(seconds, 86_400L);
    int secOfDay = (int) Math.floorMod(seconds, 86_400L);
    // Civil-from-days (H. Hinnant), proleptic Gregorian.
    long z = days + 719_468;
    long era = Math.floorDiv(z, 146_097);
    long doe = z - era * 146_097;
    long yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    long y = yoe + era * 400;
    long doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    long mp = (5 * doy + 2) / 153;
    long d = doy - (153 * mp + 2) / 5 + 1;
    long m = mp < 10 ? mp + 3 : mp - 9;
    if (m <= 2) {
      y++;
    }
    pad(sb, y, 4).append('-');
    pad(sb, m, 2).append('-');
    pad(sb, d, 2).append('T');
    pad(sb, secOfDay / 3600, 2).append(':');
    pad(sb, (secOfDay / 60) % 60, 2).append(':');
    pad(sb, secOfDay % 60, 2).append('.');
    pad(sb, micros, 6).append('Z');
  }

  private static StringBuilder pad(StringBuilder sb, long v, int width) {
    String s = Long.toString(v);
    for (int i = s.length(); i < width; i++) {
      sb.append('0');
    }
    return sb.append(s);
  }
}
