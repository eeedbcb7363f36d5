package io.hindsight;

/** The three kinds of record the SDK ships, each to its own ingest path (DESIGN §4). */
public enum Kind {
  /** Prediction records, one per closed scope or {@link Hindsight#logBatch} row. */
  PREDICTIONS("predictions"),
  /** Feedback records from {@link Hindsight#feedback}. */
  FEEDBACK("feedback"),
  /** Timeline events from {@link Hindsight#event}. */
  EVENTS("events");

  final String path;

  Kind(String path) {
    this.path = path;
  }
}
