package io.hindsight.server.transport;

import java.time.Duration;
import java.util.Map;

/**
 * How the server reaches Kafka ({@code transport.*} in the config file).
 *
 * @param bootstrapServers {@code host:port} list of brokers ({@code transport.bootstrap-servers})
 * @param topic the entries topic; schema changes use {@code <topic>.schemas}
 * @param partitions partitions of the topic when the server creates it; an endpoint's entries all go
 *     to one partition, so this bounds how many writers share the work
 * @param replicationFactor replicas of the topics the server creates; -1 takes the broker's default
 * @param group the writers' consumer group
 * @param startTimeout how long a start waits for Kafka (topics, the schema catalog) before it fails
 * @param ackTimeout how long ingest waits for Kafka's acknowledgment before answering 503
 * @param maxEntryBytes the largest entry (one request's accepted records, encoded) sent as one
 *     Kafka record; at most the broker's {@code message.max.bytes}
 * @param idempotencyWindow how long after an entry with an Idempotency-Key the writers drop a retry
 *     of it that another ingest node accepted again
 * @param client further Kafka client properties (security, e.g. {@code security.protocol}), passed
 *     to every producer, consumer and admin client as they are
 */
public record TransportSettings(
    String bootstrapServers,
    String topic,
    int partitions,
    int replicationFactor,
    String group,
    Duration startTimeout,
    Duration ackTimeout,
    int maxEntryBytes,
    Duration idempotencyWindow,
    Map<String, String> client) {

  /** The single-partition topic that orders schema changes. */
  public String schemasTopic() {
    return topic + ".schemas";
  }
}
