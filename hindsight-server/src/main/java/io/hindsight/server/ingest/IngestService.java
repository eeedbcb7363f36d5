package io.hindsight.server.ingest;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.hindsight.server.ApiException;
import io.hindsight.server.ops.ServerMetrics;
import io.hindsight.server.schema.EndpointSchema;
import io.hindsight.server.schema.SchemaRegistry;
import io.hindsight.server.schema.Row;
import io.hindsight.server.schema.Table;
import io.hindsight.server.transport.EntryProducer;
import io.hindsight.server.transport.EntrySeq;
import io.hindsight.server.transport.SchemaLog;
import io.hindsight.server.wal.AuditedRows;
import io.hindsight.server.wal.WalEntry;
import io.hindsight.server.wal.WriteAheadLog;
import java.io.IOException;
import java.io.InputStream;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.function.Function;
import java.util.function.LongSupplier;
import java.util.function.Supplier;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The ingest path of DESIGN §4: read the body, validate and normalize each record, log the
 * accepted ones durably, and answer with what was accepted, rejected and warned about. The
 * answer is sent only after the log's fsync; a retried {@code Idempotency-Key} gets the first
 * answer and stores nothing twice.
 */
public final class IngestService {
  private static final Logger log = LoggerFactory.getLogger(IngestService.class);
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
  private final InFlightBudget budget;
  private volatile StoredRecords stored = (table, endpoint, min, max, ids) -> {};
  private volatile Function<String, AuditedRows> audited = endpoint -> null;
  /** Where accepted entries go instead of the log with the Kafka transport; null: the log. */
  private volatile EntryProducer kafka;
  /** The catalog shared with other ingest nodes through Kafka; null: this node's alone. */
  private volatile SchemaLog sharedSchemas;

  /** Told about every batch once it is durable (for the metric store's windows); must be quick. */
  public interface StoredRecords {
    /**
     * @param predictionIds for feedback, the predictions it is about; empty for other tables
     */
    void stored(Table table, String endpoint, long minTsMicros, long maxTsMicros, List<String> predictionIds);
  }

  /**
   * Sets who keeps audit logs: for an endpoint, where a request's accepted predictions go on their
   * way into its audit log, or null when the endpoint is not audited.
   */
  public void auditing(Function<String, AuditedRows> audited) {
    this.audited = audited;
  }

  /**
   * Sends accepted entries to Kafka instead of the write-ahead log (transport.type: kafka): a
   * request is answered once Kafka acknowledged its entry.
   */
  public void sendTo(EntryProducer producer) {
    this.kafka = producer;
  }

  /**
   * Agrees the columns a request learnt with the other ingest nodes before its entry is sent
   * (transport.type: kafka); a request that typed a key differently from the node that typed it
   * first is answered 503, and its retry is checked against the agreed type.
   */
  public void shareSchemasThrough(SchemaLog log) {
    this.sharedSchemas = log;
  }

  /** Sets who hears of stored batches. */
  public void onStored(StoredRecords listener) {
    this.stored = listener;
  }

  /**
   * @param maxInFlightBytes heap that the bodies of all requests being handled may hold together
   *     (ingest.max-in-flight-bytes); see {@link InFlightBudget}
   */
  public IngestService(
      SchemaRegistry schemas,
      WriteAheadLog wal,
      IdempotencyStore idempotency,
      IngestLimits limits,
      ObjectMapper json,
      Clock clock,
      ServerMetrics metrics,
      LongSupplier lakeBacklog,
      long maxLakeBacklog,
      long maxInFlightBytes) {
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
    this.budget = new InFlightBudget(maxInFlightBytes, Duration.ofNanos(BACKLOG_WAIT_NANOS));
    metrics.gauge("hindsight_ingest_in_flight_bytes", "Heap reserved by the bodies of ingest requests being handled", budget::inUse);
  }

  /** The body format, from the request's Content-Type. */
  public enum Format {
    JSON,
    NDJSON,
    /**
     * Jackson's binary JSON (Smile): the same values as a JSON body, object or array, without the
     * text to parse (numbers come as binary, strings with their length).
     */
    SMILE
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
    // Before the Idempotency-Key is looked up: the log being read may hold the key's first request.
    awaitLog();
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
    byte[] answer;
    try {
      answer =
          process(table, endpoint, format, fingerprinted, () -> IdempotencyStore.logged(scope, fingerprint(fingerprinted)));
    } catch (RuntimeException | IOException e) {
      idempotency.abandon(scope, e);
      throw e;
    }
    try {
      idempotency.complete(scope, fingerprinted.finish(), answer);
    } catch (RuntimeException | Error e) {
      // Stored already (the log holds the key with its answer, so a retry after a restart is safe);
      // the answer must say so rather than fail.
      log.error("remembering Idempotency-Key of a stored request failed; answering it anyway", e);
    }
    return answer;
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
    InFlightBudget.Body tracked = budget.track(body);
    try {
      return store(table, endpoint, format, tracked, key);
    } finally {
      tracked.release();
    }
  }

