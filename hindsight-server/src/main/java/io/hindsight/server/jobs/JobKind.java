package io.hindsight.server.jobs;

/**
 * A kind of job and how it runs.
 *
 * @param name the {@code kind} a job shows
 * @param resumable whether a run the server's stop interrupted may simply run again from the start
 *     (the work is idempotent: deleting what is already gone, erasing what is already erased); a
 *     job of a kind that is not resumable is marked failed instead
 * @param work the work, on the jobs thread; an exception fails the job with its message; null for
 *     a job its client does and reports ({@link Jobs#open})
 */
public record JobKind(String name, boolean resumable, Work work) {
  /** A kind of job whose client does the work and reports it, such as an SDK's batch upload. */
  public static JobKind drivenByClient(String name) {
    return new JobKind(name, true, null);
  }

  boolean drivenByClient() {
    return work == null;
  }

  /** The work of a job. */
  @FunctionalInterface
  public interface Work {
    void run(JobContext context) throws Exception;
  }
}
