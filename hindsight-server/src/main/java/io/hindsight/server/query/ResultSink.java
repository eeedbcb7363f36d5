package io.hindsight.server.query;

import java.io.IOException;
import java.util.List;

/** Receives a query's result as it is read, so large results stream instead of piling up. */
public interface ResultSink {
  /** A column of the result: its name and DuckDB type. */
  record ResultColumn(String name, String type) {}

  void columns(List<ResultColumn> columns) throws IOException;

  /** One row; values are JSON-friendly Java objects (see {@link QueryEngine}). */
  void row(Object[] values) throws IOException;

  void end(boolean truncated, long elapsedMs) throws IOException;
}
