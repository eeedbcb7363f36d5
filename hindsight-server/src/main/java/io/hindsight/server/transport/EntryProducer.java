package io.hindsight.server.transport;

import java.io.Closeable;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.errors.RecordTooLargeException;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.common.utils.Utils;

/**
 * Sends an ingest node's log entries to Kafka and returns once Kafka has them: {@code acks=all}
 * (every in-sync replica wrote the entry) and an idempotent producer (a retry inside the client
 * never writes an entry twice). Entries are keyed by endpoint, so one endpoint's entries stay in
 * order in one partition, which one writer consumes.
 */
public final class EntryProducer implements Closeable {
  private final TransportSettings settings;
  private final KafkaProducer<String, byte[]> producer;

  /** Kafka did not acknowledge an entry in time, or refused it; nothing of it is acknowledged. */
  public static final class NotAcknowledged extends IOException {
    private final boolean tooLarge;

    NotAcknowledged(String message, Throwable cause, boolean tooLarge) {
      super(message, cause);
      this.tooLarge = tooLarge;
    }

    /** Whether the entry is larger than {@code transport.max-entry-bytes} (a retry cannot help). */
    public boolean tooLarge() {
      return tooLarge;
    }
  }

  /**
   * The partition of {@code endpoint}'s entries in a topic of {@code partitions}: Kafka's default
   * for a keyed record (murmur2 of the key's bytes), which the producer applies to the endpoint.
   * Writers use it to tell which endpoints' lake partitions are theirs.
   */
  public static int partitionOf(String endpoint, int partitions) {
    return Utils.toPositive(Utils.murmur2(endpoint.getBytes(StandardCharsets.UTF_8))) % partitions;
  }

  /** Creates the topics when missing (a start-up error names the setting when Kafka is out of reach). */
  public static EntryProducer start(TransportSettings settings) throws InterruptedException {
    KafkaClients.ensureTopics(settings);
    return new EntryProducer(settings);
  }

  private EntryProducer(TransportSettings settings) {
    this.settings = settings;
    this.producer =
        new KafkaProducer<>(
            KafkaClients.acknowledgedProducer(
                settings,
                Map.of(
                    ProducerConfig.LINGER_MS_CONFIG, 1,
                    ProducerConfig.COMPRESSION_TYPE_CONFIG, "lz4",
                    ProducerConfig.MAX_REQUEST_SIZE_CONFIG, settings.maxEntryBytes() + 1024)),
            new StringSerializer(),
            new ByteArraySerializer());
  }

  /**
   * Sends one entry and waits for its acknowledgment.
   *
   * @throws NotAcknowledged when Kafka refused the entry or did not acknowledge it within {@code
   *     transport.ack-timeout}; the caller answers so that the client retries
   */
  public void send(String endpoint, byte[] entry) throws NotAcknowledged, InterruptedException {
    if (entry.length > settings.maxEntryBytes()) {
      throw new NotAcknowledged(
          "the request's accepted records take " + entry.length + " bytes, more than transport.max-entry-bytes ("
              + settings.maxEntryBytes() + "); send them in smaller batches",
          null, true);
    }
    Duration wait = settings.ackTimeout().plusSeconds(2);
    try {
      Future<RecordMetadata> ack = producer.send(new ProducerRecord<>(settings.topic(), endpoint, entry));
      ack.get(wait.toMillis(), TimeUnit.MILLISECONDS);
    } catch (ExecutionException e) {
      Throwable cause = e.getCause();
      throw new NotAcknowledged(
          "Kafka did not acknowledge the records: " + cause.getMessage(), cause, cause instanceof RecordTooLargeException);
    } catch (TimeoutException | org.apache.kafka.common.KafkaException e) {
      throw new NotAcknowledged(
          "Kafka (transport.bootstrap-servers=" + settings.bootstrapServers() + ") did not acknowledge the records within "
              + wait.toMillis() + " ms: " + e.getMessage(),
          e, false);
    }
  }

  @Override
  public void close() {
    producer.close(Duration.ofSeconds(2));
  }
}
