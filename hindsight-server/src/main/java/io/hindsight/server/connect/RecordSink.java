package io.hindsight.server.connect;

import java.io.IOException;

/**
 * Where an import's records go: the ingest API, over HTTP or in the server's own process. A batch
 * is NDJSON of records; the answer is the ingest API's ({@code {"accepted", "rejected": [{"index",
 * "error"}], "warnings", "rejected_omitted"?}}). Sent again with the same idempotency key, a batch
 * must be stored once.
 */
@FunctionalInterface
public interface RecordSink {
  byte[] send(byte[] ndjson, String idempotencyKey) throws IOException;
}
