package io.hindsight;

/** Why a record was not shipped; each reason has its own counter in {@link Stats#dropped()}. */
public enum DropReason {
  /** Left out by sampling. Not a loss: {@code sample_rate} on kept records re-weights them. */
  SAMPLED_OUT,
  /** The in-memory queue was full (the worker could not keep up) and the drop policy applied. */
  QUEUE_FULL,
  /** The server was unreachable, the spool was full too, and the drop policy applied. */
  SPOOL_FULL,
  /** The spool could not be written (disk error); see the SDK's log. */
  SPOOL_ERROR,
  /** Recorded after {@link Hindsight#close} began. */
  CLOSED,
  /** Still in memory when {@link Hindsight#close} timed out with no spool directory to keep it. */
  SHUTDOWN,
  /** Could not be written as JSON (a bug; see the SDK's log). */
  ENCODING_ERROR,
  /**
   * A {@link Hindsight#logBatch} request that still failed after its retries (server unreachable);
   * {@link BatchResult#unsent()} tells the caller, who holds the records, to send them again.
   */
  UNDELIVERED
}
