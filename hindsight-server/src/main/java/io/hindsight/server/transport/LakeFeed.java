package io.hindsight.server.transport;

import io.hindsight.server.wal.WalEntry;
import java.io.Closeable;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Predicate;
import java.util.stream.Collectors;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A lake writer's side of the Kafka transport: one member of the writers' consumer group, which
 * hands the entries of its partitions to the lake and commits their offsets only once every row
 * consumed so far is in the lake. Exactly once rests on three things:
 *
 * <ul>
 *   <li>rows get sequence numbers made of their entry's offset ({@link EntrySeq}), and the lake
 *       names each file after the highest one it holds, so the lake itself says, per partition, up
 *       to which offset its rows are in place;
 *   <li>offsets are committed only after the files are in place, so a writer killed at any moment
 *       leaves at most rows in the lake whose offsets are not committed yet;
 *   <li>whoever reads those offsets again (the restarted writer, or another that took the partition)
 *       skips every row at or below its lake partition's mark ({@link Sink#reload}).
 * </ul>
 *
 * When the lake cannot be written, the feed stops fetching (the consumer stays in its group) and
 * retries with a growing pause up to {@link #MAX_BACKOFF}; rows wait in Kafka, not in memory.
 */
public final class LakeFeed implements Closeable {
  private static final Logger log = LoggerFactory.getLogger(LakeFeed.class);
  static final Duration MAX_BACKOFF = Duration.ofSeconds(5);
  /** Entries handed to the lake before a flush is forced, whatever the interval. */
  static final int MAX_ENTRIES_PER_FLUSH = 20_000;

  /** Where the feed's entries go: the lake writer, behind the marks its files carry. */
  public interface Sink {
    /**
     * Reads again, from the lake's file names, up to which sequence number each partition holds
     * rows; {@code owned} tells the endpoints whose entries this writer now consumes.
     */
    void reload(Predicate<String> owned) throws IOException;

    /** Takes an entry whose first row has {@code firstSeq}; rows at or below their partition's mark are skipped. */
    void entry(long firstSeq, WalEntry entry) throws IOException;

    /** Writes every row taken so far into the lake; returns whether all of them are in place. */
    boolean flush();

    /** Forgets the rows taken and not yet written; they are read from Kafka again. */
    void discard();
  }

  private final TransportSettings settings;
  private final Sink sink;
  private final Duration flushInterval;
  private final Clock clock;
  private final KafkaConsumer<String, byte[]> consumer;
  private final RetriedEntries retries;
  private final Thread thread;
  /** Per partition, the offset after the last entry handed to the sink and not yet committed. */
  private final Map<TopicPartition, OffsetAndMetadata> uncommitted = new HashMap<>();
  private final AtomicLong entries = new AtomicLong();
  private final AtomicLong commits = new AtomicLong();
  private final AtomicLong flushFailures = new AtomicLong();
  /** Why the lake cannot be written now; null while it can. */
  private volatile String lakeProblem;
  /** Why the feed stopped consuming for good; null while it runs. */
  private volatile String stopped;
  private volatile boolean stopping;
  private boolean paused;
  /** Entries taken since the last commit; written by the feed's thread only, read by metrics. */
  private volatile long pendingEntries;
  /** The partitions this writer holds, and how many the topic has. */
  private volatile Holding holding = new Holding(Set.of(), 1);
  private volatile Runnable beforeHandOver = () -> {};

  private record Holding(Set<Integer> partitions, int of) {}

  /**
   * Joins the writers' group and starts consuming on a thread of its own.
   *
   * @param flushInterval how often taken rows are written and their offsets committed
   */
  public static LakeFeed start(TransportSettings settings, Sink sink, Duration flushInterval, Clock clock)
      throws InterruptedException {
    KafkaClients.ensureTopics(settings);
    LakeFeed feed = new LakeFeed(settings, sink, flushInterval, clock);
    feed.thread.start();
    return feed;
  }

  private LakeFeed(TransportSettings settings, Sink sink, Duration flushInterval, Clock clock) {
    this.settings = settings;
    this.sink = sink;
    this.flushInterval = flushInterval;
    this.clock = clock;
    this.retries = new RetriedEntries(settings, settings.idempotencyWindow());
    this.consumer =
        new KafkaConsumer<>(
            KafkaClients.config(
                settings,
                Map.of(
                    ConsumerConfig.GROUP_ID_CONFIG, settings.group(),
                    ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false,
                    ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest",
                    ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed",
                    ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 2000,
                    ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG, Math.max(1 << 20, settings.maxEntryBytes() + 1024))),
            new StringDeserializer(),
            new ByteArrayDeserializer());
    this.thread = new Thread(this::run, "hindsight-lake-feed");
    this.thread.setDaemon(true);
  }

  private void run() {
    try {
      consumer.subscribe(List.of(settings.topic()), new Rebalance());
      Instant nextFlush = clock.instant().plus(flushInterval);
      Duration backoff = flushInterval;
      while (!stopping) {
        for (ConsumerRecord<String, byte[]> r : consumer.poll(Duration.ofMillis(100))) {
          take(r);
        }
        boolean due = !clock.instant().isBefore(nextFlush) || pendingEntries >= MAX_ENTRIES_PER_FLUSH;
        if (due && (pendingEntries > 0 || paused)) {
          if (writeAndCommit()) {
            backoff = flushInterval;
            resume();
          } else {
            // The lake cannot be written: stop fetching, keep the group's heartbeat, retry later.
            consumer.pause(consumer.assignment());
            paused = true;
            backoff = backoff.multipliedBy(2).compareTo(MAX_BACKOFF) > 0 ? MAX_BACKOFF : backoff.multipliedBy(2);
          }
          nextFlush = clock.instant().plus(backoff);
        } else if (due) {
          nextFlush = clock.instant().plus(flushInterval);
        }
      }
      if (pendingEntries > 0) {
        writeAndCommit();
      }
    } catch (WakeupException e) {
      // Closing.
    } catch (RuntimeException | IOException e) {
      stopped = "lake feed: stopped consuming " + settings.topic() + " at " + clock.instant() + " (" + e + "); restart the writer";
      log.error("{}", stopped, e);
    } finally {
      consumer.close(Duration.ofSeconds(2));
    }
  }

  private void take(ConsumerRecord<String, byte[]> r) throws IOException {
    WalEntry entry = WalEntry.decode(ByteBuffer.wrap(r.value()));
    if (!retries.isRetry(r.partition(), r.timestamp(), entry)) {
      sink.entry(EntrySeq.firstRow(r.offset()), entry);
    }
    uncommitted.put(new TopicPartition(r.topic(), r.partition()), new OffsetAndMetadata(r.offset() + 1));
    pendingEntries++;
    entries.incrementAndGet();
  }

  /** Writes what was taken and, once all of it is in the lake, commits its offsets. */
  private boolean writeAndCommit() {
    if (!sink.flush()) {
      flushFailures.incrementAndGet();
      if (lakeProblem == null) {
        lakeProblem = "lake feed: the lake cannot be written since " + clock.instant() + "; consuming paused, retrying";
        log.warn("{}", lakeProblem);
      }
      return false;
    }
    if (lakeProblem != null) {
      log.info("lake feed: the lake is written again; consuming resumes");
      lakeProblem = null;
    }
    commit();
    return true;
  }

  private void commit() {
    if (uncommitted.isEmpty()) {
      return;
    }
    try {
      consumer.commitSync(uncommitted);
      commits.incrementAndGet();
    } catch (KafkaException e) {
      // The rows are in the lake; whoever reads these offsets again skips them by the lake's marks.
      log.warn("lake feed: committing offsets failed ({}); the rows are in the lake and will be skipped when read again", e.toString());
    }
    uncommitted.clear();
    pendingEntries = 0;
  }

  private void resume() {
    if (paused) {
      consumer.resume(consumer.paused());
      paused = false;
    }
  }

  /**
   * Before partitions move to another writer, everything taken from them is written and committed;
   * if the lake cannot be written, the rows are forgotten and read again, by whoever owns them next.
   */
  private final class Rebalance implements ConsumerRebalanceListener {
    @Override
    public void onPartitionsRevoked(Collection<TopicPartition> partitions) {
      if (!partitions.isEmpty()) {
        log.info("lake feed: handing partitions {} of {} over to the group", numbers(partitions), settings.topic());
      }
      release(partitions);
      if (pendingEntries > 0 && !writeAndCommit()) {
        forget();
      }
      beforeHandOver.run();
    }

    @Override
    public void onPartitionsLost(Collection<TopicPartition> partitions) {
      // Another writer may own them already: nothing taken from them may be written now.
      partitionsLost.addAndGet(partitions.size());
      log.warn(
          "lake feed: partitions {} of {} went to another writer while this one did not answer the group within"
              + " session.timeout.ms (a long pause or an overloaded host); what it took from them is dropped here and read"
              + " again by their new owner, but a file it was writing as they went may hold rows that owner writes too",
          numbers(partitions), settings.topic());
      release(partitions);
      forget();
      beforeHandOver.run();
    }

    @Override
    public void onPartitionsAssigned(Collection<TopicPartition> partitions) {
      holding = new Holding(numbers(consumer.assignment()), consumer.partitionsFor(settings.topic()).size());
      log.info("lake feed: writing partitions {} of {}", new java.util.TreeSet<>(holding.partitions()), settings.topic());
      try {
        sink.reload(LakeFeed.this::owns);
      } catch (IOException e) {
        throw new KafkaException("reading the lake's marks failed: " + e.getMessage(), e);
      }
      reloadKeys(partitions);
      resume();
    }

    private void release(Collection<TopicPartition> partitions) {
      Set<Integer> kept = new HashSet<>(holding.partitions());
      kept.removeAll(numbers(partitions));
      holding = new Holding(Set.copyOf(kept), holding.of());
    }

    private Set<Integer> numbers(Collection<TopicPartition> partitions) {
      return partitions.stream().map(TopicPartition::partition).collect(Collectors.toUnmodifiableSet());
    }

    /** Reads the idempotency keys of the window before each partition's next offset again. */
    private void reloadKeys(Collection<TopicPartition> partitions) {
      Map<TopicPartition, Long> next = new HashMap<>();
      for (TopicPartition tp : partitions) {
        next.put(tp, consumer.position(tp));
      }
      retries.reload(next);
    }

    private void forget() {
      sink.discard();
      Set<TopicPartition> kept = consumer.assignment();
      if (!kept.isEmpty()) {
        // Forgotten rows of partitions this writer keeps are fetched again from their committed offsets.
        Map<TopicPartition, OffsetAndMetadata> committed = consumer.committed(kept);
        for (TopicPartition tp : kept) {
          OffsetAndMetadata at = committed.get(tp);
          if (at == null) {
            consumer.seekToBeginning(List.of(tp));
          } else {
            consumer.seek(tp, at);
          }
        }
        // The keys of the forgotten entries go too: read again, those entries are no retries.
        reloadKeys(kept);
      }
      uncommitted.clear();
      pendingEntries = 0;
      }
  }

  private final AtomicLong partitionsLost = new AtomicLong();

  /** Partitions the group gave to another writer without this one handing them over, since start. */
  public long partitionsLost() {
    return partitionsLost.get();
  }

  /** How many of the topic's partitions this writer consumes now. */
  public int partitionsHeld() {
    return holding.partitions().size();
  }

  /** Whether this writer holds, now, the partition that {@code endpoint}'s entries go to. */
  public boolean owns(String endpoint) {
    Holding h = holding;
    return h.partitions().contains(EntryProducer.partitionOf(endpoint, h.of()));
  }

  /**
   * Runs on the feed's thread whenever partitions stop being this writer's, before the group may
   * give them to another: to wait until work on their lake partitions (a merge) has ended.
   */
  public void beforeHandOver(Runnable wait) {
    this.beforeHandOver = wait;
  }

  /** What is wrong with the feed now (empty when healthy). */
  public List<String> problems() {
    List<String> out = new java.util.ArrayList<>(2);
    String lake = lakeProblem;
    String dead = stopped != null ? stopped : !thread.isAlive() && !stopping ? "lake feed: the consumer thread is not running" : null;
    if (lake != null) {
      out.add(lake);
    }
    if (dead != null) {
      out.add(dead);
    }
    return out;
  }

  /** Entries taken from Kafka since start. */
  public long entries() {
    return entries.get();
  }

  /** Entries dropped since start as retries, on another ingest node, of a request already stored. */
  public long retriesDropped() {
    return retries.dropped();
  }

  /** Offset commits since start. */
  public long commits() {
    return commits.get();
  }

  /** Entries taken whose offsets are not committed yet (not all in the lake yet). */
  public long uncommittedEntries() {
    return pendingEntries;
  }

  /** Times the lake could not be written since start (each retried). */
  public long flushFailures() {
    return flushFailures.get();
  }

  /** Writes and commits what was taken, then leaves the group, within about {@code timeout}. */
  public void close(Duration timeout) {
    stopping = true;
    try {
      thread.join(timeout.toMillis());
      if (thread.isAlive()) {
        consumer.wakeup();
        thread.join(2000);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  @Override
  public void close() {
    close(Duration.ofSeconds(10));
  }
}
