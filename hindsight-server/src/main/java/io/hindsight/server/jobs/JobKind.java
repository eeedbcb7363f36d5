package io.hindsight.server.jobs;

/**
 * A kind of job and how it runs.
 *
 * @param name the {@code kind} a job shows
 * @param resumable whether a run the server's stop interrupted may simply run again from the start
 *     (the work is idempotent: deleting what is already gone, erasing what is already erased); a
 *     job of a kind that is not resumable is marked failed instead
 * @param work the work, on the jobs thread; an exception fails the job with its message
 */
public record JobKind(String name, boolean resumable, Work work) {
  /** The work of a job. */
  @FunctionalInterface
  public interface Work {
    void run(JobContext context) throws Exception;
  }
}
