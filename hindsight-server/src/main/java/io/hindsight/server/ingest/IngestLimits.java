package io.hindsight.server.ingest;

/**
 * Bounds on what one request may carry (DESIGN §4) and on how far one endpoint's schema may grow.
 * Each violation is answered with a message that names the limit and its configuration key.
 *
 * @param maxBodyBytes decompressed body size; over it the request is refused with 413 (default 64 MiB)
 * @param maxRecordBytes one record's JSON size; over it that record is rejected (default 1 MiB)
 * @param maxDepth nesting depth of one record, the record object being level 1 (default 64)
 * @param maxKeys keys in one record's {@code data} (default 1,000)
 * @param maxColumnsPerEndpoint user columns of one endpoint in one table; a record that would add
 *     a column past it is rejected (default 2,000). Every column widens every file and every scan
 *     of the endpoint, so this keeps one endpoint from making the lake writer and SQL slow for all.
 * @param maxNewColumnsPerRequest columns one request may add; records that would add more are
 *     rejected (default 1,000, so any record within {@code maxKeys} can still start a schema)
 */
public record IngestLimits(
    long maxBodyBytes,
    int maxRecordBytes,
    int maxDepth,
    int maxKeys,
    int maxColumnsPerEndpoint,
    int maxNewColumnsPerRequest) {
  public static final int DEFAULT_MAX_COLUMNS_PER_ENDPOINT = 2000;
  public static final int DEFAULT_MAX_NEW_COLUMNS_PER_REQUEST = 1000;

  public static final IngestLimits DEFAULTS = new IngestLimits(64L << 20, 1 << 20, 64, 1000);

  /** Limits with the default schema-growth bounds. */
  public IngestLimits(long maxBodyBytes, int maxRecordBytes, int maxDepth, int maxKeys) {
    this(
        maxBodyBytes,
        maxRecordBytes,
        maxDepth,
        maxKeys,
        DEFAULT_MAX_COLUMNS_PER_ENDPOINT,
        DEFAULT_MAX_NEW_COLUMNS_PER_REQUEST);
  }
}
