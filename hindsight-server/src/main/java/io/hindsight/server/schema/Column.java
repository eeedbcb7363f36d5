package io.hindsight.server.schema;

/** A user column of an endpoint: its canonical spelling (first seen), type and when it appeared. */
public record Column(String name, ColumnType type, long firstSeenMicros) {}
