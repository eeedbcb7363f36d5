package io.hindsight.server.ingest;

/** One element of a request body: its fields as plain Java values, or why it could not be read. */
record ParsedRecord(int index, RecordFields fields, String reason, String error) {
  static ParsedRecord ok(int index, RecordFields fields) {
    return new ParsedRecord(index, fields, null, null);
  }

  /**
   * @param reason a short code for metrics, e.g. {@code too_deep}
   * @param error what was wrong and how to fix it
   */
  static ParsedRecord failed(int index, String reason, String error) {
    return new ParsedRecord(index, null, reason, error);
  }
}
