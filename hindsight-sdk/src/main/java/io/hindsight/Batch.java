package io.hindsight;

/**
 * One request body ready to send: a gzipped JSON array of records of one kind, with the
 * idempotency key that stays with it across retries, spooling and replay after a restart.
 */
final class Batch {
  final Kind kind;
  final String idempotencyKey;
  final int records;
  final byte[] gzippedBody;

  Batch(Kind kind, String idempotencyKey, int records, byte[] gzippedBody) {
    this.kind = kind;
    this.idempotencyKey = idempotencyKey;
    this.records = records;
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
