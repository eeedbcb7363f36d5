package io.hindsight.server.connect;

import io.hindsight.server.ApiException;
import io.hindsight.server.ingest.IngestService;
import io.hindsight.server.schema.Table;
import java.io.ByteArrayInputStream;
import java.io.IOException;

/**
 * Hands batches straight to the server's ingest, as a request from no API key would: the same
 * validation, idempotency and durability as HTTP, without the network. While the server is behind
 * writing the lake (503), a batch waits and is sent again, up to {@link #ATTEMPTS} times.
 */
final class InProcessSink implements RecordSink {
  static final int ATTEMPTS = 8;

  private final IngestService ingest;
  private final Table table;
  private final String endpoint;

  InProcessSink(IngestService ingest, Table table, String endpoint) {
    this.ingest = ingest;
    this.table = table;
    this.endpoint = endpoint;
  }

  @Override
  public byte[] send(byte[] ndjson, String idempotencyKey) throws IOException {
    for (int attempt = 1; ; attempt++) {
      try {
        return ingest.ingest(table, endpoint, IngestService.Format.NDJSON, new ByteArrayInputStream(ndjson), idempotencyKey, null);
      } catch (ApiException e) {
        if (e.status() != 503 || attempt == ATTEMPTS) {
          throw new IOException("the server refused a batch (" + e.status() + "): " + e.getMessage(), e);
        }
      }
      try {
        Thread.sleep(250L << Math.min(attempt, 4));
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IOException("interrupted while waiting to send a batch again", e);
      }
    }
  }
}
