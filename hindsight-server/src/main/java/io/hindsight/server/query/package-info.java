/**
 * SQL over the lake: the locked DuckDB engine, the guard that refuses non-read statements, result
 * streaming, and the server's own lookups (endpoint list, schema, one prediction, which reads only
the files the in-memory id index says may hold the id). Reads the lake
 * only through its files; uses {@code lake}, {@code schema}, {@code ops}, {@code files}.
 */
package io.hindsight.server.query;
