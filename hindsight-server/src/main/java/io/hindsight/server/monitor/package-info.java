/**
 * Monitoring and evaluation (DESIGN §10): endpoint monitoring configs and their derived columns,
 * per-window column profiles and drift between a reference and a current window, realized and
 * estimated model quality, and the metric store of hourly and daily figures. Everything is
 * computed inside DuckDB over the lake's {@code predictions} and {@code feedback}, so no rows are
 * pulled into the JVM; the math on the resulting summaries lives in {@code monitor.stats}. Uses
 * {@code query} for the SQL views, {@code schema} for what an endpoint has logged, {@code ops}
 * for time and schedules, {@code files}.
 */
package io.hindsight.server.monitor;
