/**
 * Monitoring and evaluation (DESIGN §10): endpoint monitoring configs and their derived columns,
 * drift between a reference and a current window, realized and estimated model quality, computed
 * with DuckDB over the lake's {@code predictions} and {@code feedback}. Uses {@code query} for the
 * SQL views, {@code schema} for what an endpoint has logged, {@code ops} and {@code files}.
 */
package io.hindsight.server.monitor;
