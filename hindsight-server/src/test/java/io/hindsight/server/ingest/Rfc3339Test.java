package io.hindsight.server.ingest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** Timestamps read digit by digit agree with java.time's ISO offset date-time, valid or not. */
class Rfc3339Test {

  @Test
  void readsTheUsualShapesAsJavaTimeDoes() {
    for (String s : List.of(
        "2026-11-22T10:15:00Z",
        "2026-11-22t10:15:00z",
        "2026-11-22T10:15:00.1Z",
        "2026-11-22T10:15:00.123456Z",
        "2026-11-22T10:15:00.123456789Z",
        "2026-11-22T10:15:00.123456789+02:00",
        "2026-11-22T10:15:00-05:30",
        "2024-02-29T23:59:59.999999+00:00",
        "2000-02-29T00:00:00-00:00",
        "1970-01-01T00:00:00Z",
        "1969-12-31T23:59:59.5Z",
        "0000-03-01T00:00:00Z",
        "9999-12-31T23:59:59.999999999-17:59")) {
      assertThat(Rfc3339.fastMicros(s)).as(s).isEqualTo(javaTime(s));
      assertThat(Rfc3339.micros(s)).as(s).isEqualTo(javaTime(s));
    }
  }

  @Test
  void leavesWhatItDoesNotReadToJavaTimeWhichDecides() {
    // Valid, but not the usual shape: no seconds, a point without digits, the widest offset, an
    // offset with seconds.
    for (String s : List.of("2026-11-22T10:15Z", "2026-11-22T10:15:00.Z", "2026-11-22T10:15:00+18:00", "2026-11-22T10:15:00+01:00:30")) {
      assertThat(Rfc3339.micros(s)).as(s).isEqualTo(javaTime(s));
    }
    // Not valid: each is refused as java.time refuses it.
    for (String s : List.of(
        "2026-02-29T10:15:00Z",
        "2026-04-31T10:15:00Z",
        "2026-13-01T10:15:00Z",
        "2026-11-22T24:00:00Z",
        "2026-11-22T10:60:00Z",
        "2026-11-22T10:15:60Z",
        "2026-11-22T10:15:00.1234567890Z",
        "2026-11-22T10:15:00",
        "2026-11-22 10:15:00Z",
        "2026-11-22T10:15:00+1:00",
        "2026-11-22T10:15:00+19:00",
        "+2026-11-22T10:15:00Z",
        "2026-11-22T10:15:00Z ",
        "２026-11-22T10:15:00Z")) {
      assertThatThrownBy(() -> javaTime(s)).as(s).isInstanceOf(DateTimeParseException.class);
      assertThatThrownBy(() -> Rfc3339.micros(s)).as(s).isInstanceOf(DateTimeParseException.class);
    }
  }

  @Test
  void agreesWithJavaTimeOnManyRandomTexts() {
    Random random = new Random(3339);
    List<String> texts = new ArrayList<>();
    for (int i = 0; i < 200_000; i++) {
      StringBuilder s = new StringBuilder();
      s.append(String.format("%04d-%02d-%02dT%02d:%02d:%02d", random.nextInt(10_000), random.nextInt(14),
          random.nextInt(33), random.nextInt(26), random.nextInt(62), random.nextInt(62)));
      if (random.nextBoolean()) {
        s.append('.').append(Long.toString(Math.abs(random.nextLong())), 0, random.nextInt(11));
      }
      switch (random.nextInt(4)) {
        case 0 -> s.append('Z');
        case 1 -> s.append(String.format("%s%02d:%02d", random.nextBoolean() ? "+" : "-", random.nextInt(20), random.nextInt(62)));
        case 2 -> s.append(String.format("+%02d%02d", random.nextInt(20), random.nextInt(62)));
        default -> { }
      }
      texts.add(s.toString());
    }
    int valid = 0;
    for (String s : texts) {
      Long expected;
      try {
        expected = javaTime(s);
        valid++;
      } catch (DateTimeParseException e) {
        expected = null;
      }
      Long actual;
      try {
        actual = Rfc3339.micros(s);
      } catch (DateTimeParseException e) {
        actual = null;
      }
      assertThat(actual).as(s).isEqualTo(expected);
    }
    assertThat(valid).as("the random texts hold valid and invalid ones").isBetween(10_000, 190_000);
  }

  private static long javaTime(String s) {
    Instant i = OffsetDateTime.parse(s, DateTimeFormatter.ISO_OFFSET_DATE_TIME).toInstant();
    return Math.addExact(Math.multiplyExact(i.getEpochSecond(), 1_000_000L), i.getNano() / 1000);
  }
}
