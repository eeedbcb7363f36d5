package io.hindsight.server.transport;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.hindsight.server.schema.Column;
import io.hindsight.server.schema.ColumnType;
import io.hindsight.server.schema.EndpointSchema;
import io.hindsight.server.schema.SchemaRegistry;
import io.hindsight.server.schema.Table;
import java.io.Closeable;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The catalog of schemas shared by every node through the single-partition topic {@code
 * <topic>.schemas}: a node that learnt columns proposes them there, every node applies the topic
 * in its order, and the first type proposed for a key wins (a bigint may still widen to double).
 * Ingest sends an entry only after the columns its endpoint learnt are agreed: it reads the topic
 * up to its own proposal and, when another node's type won, refuses the request so that its retry
 * is checked against the winner. Columns already agreed cost nothing.
 */
public final class SchemaLog implements Closeable {
  private static final Logger log = LoggerFactory.getLogger(SchemaLog.class);

  private final TransportSettings settings;
  private final SchemaRegistry schemas;
  private final ObjectMapper json;
  private final KafkaProducer<byte[], byte[]> producer;
  private final KafkaConsumer<byte[], byte[]> consumer;
  private final TopicPartition partition;
  private final Thread reader;
  /** The agreed type of each key, as {@code table/endpoint/lower-case key}, from the topic alone. */
  private final Map<String, ColumnType> agreed = new ConcurrentHashMap<>();
  /** Per {@code table/endpoint}: how often a local column was given another node's type. */
  private final Map<String, Long> corrections = new ConcurrentHashMap<>();
  /** The offset of the last change applied; -1 before the first. */
  private volatile long applied = -1;
  private volatile String problem;
  private volatile boolean stopping;

  /** Columns of an endpoint that lost to another node's types while a request used them. */
  public static final class Disagreement extends Exception {
    Disagreement(String message) {
      super(message, null, false, false);
    }
  }

  /** Starts reading the catalog topic; returns once it has read what the topic held at start. */
  public static SchemaLog start(TransportSettings settings, SchemaRegistry schemas, ObjectMapper json)
      throws InterruptedException, IOException {
    KafkaClients.ensureTopics(settings);
    SchemaLog s = new SchemaLog(settings, schemas, json);
    s.catchUpAtStart();
    s.reader.start();
    return s;
  }

  private SchemaLog(TransportSettings settings, SchemaRegistry schemas, ObjectMapper json) {
    this.settings = settings;
    this.schemas = schemas;
    this.json = json;
    this.partition = new TopicPartition(settings.schemasTopic(), 0);
    this.producer =
        new KafkaProducer<>(
            KafkaClients.acknowledgedProducer(settings, Map.of()),
            new ByteArraySerializer(),
            new ByteArraySerializer());
    this.consumer =
        new KafkaConsumer<>(
            KafkaClients.config(settings, Map.of(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false)),
            new ByteArrayDeserializer(),
            new ByteArrayDeserializer());
    consumer.assign(List.of(partition));
    consumer.seekToBeginning(List.of(partition));
    this.reader = new Thread(this::read, "hindsight-schema-log");
    reader.setDaemon(true);
  }

  private void catchUpAtStart() throws IOException {
    long end = consumer.endOffsets(List.of(partition), settings.startTimeout()).get(partition);
    long deadline = System.nanoTime() + settings.startTimeout().toNanos();
    while (consumer.position(partition) < end) {
      if (System.nanoTime() > deadline) {
        throw new IOException(
            "could not read the schema catalog topic " + settings.schemasTopic() + " within " + settings.startTimeout().toSeconds()
                + " s (transport.bootstrap-servers=" + settings.bootstrapServers() + ")");
      }
      apply(consumer.poll(Duration.ofMillis(200)));
    }
  }

  private void read() {
    try {
      while (!stopping) {
        apply(consumer.poll(Duration.ofMillis(200)));
      }
    } catch (WakeupException e) {
      // Closing.
    } catch (RuntimeException e) {
      problem = "schema catalog: stopped reading " + settings.schemasTopic() + " (" + e + "); restart the server";
      log.error("{}", problem, e);
    } finally {
      consumer.close(Duration.ofSeconds(2));
    }
  }

  private void apply(Iterable<ConsumerRecord<byte[], byte[]>> records) {
    boolean changed = false;
    for (ConsumerRecord<byte[], byte[]> r : records) {
      try {
        changed |= apply(json.readTree(r.value()));
      } catch (IOException | IllegalArgumentException e) {
        log.warn("schema catalog: skipping an unreadable change at offset {}: {}", r.offset(), e.toString());
      }
      applied = r.offset();
    }
    if (changed) {
      try {
        schemas.persistChanges();
      } catch (IOException e) {
        log.warn("schema catalog: could not save the agreed schemas locally (kept in memory): {}", e.toString());
      }
    }
  }

