package io.hindsight.server.web;

import io.hindsight.server.query.QueryEngine;
import java.time.LocalDate;
import java.util.List;
import java.util.Map;

/**
 * Reads one page of the explorer. A page in time order (the default) is read from the fewest days
 * that hold it: first the day the page starts at, then four times as many days, and so on until
 * the page is full or the endpoint's days run out. Each probe reads only its days' files, so the
 * first page of a 10M-record endpoint costs what its newest day costs, not a sort of every row.
 * Pages in any other order read every day the filters allow.
 */
public final class ExplorerPages {
  private static final int WIDENING = 4;

  private final QueryEngine engine;

  public ExplorerPages(QueryEngine engine) {
    this.engine = engine;
  }

  /** The page's rows, {@link ExplorerQuery#limit()} + 1 at most (one more says a next page exists). */
  public List<Map<String, Object>> rows(ExplorerQuery q) {
    if (!q.followsTime()) {
      return engine.select(q.pageSql(), q.params().toArray());
    }
    // Answered from the partition folders' names, without opening a file.
    Map<String, Object> span =
        engine.select("SELECT min(date) AS first, max(date) AS last FROM predictions WHERE endpoint = ?", q.endpoint()).get(0);
    if (span.get("first") == null) {
      return List.of();
    }
    LocalDate first = LocalDate.parse(span.get("first").toString());
    LocalDate last = LocalDate.parse(span.get("last").toString());
    LocalDate start = q.dateWindowStart(first, last);
    if (q.beyond(start, first, last)) {
      return List.of();
    }
    for (long days = 1; ; days *= WIDENING) {
      LocalDate end = q.step(start, days - 1);
      List<Map<String, Object>> rows = engine.select(q.pageSql(start, end), q.params(start, end).toArray());
      if (rows.size() > q.limit() || q.beyond(q.step(end, 1), first, last)) {
        return rows;
      }
    }
  }
}
