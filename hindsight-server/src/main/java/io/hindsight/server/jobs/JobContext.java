package io.hindsight.server.jobs;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;

/** What a running job sees: its id and parameters, and where it reports progress and counts. */
public interface JobContext {
  String id();

  /** The parameters the job was started with. */
  JsonNode params();

  /**
   * Reports the share of the work done (0..1); kept in the job's file. Throws {@link
   * JobCancelledException} once the job was cancelled, so work stops at its next step.
   */
  void progress(double done) throws IOException;

  /** Adds {@code n} to the count {@code name} (e.g. {@code files_deleted}). */
  void count(String name, long n);

  /**
   * Sets what the job shows as {@code details} besides its counts (e.g. an import's watermark and
   * errors); kept with the job, also after it finished, so it must name no data subject.
   */
  void details(JsonNode details);
}
