package io.hindsight.server.ingest;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.hindsight.server.ApiException;
import io.hindsight.server.ops.ServerMetrics;
import io.hindsight.server.schema.EndpointSchema;
import io.hindsight.server.schema.Row;
import io.hindsight.server.schema.SchemaRegistry;
import io.hindsight.server.schema.Table;
import io.hindsight.server.wal.WalEntry;
import io.hindsight.server.wal.WriteAheadLog;
import java.io.IOException;
import java.io.InputStream;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.function.LongSupplier;
import java.util.function.Supplier;
import java.util.regex.Pattern;

/**
 * The ingest path of DESIGN §4: read the body, validate and normalize each record, log the
 * accepted ones durably, and answer with what was accepted, rejected and warned about. The
 * answer is sent only after the log's fsync; a retried {@code Idempotency-Key} gets the first
 * answer and stores nothing twice.
 */
public final class IngestService {
  private static final Pattern ENDPOINT = Pattern.compile("[a-z0-9][a-z0-9_-]{0,63}");

  private final SchemaRegistry schemas;
  private final WriteAheadLog wal;
  private final IdempotencyStore idempotency;
  private final BodyReader reader;
  private final RecordNormalizer normalizer;
  private final ObjectMapper json;
  private final Clock clock;
  private final ServerMetrics metrics;
  private final LongSupplier lakeBacklog;
  private final long maxLakeBacklog;

  public IngestService(
      SchemaRegistry schemas,
      WriteAheadLog wal,
      IdempotencyStore idempotency,
      IngestLimits limits,
      ObjectMapper json,
      Clock clock,
      ServerMetrics metrics,
      LongSupplier lakeBacklog,
      long maxLakeBacklog) {
    this.schemas = schemas;
    this.wal = wal;
    this.idempotency = idempotency;
    this.reader = new BodyReader(limits);
    this.normalizer = new RecordNormalizer(json, limits, () -> UuidV7.next(clock));
    this.json = json;
    this.clock = clock;
    this.metrics = metrics;
    this.lakeBacklog = lakeBacklog;
    this.maxLakeBacklog = maxLakeBacklog;
  }

  /** The body format, from the request's Content-Type. */
  public enum Format {
    JSON,
    NDJSON
  }

  /** Checks an endpoint name from a URL. */
  public static void checkEndpointName(String endpoint) {
    if (!ENDPOINT.matcher(endpoint).matches()) {
      throw ApiException.badRequest(
          "endpoint name '"
              + (endpoint.length() > 80 ? endpoint.substring(0, 77) + "..." : endpoint)
              + "' is invalid: use 1 to 64 lower-case letters, digits, '_' or '-', starting with a letter or digit");
    }
  }

  /**
   * Ingests one request body for a caller (an API key id, or null without keys) and returns the
   * JSON answer. An Idempotency-Key is scoped to the table, endpoint and caller; reused with a
   * different body it is refused with 422.
   */
  public byte[] ingest(
      Table table, String endpoint, Format format, InputStream body, String idempotencyKey, String caller)
      throws IOException {
    checkEndpointName(endpoint);
    if (idempotencyKey == null) {
      return process(table, endpoint, format, body, null);
    }
    if (idempotencyKey.isEmpty() || idempotencyKey.length() > 256) {
      throw ApiException.badRequest("the Idempotency-Key header must be 1 to 256 characters");
    }
    String scope = IdempotencyStore.scope(table.dirName(), endpoint, caller, idempotencyKey);
    BodyFingerprint fingerprinted = new BodyFingerprint(body);
    CompletableFuture<IdempotencyStore.Answer> earlier = idempotency.claim(scope);
    if (earlier != null) {
      IdempotencyStore.Answer first;
      try {
        first = earlier.get();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new ApiException(503, "interrupted while waiting for the first request with this key", "1");
      } catch (ExecutionException e) {
        // The first attempt failed and stored nothing; this one runs on its own.
        return ingest(table, endpoint, format, body, idempotencyKey, caller);
      }
      if (!first.sameBody(fingerprinted.finish())) {
        metrics.guardHit("idempotency_key_reused");
        throw new ApiException(
            422,
            "the Idempotency-Key '" + idempotencyKey + "' was already used on this endpoint with a different body;"
                + " a retry must send the same body, a new request needs a new key; nothing was stored");
      }
      metrics.idempotentReplay();
      return first.response();
    }
    try {
      byte[] answer =
          process(table, endpoint, format, fingerprinted, () -> IdempotencyStore.logged(scope, fingerprint(fingerprinted)));
      idempotency.complete(scope, fingerprinted.finish(), answer);
      return answer;
    } catch (RuntimeException | IOException e) {
      idempotency.abandon(scope, e);
      throw e;
    }
  }

