package io.hindsight.server.query;

import java.time.Duration;

/**
 * Bounds on a query. {@code ServerConfig.validate()} checks each against its range.
 *
 * @param timeout a query running longer is stopped by killing its worker process (default 30 s);
 *     counted from the moment it has a query slot
 * @param defaultRows rows returned when the request names no limit (default 10,000)
 * @param maxRows the largest limit a request may ask for (default 1,000,000)
 * @param memoryLimit DuckDB's memory limit, e.g. "4GB", for each query worker process and for the
 *     server's own lookups (default 4GB)
 * @param connections queries that run at once, one worker process each; more wait for a free slot
 *     (default 4)
 * @param workerHeap Java heap of each query worker process, as for {@code -Xmx} (default 256m);
 *     it holds only a batch of rows at a time, DuckDB's memory is outside it
 * @param maxTempSize spill files each DuckDB instance of the server may keep under
 *     {@code <data-dir>/tmp} (default 4GB); a query needing more fails with DuckDB's message
 * @param serverThreads threads of the server's own DuckDB (lookups, the drift, evaluation and
 *     report APIs; not the query workers, not background work), 0 for DuckDB's default of one per core
 * @param backgroundThreads threads of the DuckDB that runs the server's background work (the
 *     metric store's refreshes, the lookup index's build), 0 for half the cores and at least one,
 *     so that work never takes the cores ingest and the lake writer need
 */
public record QueryLimits(
    Duration timeout,
    int defaultRows,
    int maxRows,
    String memoryLimit,
    int connections,
    String workerHeap,
    String maxTempSize,
    int serverThreads,
    int backgroundThreads) {
  public static final QueryLimits DEFAULTS =
      new QueryLimits(Duration.ofSeconds(30), 10_000, 1_000_000, "4GB", 4, "256m", "4GB", 0, 0);

  /** The threads background work runs on: {@link #backgroundThreads}, or half the cores and at least one. */
  public int backgroundThreadsOrDefault() {
    return backgroundThreads > 0 ? backgroundThreads : Math.max(1, Runtime.getRuntime().availableProcessors() / 2);
  }
}
