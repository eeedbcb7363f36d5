/**
 * What people look at: the web UI's files (pages, scripts, styles under {@code web/ui/} of the jar,
 * and uPlot from its WebJar), the explorer's parameterised queries, keyset pages and Parquet
 * export, and pages drawn by the server itself, self-contained (inline SVG and CSS, nothing fetched
 * from the network), starting with the monitoring report. Uses {@code monitor} for the figures it
 * draws, {@code alert}, {@code audit}, {@code query}, {@code schema} and {@code ops}; HTTP, sessions
 * and access stay in {@code http}.
 */
package io.hindsight.server.web;
