package io.hindsight;

import java.util.List;

import java.io.IOException;

/**
 * Batches that could not be delivered yet, oldest first. The worker is the only user, so
 * implementations need not be thread-safe, except that {@link #records()} and {@link #bytes()}
 * may be read by any thread.
 */
interface Spool extends AutoCloseable {
  /** Appends a batch at the tail. The caller has checked {@link #fits}. */
  void add(Batch batch) throws IOException;

  /** The batch at this position (0 = the oldest), or null when there are not that many. */
  Batch peek(int index) throws IOException;

  /** Removes the oldest batch. */
  void removeHead() throws IOException;

  /**
   * Removes the oldest batch after the first {@code skip} (which may be in flight); returns what
   * was removed, or null when there is no such batch.
   */
  Removed removeOldestAfter(int skip) throws IOException;

  /**
   * Replaces the oldest batch with batches that hold its records, in order: the halves of a batch
   * the server refused as a whole (split to isolate the record it refused), or the batch written
   * again in another body format.
   */
  void replaceHead(List<Batch> replacements) throws IOException;

  boolean isEmpty();

  /** Batches in the spool right now. */
  int size();

  /** Whether a batch of this size fits under the byte limit. */
  boolean fits(Batch batch);

  /** Records in the spool right now. */
  long records();

  /** Records of one kind in the spool right now. */
  long records(Kind kind);

  /** Bytes in the spool right now. */
  long bytes();

  /** Whether what is spooled survives a restart of the host process. */
  boolean durable();

  @Override
  void close();

  /** What {@link #removeOldestAfter} removed. */
  record Removed(Kind kind, int records) {}

  /** The item at {@code index} in iteration order, or null when there are not that many. */
  static <T> T nth(Iterable<T> items, int index) {
    int i = 0;
    for (T item : items) {
      if (i++ == index) {
        return item;
      }
    }
    return null;
  }
}
