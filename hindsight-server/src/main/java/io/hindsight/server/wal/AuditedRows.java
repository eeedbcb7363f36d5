package io.hindsight.server.wal;

import io.hindsight.server.schema.Row;
import java.io.IOException;

/**
 * The rows of one log entry of an audited endpoint on their way into its audit log. The request
 * thread adds each accepted row (the audit log hashes it there, in parallel with other requests);
 * the log thread then numbers the entry in log order, writes the number into the entry and, once
 * the entry is fsynced, appends the hashes, all before the request is answered.
 */
public interface AuditedRows {
  /**
   * Takes an accepted row, in the entry's order, and returns it as it is to be stored (its nested
   * JSON values in the canonical form its leaf hashes).
   */
  Row add(Row row);

  /**
   * The audit log index of the entry's first row; called on the log thread, in log order, just
   * before the entry is written. Throws to refuse the entry (its request fails, nothing is stored).
   */
  long firstLeaf() throws IOException;

  /** The entry is fsynced; called on the log thread before the request is answered. */
  void durable();

  /** Writing the entry failed and nothing of it is in the log; called in reverse log order. */
  void failed();
}
