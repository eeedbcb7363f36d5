package io.hindsight.server.monitor;

import io.hindsight.server.schema.SqlText;
import java.time.Instant;
import java.time.ZoneOffset;

/**
 * One endpoint's predictions in a period {@code [from, to)}, optionally of one segment value
 * ({@code tags.segment=high_value}): what a drift, evaluation or metric reads.
 *
 * @param segmentSql SQL of the segment's column reference, null for all rows
 */
record Slice(String endpoint, Instant from, Instant to, String segmentSql, String segmentValue) {
  Slice {
    if (!from.isBefore(to)) {
      throw new IllegalArgumentException("'from' (" + from + ") must be before 'to' (" + to + ")");
    }
  }

  static Slice all(String endpoint, Instant from, Instant to) {
    return new Slice(endpoint, from, to, null, null);
  }

  Slice during(Instant newFrom, Instant newTo) {
    return new Slice(endpoint, newFrom, newTo, segmentSql, segmentValue);
  }

  /** The rows as a SQL FROM-item over {@code view} (predictions or predictions_with_feedback). */
  String relation(String view, String columns) {
    return "(SELECT " + columns + " FROM " + view + " WHERE " + where() + ")";
  }

  /** The filter, with the date partitions the period touches so the lake reads only those. */
  String where() {
    return where("");
  }

  /** The filter on columns of the table aliased {@code alias} ('' for none). */
  String where(String alias) {
    String a = alias.isEmpty() ? "" : alias + ".";
    String w =
        a + "endpoint = " + SqlText.string(endpoint)
            + " AND " + a + "date BETWEEN DATE '" + from.atZone(ZoneOffset.UTC).toLocalDate()
            + "' AND DATE '" + to.atZone(ZoneOffset.UTC).toLocalDate()
            + "' AND " + a + "ts >= TIMESTAMPTZ '" + from + "' AND " + a + "ts < TIMESTAMPTZ '" + to + "'";
    return segmentSql == null ? w : w + " AND CAST(" + segmentSql + " AS VARCHAR) = " + SqlText.string(segmentValue);
  }
}
