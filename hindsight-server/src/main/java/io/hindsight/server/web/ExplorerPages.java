package io.hindsight.server.web;

import io.hindsight.server.query.QueryEngine;
import java.time.Clock;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;

/**
 * Reads one page of the explorer. A page in time order (the default) is read from the fewest days
 * that hold it: a record's date partition is the UTC day of its ts, so when the days from where
 * the page starts hold a whole page, no other day can add a row to it. The first probe is one day
 * (today, or the day the filters or the cursor start at; newer days are included when the page
 * runs backwards from now), then four times as many, and so on until the page is full or no older
 * (newer) day holds records. Each probe reads only its days' files, so the first page of a
 * 10M-record endpoint costs what its newest day costs instead of a sort of every record. Pages in
 * any other order read every day the filters allow.
 */
public final class ExplorerPages {
  private static final int WIDENING = 4;

  private final QueryEngine engine;
  private final Clock clock;

  public ExplorerPages(QueryEngine engine, Clock clock) {
    this.engine = engine;
    this.clock = clock;
  }

  /** The page's rows, {@link ExplorerQuery#limit()} + 1 at most (one more says a next page exists). */
  public List<Map<String, Object>> rows(ExplorerQuery q) {
    if (!q.followsTime()) {
      return engine.select(q.pageSql(), q.params().toArray());
    }
    LocalDate near = q.nearestDay();
    LocalDate[] span = null;
    LocalDate start = near;
    if (start == null && q.descending()) {
      start = LocalDate.ofInstant(clock.instant(), ZoneOffset.UTC);
    } else if (start == null) {
      span = span(q.endpoint());
      if (span == null) {
        return List.of();
      }
      start = span[0];
    }
    for (long days = 1; ; days *= WIDENING) {
      LocalDate far = q.step(start, days - 1);
      List<Map<String, Object>> rows = engine.select(q.pageSql(near, far), q.params(near, far).toArray());
      if (rows.size() > q.limit()) {
        return rows;
      }
      // Only an endpoint with less than a page in the first days pays for learning where its days end.
      span = span == null ? span(q.endpoint()) : span;
      LocalDate next = q.step(far, 1);
      if (span == null || (q.descending() ? next.isBefore(span[0]) : next.isAfter(span[1]))) {
        return rows;
      }
    }
  }

  /** The first and last day holding the endpoint's records (from the folder names), or null. */
  private LocalDate[] span(String endpoint) {
    Map<String, Object> row =
        engine.select("SELECT min(date) AS first, max(date) AS last FROM predictions WHERE endpoint = ?", endpoint).get(0);
    if (row.get("first") == null) {
      return null;
    }
    return new LocalDate[] {LocalDate.parse(row.get("first").toString()), LocalDate.parse(row.get("last").toString())};
  }
}
