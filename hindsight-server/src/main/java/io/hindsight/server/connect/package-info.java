/**
 * Imports (DESIGN §14 Connectors): records logged elsewhere, in Hive-layout trees of Parquet, CSV
 * or JSON files on a local disk or under an S3 prefix, read with DuckDB, turned into records
 * (columns mapped to system fields, tags and keys; partition columns as tags) and handed to a
 * {@link io.hindsight.server.connect.RecordSink}: the server's own ingest for server-side jobs,
 * HTTP for the command line. Each source row is stored once however often an import runs or
 * crashes: every batch carries an idempotency key naming its file and rows, and the import's
 * state (per file, the rows done; the watermark) is written after each acknowledged batch.
 * Uses {@code ingest} (the server's validation), {@code jobs} (server-side runs), {@code objects}
 * (S3 sources), {@code schema} (SQL quoting), {@code ops} and {@code files}.
 */
package io.hindsight.server.connect;
