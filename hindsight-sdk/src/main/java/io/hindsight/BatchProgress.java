package io.hindsight;

/** Called by {@link Hindsight#logBatch} after each request, on the calling thread. */
@FunctionalInterface
public interface BatchProgress {
  /**
   * @param processed records read from the input so far
   * @param accepted records accepted so far
   * @param rejected records rejected so far
   */
  void onProgress(long processed, long accepted, long rejected);

  /** Does nothing. */
  BatchProgress NONE = (processed, accepted, rejected) -> {};
}
