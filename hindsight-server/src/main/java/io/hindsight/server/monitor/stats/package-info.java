/**
 * Pure math of drift over summaries: distances and tests between two distributions given as
 * quantile grids (numeric) or category counts (categorical). No SQL, no I/O.
 */
package io.hindsight.server.monitor.stats;
