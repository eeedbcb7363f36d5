package io.hindsight.server.ingest;

import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeFormatter;

/**
 * Reads an RFC 3339 timestamp ({@code 2026-11-22T10:15:00.123456Z}) into microseconds since the
 * epoch. The usual shape (seconds, an optional fraction, {@code Z} or an offset) is read digit by
 * digit; anything else goes to {@link DateTimeFormatter#ISO_OFFSET_DATE_TIME}, which decides what
 * is valid. The general parser took about a quarter of an import record's parsing, checking and
 * encoding.
 */
final class Rfc3339 {
  private Rfc3339() {}

  /**
   * The instant in microseconds since the epoch (nanoseconds truncated).
   *
   * @throws java.time.format.DateTimeParseException when it is not an ISO offset date-time
   * @throws ArithmeticException when it is too far from the epoch for microseconds
   */
  static long micros(String s) {
    long fast = fastMicros(s);
    if (fast != NOT_READ) {
      return fast;
    }
    Instant i = OffsetDateTime.parse(s, DateTimeFormatter.ISO_OFFSET_DATE_TIME).toInstant();
    return Math.addExact(Math.multiplyExact(i.getEpochSecond(), 1_000_000L), i.getNano() / 1000);
  }

  /** What {@link #fastMicros} returns for a text it leaves to the general parser. */
  private static final long NOT_READ = Long.MIN_VALUE;

  /** {@code yyyy-MM-ddTHH:mm:ss[.f{1,9}](Z|±HH:mm)}, or {@link #NOT_READ}. */
  static long fastMicros(String s) {
    int n = s.length();
    if (n < 20 || s.charAt(4) != '-' || s.charAt(7) != '-' || (s.charAt(10) != 'T' && s.charAt(10) != 't')
        || s.charAt(13) != ':' || s.charAt(16) != ':') {
      return NOT_READ;
    }
    int year = digits(s, 0, 4);
    int month = digits(s, 5, 2);
    int day = digits(s, 8, 2);
    int hour = digits(s, 11, 2);
    int minute = digits(s, 14, 2);
    int second = digits(s, 17, 2);
    if (year < 0 || month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)
        || hour < 0 || hour > 23 || minute < 0 || minute > 59 || second < 0 || second > 59) {
      return NOT_READ;
    }
    int i = 19;
    long nanos = 0;
    if (s.charAt(i) == '.') {
      int start = ++i;
      while (i < n && i - start < 9 && isDigit(s.charAt(i))) {
        nanos = nanos * 10 + (s.charAt(i++) - '0');
      }
      int width = i - start;
      if (width == 0 || (i < n && isDigit(s.charAt(i)))) {
        return NOT_READ;
      }
      for (int w = width; w < 9; w++) {
        nanos *= 10;
      }
    }
    int offsetSeconds;
    if (i == n - 1 && (s.charAt(i) == 'Z' || s.charAt(i) == 'z')) {
      offsetSeconds = 0;
    } else if (i == n - 6 && (s.charAt(i) == '+' || s.charAt(i) == '-') && s.charAt(i + 3) == ':') {
      int oh = digits(s, i + 1, 2);
      int om = digits(s, i + 4, 2);
      // ±18:00 is the widest offset; the edge is left to the general parser.
      if (oh < 0 || oh > 17 || om < 0 || om > 59) {
        return NOT_READ;
      }
      offsetSeconds = (s.charAt(i) == '-' ? -1 : 1) * (oh * 3600 + om * 60);
    } else {
      return NOT_READ;
    }
    long seconds = epochDay(year, month, day) * 86_400L + hour * 3600L + minute * 60L + second - offsetSeconds;
    return seconds * 1_000_000L + nanos / 1000;
  }

  /** The value of {@code count} decimal digits at {@code from}, or -1 when one is not a digit. */
  private static int digits(String s, int from, int count) {
    int v = 0;
    for (int i = from; i < from + count; i++) {
      char c = s.charAt(i);
      if (!isDigit(c)) {
        return -1;
      }
      v = v * 10 + (c - '0');
    }
    return v;
  }

  private static boolean isDigit(char c) {
    return c >= '0' && c <= '9';
  }

  private static int daysInMonth(int year, int month) {
    return switch (month) {
      case 2 -> (year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)) ? 29 : 28;
      case 4, 6, 9, 11 -> 30;
      default -> 31;
    };
  }

  /** Days from 1970-01-01 to a date of the proleptic Gregorian calendar (years 0 to 9999). */
  private static long epochDay(int year, int month, int day) {
    // Counted from 1 March, so the leap day ends a year (the civil-from-days method).
    int y = month <= 2 ? year - 1 : year;
    int era = Math.floorDiv(y, 400);
    int yearOfEra = y - era * 400;
    int dayOfYear = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1;
    int dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear;
    return era * 146_097L + dayOfEra - 719_468L;
  }
}
