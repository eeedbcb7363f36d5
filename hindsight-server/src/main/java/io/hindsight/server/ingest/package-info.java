/**
 * The ingest path: reading bodies (JSON, NDJSON, gzip) record by record within limits,
 * validating and typing each record against its schema, idempotency, and handing accepted rows to
 * the log. Uses {@code wal}, {@code schema}, {@code ops}, {@code files}.
 */
package io.hindsight.server.ingest;
