/**
 * Turns the lake into monitoring figures: per-window column profiles (missing shares, moments,
 * quantiles, category counts) and drift between a reference and a current window. The figures are
 * computed inside DuckDB over SQL relations, so no rows are pulled into the JVM; the math on the
 * resulting summaries lives in {@code monitor.stats}. Uses {@code query}, {@code schema}, {@code
 * ops}, {@code files}.
 */
package io.hindsight.server.monitor;
