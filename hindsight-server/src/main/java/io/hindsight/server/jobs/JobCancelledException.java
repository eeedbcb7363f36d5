package io.hindsight.server.jobs;

/** Thrown from {@link JobContext#progress} once the job was cancelled; the job ends as cancelled. */
public final class JobCancelledException extends RuntimeException {
  JobCancelledException() {
    super("the job was cancelled", null, false, false);
  }
}
