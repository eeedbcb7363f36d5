package io.hindsight;

import java.io.IOException;

/**
 * Batches that could not be delivered yet, oldest first. The worker is the only user, so
 * implementations need not be thread-safe, except that {@link #records()} and {@link #bytes()}
 * may be read by any thread.
 */
interface Spool extends AutoCloseable {
  /** Appends a batch at the tail. The caller has checked {@link #fits}. */
  void add(Batch batch) throws IOException;

  /** The oldest batch, or null when empty. */
  Batch peek() throws IOException;

  /** Removes the oldest batch. */
  void removeHead() throws IOException;

  /**
   * Removes the oldest batch except the head, which may be in flight; returns its record count,
   * or -1 when there is no such batch.
   */
  long removeOldestAfterHead() throws IOException;

  boolean isEmpty();

  /** Whether a batch of this size fits under the byte limit. */
  boolean fits(Batch batch);

  /** Records in the spool right now. */
  long records();

  /** Bytes in the spool right now. */
  long bytes();

  /** Whether what is spooled survives a restart of the host process. */
  boolean durable();

  @Override
  void close();
}
