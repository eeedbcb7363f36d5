package io.hindsight.server.transport;

import io.hindsight.server.wal.WalEntry;
import java.time.Duration;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndTimestamp;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;

/**
 * Idempotency keys across ingest nodes: a request retried on another node than the one that
 * answered it first is accepted there again, so the writers drop it. Every entry of an endpoint goes
 * to one partition, so the writer that owns the partition sees a key's every entry in order; it
 * drops an entry whose key (with the same body) came in an earlier entry of the partition less than
 * {@code window} before, by the entries' Kafka timestamps. A writer that takes a partition reads the
 * window before its committed offset again for the keys alone, so the decision is the same whoever
 * makes it and however often.
 */
final class RetriedEntries {
  /** Keys remembered per partition at most; the oldest go first (counted). */
  static final int MAX_KEYS_PER_PARTITION = 1_000_000;

  private final TransportSettings settings;
  private final Duration window;
  private final Map<Integer, LinkedHashMap<String, Long>> seen = new HashMap<>();
  private final AtomicLong dropped = new AtomicLong();
  private final AtomicLong evicted = new AtomicLong();

  RetriedEntries(TransportSettings settings, Duration window) {
    this.settings = settings;
    this.window = window;
  }

  /** Whether the entry repeats a key seen in its partition within the window; remembers its key. */
  boolean isRetry(int partition, long timestamp, WalEntry entry) {
    return isRetry(partition, timestamp, entry.idempotencyKey());
  }

  private boolean isRetry(int partition, long timestamp, String key) {
    if (key == null || window.isZero()) {
      return false;
    }
    LinkedHashMap<String, Long> keys = seen.computeIfAbsent(partition, p -> new LinkedHashMap<>());
    Long first = keys.get(key);
    if (first != null && timestamp - first <= window.toMillis()) {
      dropped.incrementAndGet();
      return true;
    }
    keys.remove(key);
    keys.put(key, timestamp);
    forgetOlderThan(keys, timestamp - window.toMillis());
    return false;
  }

  private void forgetOlderThan(LinkedHashMap<String, Long> keys, long cutoff) {
    Iterator<Long> it = keys.values().iterator();
    while (it.hasNext()) {
      long ts = it.next();
      if (keys.size() > MAX_KEYS_PER_PARTITION) {
        it.remove();
        evicted.incrementAndGet();
      } else if (ts < cutoff) {
        it.remove();
      } else {
        break;
      }
    }
  }

  /**
   * For partitions just taken: forgets what was known of them and reads again the keys of the
   * window before each one's next offset, from the entries before it (their rows are skipped).
   */
  void reload(Map<TopicPartition, Long> nextOffsets) {
    if (nextOffsets.isEmpty()) {
      return;
    }
    try (KafkaConsumer<String, byte[]> reader =
        new KafkaConsumer<>(
            KafkaClients.config(
                settings,
                Map.of(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false, ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 5000)),
            new StringDeserializer(),
            new ByteArrayDeserializer())) {
      for (Map.Entry<TopicPartition, Long> e : nextOffsets.entrySet()) {
        TopicPartition tp = e.getKey();
        long next = e.getValue();
        seen.remove(tp.partition());
        reader.assign(List.of(tp));
        long from = startOfWindow(reader, tp, next);
        reader.seek(tp, from);
        long deadline = System.nanoTime() + settings.startTimeout().toNanos();
        while (reader.position(tp) < next) {
          if (System.nanoTime() > deadline) {
            throw new org.apache.kafka.common.KafkaException(
                "could not read the idempotency keys of " + tp + " again within " + settings.startTimeout().toSeconds() + " s (transport.start-timeout)");
          }
          for (ConsumerRecord<String, byte[]> r : reader.poll(Duration.ofMillis(200))) {
            if (r.offset() < next) {
              isRetry(tp.partition(), r.timestamp(), WalEntry.idempotencyKeyOf(r.value()));
            }
          }
        }
      }
    }
  }

  /** The first offset within the window before the entry at {@code next} (or before now, at the end). */
  private long startOfWindow(KafkaConsumer<String, byte[]> reader, TopicPartition tp, long next) {
    long end = reader.endOffsets(List.of(tp)).get(tp);
    long begin = reader.beginningOffsets(List.of(tp)).get(tp);
    if (next <= begin) {
      return next;
    }
    long at = System.currentTimeMillis();
    if (next < end) {
      reader.seek(tp, next);
      List<ConsumerRecord<String, byte[]>> first = List.of();
      while (first.isEmpty()) {
        first = reader.poll(Duration.ofMillis(200)).records(tp);
      }
      at = first.get(0).timestamp();
    }
    OffsetAndTimestamp from = reader.offsetsForTimes(Map.of(tp, Math.max(0, at - window.toMillis()))).get(tp);
    return from == null ? next : Math.min(from.offset(), next);
  }

  /** Entries dropped as retries since start. */
  long dropped() {
    return dropped.get();
  }

  /** Keys forgotten before their window passed, past {@link #MAX_KEYS_PER_PARTITION}. */
  long evicted() {
    return evicted.get();
  }
}
