package io.hindsight.server.ingest;

import io.hindsight.server.wal.WriteAheadLog;
import java.io.IOException;
import java.util.function.LongConsumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Told that every row up to a sequence number is in the lake, drops the log before it. The
 * Idempotency-Keys those entries carried are saved first, so a retry after the log is gone still
 * gets its first answer; if they cannot be saved, the log stays.
 */
public final class LogTruncation implements LongConsumer {
  private static final Logger log = LoggerFactory.getLogger(LogTruncation.class);

  private final IdempotencyStore idempotency;
  private volatile WriteAheadLog wal;
  private volatile DurableFirst durableFirst = () -> {};

  /** What must be made durable before log entries are dropped (the audit logs' leaves). */
  public interface DurableFirst {
    void sync() throws IOException;
  }

  public LogTruncation(IdempotencyStore idempotency) {
    this.idempotency = idempotency;
  }

  /**
   * Sets what is synced before each truncation: state derived from log entries that a crash
   * would otherwise lose with them (the audit logs' leaves are rebuilt from the log on start).
   */
  public void durableFirst(DurableFirst sync) {
    this.durableFirst = sync;
  }

  /** The log to truncate, once it is open (the lake writer may flush while it replays). */
  public void of(WriteAheadLog wal) {
    this.wal = wal;
  }

  @Override
  public void accept(long seq) {
    WriteAheadLog target = wal;
    if (target == null) {
      return;
    }
    try {
      idempotency.persist();
      durableFirst.sync();
      target.deleteUpTo(seq);
    } catch (IOException e) {
      log.warn("could not save idempotency keys or audit leaves; keeping the log: {}", e.toString());
    }
  }
}