  /** Reads, checks and logs the records of a body within the in-flight budget. */
  private byte[] store(Table table, String endpoint, Format format, InFlightBudget.Body body, Supplier<String> key)
      throws IOException {
    Batch batch = new Batch(table, endpoint, nowMicros(), body);
    switch (format) {
      case NDJSON -> reader.readNdjson(body, batch::add, batch.audited != null);
      case SMILE -> reader.readSmile(body, batch::add, batch.audited != null);
      case JSON -> reader.readJson(body, batch::add, batch.audited != null);
    }
    byte[] bytes = json.writeValueAsBytes(batch.answer());
    if (batch.rows.rows() == 0 && key == null) {
      return bytes;
    }
    try {
      schemas.persistChanges();
    } catch (IOException e) {
      throw storageUnavailable(e);
    }
    if (sharedSchemas != null && batch.schema != null) {
      agree(batch.schema, batch.corrections);
    }
    long start = System.nanoTime();
    if (kafka != null) {
      send(endpoint, batch.rows.encode(key == null ? null : key.get(), bytes, false), batch.rows.rows());
    } else {
      append(batch, key, bytes);
    }
    try {
      if (batch.rows.rows() > 0) {
        stored.stored(table, endpoint, batch.minTsMicros, batch.maxTsMicros, batch.predictionIds);
      }
      metrics.acked(table, endpoint, batch.rows.rows(), System.nanoTime() - start);
    } catch (RuntimeException | Error e) {
      // The records are durable: whatever fails now, the client must hear that they were stored.
      log.error("counting {} stored records failed; they are acknowledged", batch.rows.rows(), e);
    }
    return bytes;
  }

  /** Appends a batch's entry to the write-ahead log and returns once it is fsynced. */
  private void append(Batch batch, Supplier<String> key, byte[] answer) {
    try {
      AuditedRows leaves = batch.rows.rows() > 0 ? batch.audited : null;
      wal.append(batch.rows.encode(key == null ? null : key.get(), answer, leaves != null), batch.rows.rows(), leaves).get();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new ApiException(503, "interrupted before the records were durable; nothing was stored, retry", "1");
    } catch (ExecutionException e) {
      throw storageUnavailable(e.getCause());
    }
  }

  /**
   * One request's records as they stream in: accepted rows encoded at once into the log entry's
   * bytes, rejections and warnings counted, and only the first {@link #LISTED} of each kept for the
   * answer, so the memory a request holds grows with what it stores, not with what it refuses.
   */
  private final class Batch {
    final Table table;
    final String endpoint;
    final long now;
    final WalEntry.Builder rows;
    final ArrayNode rejected = json.createArrayNode();
    final ArrayNode warnings = json.createArrayNode();
    final RecordNormalizer.NewColumns newColumns = new RecordNormalizer.NewColumns();
    final InFlightBudget.Body body;
    /** Where accepted predictions of an audited endpoint go; null otherwise. */
    final AuditedRows audited;
    int rejectedCount;
    int warningCount;
    long minTsMicros = Long.MAX_VALUE;
    long maxTsMicros = Long.MIN_VALUE;
    /** Feedback only: whose predictions the batch is about. */
    final List<String> predictionIds = new ArrayList<>();

    /**
     * Taken at the first readable record, so a body refused before it leaves no trace. A body
     * refused after it (JSON broken further on) may leave the columns its earlier records added:
     * learning them needs no rows, and undoing them would race with other requests using them.
     */
    private EndpointSchema schema;
    /** The shared catalog's corrections of the endpoint when the schema was taken (Kafka transport). */
    private long corrections;

    Batch(Table table, String endpoint, long now, InFlightBudget.Body body) throws IOException {
      this.table = table;
      this.endpoint = endpoint;
      this.now = now;
      this.body = body;
      // The rows take about what their JSON does: sized from what of the body has arrived (all of
      // it but for large bodies), the entry's buffer seldom grows, which would copy it each time.
      this.rows = new WalEntry.Builder((int) Math.min(Math.max(body.available(), 4096), 64 << 20));
      this.audited = table == Table.PREDICTIONS ? IngestService.this.audited.apply(endpoint) : null;
    }

