package io.hindsight.server.retention;

import java.io.IOException;
import java.util.List;

/**
 * Told which predictions an erasure job removes, before any file is replaced (the audit log records
 * the redaction there). An exception stops the job before the lake changes. A job resumed after a
 * crash tells again, under the same job id, about the records still in the lake: the listener takes
 * a repeated record as already known.
 */
@FunctionalInterface
public interface ErasureListener {
  ErasureListener NONE = (endpoint, jobId, records) -> {};

  void erasing(String endpoint, String jobId, List<ErasedRecord> records) throws IOException;
}
