package io.hindsight.server.ingest;

/**
 * Bounds on what one request may carry (DESIGN §4). Each violation is answered with a message
 * that names the limit and its configuration key.
 *
 * @param maxBodyBytes decompressed body size; over it the request is refused with 413 (default 64 MiB)
 * @param maxRecordBytes one record's JSON size; over it that record is rejected (default 1 MiB)
 * @param maxDepth nesting depth of one record, the record object being level 1 (default 64)
 * @param maxKeys keys in one record's {@code data} (default 1,000)
 */
public record IngestLimits(long maxBodyBytes, int maxRecordBytes, int maxDepth, int maxKeys) {
  public static final IngestLimits DEFAULTS = new IngestLimits(64L << 20, 1 << 20, 64, 1000);
}
