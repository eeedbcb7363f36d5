/**
 * The Parquet lake of DESIGN §5: the writer that turns logged rows into partition files, crash-safe
 * compaction, and the layout on disk; with {@code lake.uri}, the same layout in an object store as
 * the lake of record ({@link io.hindsight.server.lake.LakeStore}), which writing nodes publish to
 * and reading nodes follow ({@link io.hindsight.server.lake.LakeFollower}). Uses {@code wal},
 * {@code schema}, {@code ops}, {@code files}, {@code objects}; never the HTTP layer or the query
 * engine.
 */
package io.hindsight.server.lake;
