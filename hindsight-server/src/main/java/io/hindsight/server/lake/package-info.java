/**
 * The Parquet lake of DESIGN §5: the writer that turns logged rows into partition files, crash-safe
 * compaction, and the layout on disk. Uses {@code wal}, {@code schema}, {@code ops}, {@code files};
 * never the HTTP layer or the query engine.
 */
package io.hindsight.server.lake;