  private static String fingerprint(BodyFingerprint body) {
    try {
      return body.finish();
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  private byte[] process(Table table, String endpoint, Format format, InputStream body, Supplier<String> key)
      throws IOException {
    awaitLakeBacklog();
    List<ParsedRecord> parsed = format == Format.NDJSON ? reader.readNdjson(body) : reader.readJson(body);
    EndpointSchema schema = schemas.schema(table, endpoint);
    long now = nowMicros();
    List<Row> rows = new ArrayList<>(parsed.size());
    ObjectNode answer = json.createObjectNode();
    ArrayNode rejected = json.createArrayNode();
    ArrayNode warnings = json.createArrayNode();
    for (ParsedRecord p : parsed) {
      if (p.error() != null) {
        rejected.addObject().put("index", p.index()).put("error", p.error());
        metrics.rejected(table, p.reason());
        continue;
      }
      RecordNormalizer.Outcome o = normalizer.normalize(table, schema, p.fields(), now);
      if (o.error() != null) {
        rejected.addObject().put("index", p.index()).put("error", o.error());
        metrics.rejected(table, o.reason());
        continue;
      }
      rows.add(o.row());
      for (String w : o.warnings()) {
        warnings.addObject().put("index", p.index()).put("warning", w);
        metrics.conflict(table, endpoint);
      }
    }
    answer.put("accepted", rows.size());
    answer.set("rejected", rejected);
    answer.set("warnings", warnings);
    byte[] bytes = json.writeValueAsBytes(answer);
    if (rows.isEmpty() && key == null) {
      return bytes;
    }
    try {
      schemas.persistDirty();
    } catch (IOException e) {
      throw storageUnavailable(e);
    }
    long start = System.nanoTime();
    try {
      wal.append(new WalEntry(key == null ? null : key.get(), bytes, rows)).get();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new ApiException(503, "interrupted before the records were durable; nothing was stored, retry", "1");
    } catch (ExecutionException e) {
      throw storageUnavailable(e.getCause());
    }
    metrics.acked(table, endpoint, rows.size(), System.nanoTime() - start);
    return bytes;
  }

  /**
   * Acknowledged rows wait in memory until the lake writer has them in Parquet. When they pass the
   * limit, a request waits a moment for the writer to catch up (which paces clients to the speed
   * of the lake), then is answered 503 with Retry-After, before anything of it is read.
   */
  private void awaitLakeBacklog() {
    long deadline = System.nanoTime() + BACKLOG_WAIT_NANOS;
    while (lakeBacklog.getAsLong() > maxLakeBacklog) {
      if (System.nanoTime() > deadline) {
        metrics.backpressure();
        throw new ApiException(
            503,
            "the server is behind writing the lake (over " + maxLakeBacklog / (1 << 20)
                + " MiB waiting, ingest.max-lake-backlog-bytes); nothing was stored, retry shortly",
            "1");
      }
      try {
        Thread.sleep(5);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new ApiException(503, "interrupted while waiting for the lake writer; retry", "1");
      }
    }
  }

  private static final long BACKLOG_WAIT_NANOS = 2_000_000_000L;

  private ApiException storageUnavailable(Throwable cause) {
    metrics.storageFailure();
    return new ApiException(
        503,
        "storage cannot take writes right now (" + cause.getMessage() + "); nothing from this request was stored, retry later",
        "5");
  }

  private long nowMicros() {
    java.time.Instant i = clock.instant();
    return i.getEpochSecond() * 1_000_000L + i.getNano() / 1000;
  }
}
