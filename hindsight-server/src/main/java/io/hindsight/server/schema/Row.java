package io.hindsight.server.schema;

import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.Map;

/**
 * One normalized record on its way to the lake: the values are keyed by canonical column name
 * and already of their column's Java type (String, Long, Double, Boolean, {@link JsonText}, or a
 * string map for tags). {@code ts} is held apart in microseconds since the epoch, UTC.
 */
public record Row(Table table, String endpoint, long tsMicros, Map<String, Object> values) {

  /** The {@code date=} partition of this row. */
  public LocalDate date() {
    return LocalDate.ofInstant(Instant.ofEpochSecond(Math.floorDiv(tsMicros, 1_000_000L)), ZoneOffset.UTC);
  }
}
