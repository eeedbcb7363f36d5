package io.hindsight.server.query;

import java.time.Duration;

/**
 * Bounds on a query.
 *
 * @param timeout a query running longer is cancelled (default 30 s)
 * @param defaultRows rows returned when the request names no limit (default 10,000)
 * @param maxRows the largest limit a request may ask for (default 1,000,000)
 * @param memoryLimit DuckDB's memory limit for queries, e.g. "4GB"
 * @param connections queries that run at once; more wait for a free connection (default 4)
 */
public record QueryLimits(Duration timeout, int defaultRows, int maxRows, String memoryLimit, int connections) {
  public static final QueryLimits DEFAULTS = new QueryLimits(Duration.ofSeconds(30), 10_000, 1_000_000, "4GB", 4);
}
