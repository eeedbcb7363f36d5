package io.hindsight.server.jobs;

import java.util.Locale;

/** Where a job is in its life; the names are the {@code state} of {@code GET /v1/jobs/{id}}. */
public enum JobState {
  QUEUED,
  RUNNING,
  DONE,
  FAILED,
  CANCELLED;

  /** Whether the job is over and will not change again. */
  public boolean finished() {
    return this == DONE || this == FAILED || this == CANCELLED;
  }

  public String publicName() {
    return name().toLowerCase(Locale.ROOT);
  }

  static JobState of(String publicName) {
    return valueOf(publicName.toUpperCase(Locale.ROOT));
  }
}
