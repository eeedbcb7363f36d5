package io.hindsight.server.retention;

import java.io.IOException;
import java.time.LocalDate;

/** The metric store's files, which it owns: retention asks it to delete an endpoint's days. */
@FunctionalInterface
public interface MetricDays {
  /** Deletes the endpoint's metrics of days before {@code before}; returns the days deleted. */
  long deleteBefore(String endpoint, LocalDate before) throws IOException;
}
