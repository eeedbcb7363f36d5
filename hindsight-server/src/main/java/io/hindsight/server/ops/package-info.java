/**
 * What an operator sees: Prometheus metrics and the daemon threads every scheduler runs on.
 * Uses only {@code schema} (table names as metric tags).
 */
package io.hindsight.server.ops;
