package io.hindsight.server.transport;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.CommonClientConfigs;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.common.errors.TopicExistsException;

/** What every Kafka client of the server shares: its settings, and the topics it needs. */
final class KafkaClients {
  private KafkaClients() {}

  /** The bootstrap servers and the user's client properties, under the given ones. */
  static Map<String, Object> config(TransportSettings settings, Map<String, Object> own) {
    Map<String, Object> c = new HashMap<>(settings.client());
    c.put(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG, settings.bootstrapServers());
    c.putAll(own);
    return c;
  }

  /**
   * A producer's settings for writes that must be acknowledged by every in-sync replica, exactly
   * once, within {@code transport.ack-timeout} (also when no broker is reachable), plus its own.
   */
  static Map<String, Object> acknowledgedProducer(TransportSettings settings, Map<String, Object> own) {
    int timeout = (int) settings.ackTimeout().toMillis();
    Map<String, Object> c = new HashMap<>(Map.of(
        ProducerConfig.ACKS_CONFIG, "all",
        ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true,
        // A request stuck on metadata (no broker reachable) waits no longer than an ack would.
        ProducerConfig.MAX_BLOCK_MS_CONFIG, timeout,
        ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, Math.max(1000, timeout / 2),
        ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, timeout + 1000));
    c.putAll(own);
    return config(settings, c);
  }

  /**
   * Creates the entries topic and the single-partition schemas topic when they do not exist yet.
   *
   * @throws IllegalStateException naming {@code transport.bootstrap-servers} when Kafka does not
   *     answer within {@code transport.start-timeout}, so a wrong address stops the start
   */
  static void ensureTopics(TransportSettings settings) throws InterruptedException {
    Map<String, Object> conf =
        config(
            settings,
            Map.of(
                CommonClientConfigs.REQUEST_TIMEOUT_MS_CONFIG, (int) settings.startTimeout().toMillis(),
                CommonClientConfigs.DEFAULT_API_TIMEOUT_MS_CONFIG, (int) settings.startTimeout().toMillis()));
    Optional<Short> replicas = settings.replicationFactor() < 0 ? Optional.empty() : Optional.of((short) settings.replicationFactor());
    NewTopic entries =
        new NewTopic(settings.topic(), Optional.of(settings.partitions()), replicas)
            .configs(
                Map.of(
                    TopicConfig.MAX_MESSAGE_BYTES_CONFIG, Integer.toString(settings.maxEntryBytes() + 1024),
                    // The broker's clock orders a partition's entries, whichever ingest node sent them.
                    TopicConfig.MESSAGE_TIMESTAMP_TYPE_CONFIG, "LogAppendTime"));
    NewTopic schemas =
        new NewTopic(settings.schemasTopic(), Optional.of(1), replicas)
            .configs(Map.of(TopicConfig.RETENTION_MS_CONFIG, "-1"));
    try (Admin admin = Admin.create(conf)) {
      for (NewTopic t : List.of(entries, schemas)) {
        try {
          admin.createTopics(List.of(t)).all().get(settings.startTimeout().toMillis(), TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
          if (!(e.getCause() instanceof TopicExistsException)) {
            throw unreachable(settings, e.getCause());
          }
        } catch (TimeoutException e) {
          throw unreachable(settings, e);
        }
      }
    }
  }

  private static IllegalStateException unreachable(TransportSettings settings, Throwable cause) {
    return new IllegalStateException(
        "could not create the Kafka topic " + settings.topic() + " through transport.bootstrap-servers="
            + settings.bootstrapServers() + " within transport.start-timeout (" + settings.startTimeout() + "): " + cause
            + "; check the address, the client settings (transport.client) and that the brokers run",
        cause);
  }
}