    void add(ParsedRecord p) {
      if (p.error() != null) {
        reject(p.index(), p.reason(), p.error());
        return;
      }
      if (schema == null) {
        SchemaLog shared = sharedSchemas;
        corrections = shared == null ? 0 : shared.corrections(table, endpoint);
        schema = schemas.schema(table, endpoint);
      }
      List<String> warned;
      long ts;
      if (audited == null) {
        rows.beginRow(table, endpoint);
        RecordNormalizer.Result r = normalizer.normalize(table, schema, p.fields(), now, newColumns, rows::put);
        if (r.error() != null) {
          rows.abandonRow();
          reject(p.index(), r.reason(), r.error());
          return;
        }
        rows.endRow(r.tsMicros());
        ts = r.tsMicros();
        warned = r.warnings();
        if (table == Table.FEEDBACK) {
          predictionIds.add(r.predictionId());
        }
      } else {
        // The audit log hashes the row as a whole, so an audited record is built as one first.
        RecordNormalizer.Outcome o = normalizer.normalize(table, schema, p.fields(), now, newColumns);
        if (o.error() != null) {
          reject(p.index(), o.reason(), o.error());
          return;
        }
        Row row = audited.add(o.row());
        rows.add(row);
        ts = row.tsMicros();
        warned = o.warnings();
      }
      body.encoded(rows.size());
      minTsMicros = Math.min(minTsMicros, ts);
      maxTsMicros = Math.max(maxTsMicros, ts);
      for (String w : warned) {
        if (warningCount++ < LISTED) {
          warnings.addObject().put("index", p.index()).put("warning", w);
        }
        metrics.conflict(table, endpoint);
      }
    }

    private void reject(int index, String reason, String error) {
      if (rejectedCount++ < LISTED) {
        rejected.addObject().put("index", index).put("error", error);
      }
      metrics.rejected(table, reason);
    }

    ObjectNode answer() {
      ObjectNode answer = json.createObjectNode();
      answer.put("accepted", rows.rows());
      answer.set("rejected", rejected);
      answer.set("warnings", warnings);
      if (rejectedCount > LISTED) {
        answer.put("rejected_omitted", rejectedCount - LISTED);
      }
      if (warningCount > LISTED) {
        answer.put("warnings_omitted", warningCount - LISTED);
      }
      if (rejectedCount > LISTED || warningCount > LISTED) {
        answer.put(
            "note",
            "only the first " + LISTED + " rejections and warnings are listed; rejected_omitted and"
                + " warnings_omitted count the rest");
      }
      return answer;
    }
  }

  /** Rejections (and warnings) listed one by one in an answer; the rest are counted. */
  static final int LISTED = 100;

  /**
   * Waits for the write-ahead log while a restart reads it (a short read goes unnoticed); after
   * the wait, refuses with 503. Entries through Kafka do not go into this log.
   */
  private void awaitLog() {
    if (kafka != null || wal.awaitOpen(BACKLOG_WAIT_NANOS) || wal.opened().isCompletedExceptionally()) {
      return; // a log that could not be read refuses the entry itself, saying why
    }
    metrics.backpressure();
    throw new ApiException(
        503,
        "the server is reading its write-ahead log after a restart (" + (wal.unreadBytes() >> 20)
            + " MiB left) and takes records once that is done; nothing was stored, retry shortly",
        "1");
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

  /** Agrees the endpoint's columns with the other ingest nodes (see {@link #shareSchemasThrough}). */
  private void agree(EndpointSchema schema, long corrections) {
    try {
      sharedSchemas.agree(schema, corrections);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new ApiException(503, "interrupted while agreeing the schema with other ingest nodes; retry", "1");
    } catch (SchemaLog.Disagreement e) {
      throw new ApiException(503, e.getMessage(), "1");
    } catch (EntryProducer.NotAcknowledged e) {
      metrics.storageFailure();
      throw new ApiException(503, e.getMessage() + "; nothing from this request is acknowledged, retry later", "5");
    }
  }

  /** Hands an entry to Kafka and returns once Kafka acknowledged it. */
  private void send(String endpoint, byte[] entry, int rows) {
    if (rows > EntrySeq.MAX_ROWS) {
      throw new ApiException(413, "a request may hold at most " + EntrySeq.MAX_ROWS + " records with the Kafka transport; send smaller batches");
    }
    try {
      kafka.send(endpoint, entry);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new ApiException(503, "interrupted before Kafka acknowledged the records; retry", "1");
    } catch (EntryProducer.NotAcknowledged e) {
      if (e.tooLarge()) {
        throw new ApiException(413, e.getMessage() + "; nothing was stored");
      }
      metrics.storageFailure();
      throw new ApiException(503, e.getMessage() + "; nothing from this request is acknowledged, retry later", "5");
    }
  }

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
