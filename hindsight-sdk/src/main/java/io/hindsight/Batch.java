package io.hindsight;

/**
 * One request body ready to send: a gzipped array of records of one kind in one body format, with
 * the idempotency key that stays with it across retries, spooling and replay after a restart.
 */
final class Batch {
  final Kind kind;
  final String idempotencyKey;
  final int records;
  final BodyFormat format;
  final byte[] gzippedBody;

  Batch(Kind kind, String idempotencyKey, int records, BodyFormat format, byte[] gzippedBody) {
    this.kind = kind;
    this.idempotencyKey = idempotencyKey;
    this.records = records;
    this.format = format;
    this.gzippedBody = gzippedBody;
  }

  /** Bytes this batch takes in a spool. */
  long size() {
    return gzippedBody.length + idempotencyKey.length() + 32L;
  }

  @Override
  public String toString() {
    return "Batch{" + kind.path + ", " + records + " records, key=" + idempotencyKey + "}";
  }
}
