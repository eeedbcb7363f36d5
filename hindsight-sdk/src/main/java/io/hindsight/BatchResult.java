package io.hindsight;

import java.util.List;

/**
 * The outcome of {@link Hindsight#logBatch}: how many records the server accepted, how many were
 * rejected (by the SDK's validation or by the server) and why, and how many could not be
 * delivered at all.
 *
 * @param accepted records the server acknowledged
 * @param rejected records refused, by local validation or by the server; not retried
 * @param unsent records not delivered because the server stayed unreachable after retries
 * @param rejections the first {@value #MAX_REJECTIONS} rejections with their index and reason
 * @param jobId the server's job that tracked the upload ({@code GET /v1/jobs/{id}}), or null when
 *     it was not tracked (a local sink, a server that did not open the job)
 */
public record BatchResult(long accepted, long rejected, long unsent, List<Rejection> rejections, String jobId) {
  /** An outcome without a tracking job. */
  public BatchResult(long accepted, long rejected, long unsent, List<Rejection> rejections) {
    this(accepted, rejected, unsent, rejections, null);
  }

  /** Most rejections kept in {@link #rejections()}. */
  public static final int MAX_REJECTIONS = 100;

  /** Why the record at {@code index} (0-based, in input order) was refused. */
  public record Rejection(long index, String error) {}

  /** Whether every record was accepted. */
  public boolean complete() {
    return rejected == 0 && unsent == 0;
  }
}
