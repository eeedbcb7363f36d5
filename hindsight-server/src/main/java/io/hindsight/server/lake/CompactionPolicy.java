package io.hindsight.server.lake;

/**
 * Which files of a partition are merged.
 *
 * @param minFiles a partition is compacted once it has this many small files
 * @param smallFileBytes files smaller than this are merged together
 * @param targetBytes a merged file grows to at most this size
 */
public record CompactionPolicy(int minFiles, long smallFileBytes, long targetBytes) {}