  /** Applies one proposal in topic order: a key's first type wins, bigint may widen to double. */
  private boolean apply(JsonNode change) {
    Table table = Table.valueOf(change.get("table").asText());
    String endpoint = change.get("endpoint").asText();
    EndpointSchema schema = schemas.schema(table, endpoint);
    boolean changed = false;
    for (JsonNode c : change.get("columns")) {
      String key = c.get("name").asText();
      ColumnType proposed = ColumnType.fromPublicName(c.get("type").asText());
      ColumnType won = agreed.merge(id(table, endpoint, key), proposed, SchemaLog::firstWins);
      Column local = schema.column(key);
      if (local == null || local.type() != won) {
        if (local != null && !(local.type() == ColumnType.BIGINT && won == ColumnType.DOUBLE)) {
          corrections.merge(table.name() + "/" + endpoint, 1L, Long::sum);
        }
        schema.retype(key, won, c.path("first_seen_us").asLong());
        changed = true;
      }
    }
    return changed;
  }

  private static ColumnType firstWins(ColumnType first, ColumnType later) {
    return first == ColumnType.BIGINT && later == ColumnType.DOUBLE ? ColumnType.DOUBLE : first;
  }

  private static String id(Table table, String endpoint, String key) {
    return table.name() + "/" + endpoint + "/" + key.toLowerCase(Locale.ROOT);
  }

  /**
   * How often a column of the endpoint was given another node's type so far; a request notes it
   * before it types its records and hands it to {@link #agree}.
   */
  public long corrections(Table table, String endpoint) {
    return corrections.getOrDefault(table.name() + "/" + endpoint, 0L);
  }

  /**
   * Makes sure every column of the endpoint's schema is agreed with the other nodes: proposes the
   * ones that are not, reads the topic up to the proposal, and checks that each kept the type this
   * node gave it, and that no column changed type since the request noted {@code corrections}.
   *
   * @throws Disagreement naming the keys another node typed first; the local schema now has their
   *     agreed types
   * @throws EntryProducer.NotAcknowledged when Kafka did not take the proposal in time
   */
  public void agree(EndpointSchema schema, long corrections)
      throws Disagreement, EntryProducer.NotAcknowledged, InterruptedException {
    List<Column> pending = new ArrayList<>();
    for (Column c : schema.columns()) {
      if (agreed.get(id(schema.table(), schema.endpoint(), c.name())) != c.type()) {
        pending.add(c);
      }
    }
    if (pending.isEmpty()) {
      checkUncorrected(schema, corrections);
      return;
    }
    long offset = propose(schema, pending);
    long deadline = System.nanoTime() + settings.ackTimeout().toNanos();
    while (applied < offset) {
      if (System.nanoTime() > deadline || problem != null) {
        throw new EntryProducer.NotAcknowledged(
            "the schema change was not read back from " + settings.schemasTopic() + " within transport.ack-timeout", null, false);
      }
      Thread.sleep(2);
    }
    List<String> lost = new ArrayList<>();
    for (Column c : pending) {
      ColumnType won = agreed.get(id(schema.table(), schema.endpoint(), c.name()));
      if (won != c.type()) {
        lost.add("'" + c.name() + "' is " + won.publicName() + ", not " + c.type().publicName());
      }
    }
    if (!lost.isEmpty()) {
      throw new Disagreement(
          "another ingest node typed keys of endpoint " + schema.endpoint() + " first (" + String.join(", ", lost)
              + "); nothing was stored, a retry is checked against those types");
    }
    checkUncorrected(schema, corrections);
  }

  private void checkUncorrected(EndpointSchema schema, long noted) throws Disagreement {
    if (corrections(schema.table(), schema.endpoint()) != noted) {
      throw new Disagreement(
          "a column of endpoint " + schema.endpoint() + " took another ingest node's type while this request was checked;"
              + " nothing was stored, a retry is checked against the agreed types");
    }
  }

  private long propose(EndpointSchema schema, List<Column> columns) throws EntryProducer.NotAcknowledged, InterruptedException {
    ObjectNode change = json.createObjectNode().put("table", schema.table().name()).put("endpoint", schema.endpoint());
    ArrayNode cols = change.putArray("columns");
    for (Column c : columns) {
      cols.addObject().put("name", c.name()).put("type", c.type().publicName()).put("first_seen_us", c.firstSeenMicros());
    }
    try {
      return producer
          .send(new ProducerRecord<>(settings.schemasTopic(), json.writeValueAsBytes(change)))
          .get(settings.ackTimeout().toMillis() + 2000, TimeUnit.MILLISECONDS)
          .offset();
    } catch (IOException | ExecutionException | TimeoutException | KafkaException e) {
      throw new EntryProducer.NotAcknowledged(
          "Kafka did not take the schema change on " + settings.schemasTopic() + ": " + e.getMessage(), e, false);
    }
  }

  /** What is wrong with the catalog reader now (empty when healthy). */
  public List<String> problems() {
    String p = problem;
    return p == null ? List.of() : List.of(p);
  }

  @Override
  public void close() {
    stopping = true;
    try {
      reader.join(2000);
      if (reader.isAlive()) {
        consumer.wakeup();
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    producer.close(Duration.ofSeconds(2));
  }
}
