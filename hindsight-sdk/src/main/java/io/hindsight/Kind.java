package io.hindsight;

/** The three things the SDK ships, each to its own ingest path (DESIGN §4). */
enum Kind {
  PREDICTIONS("predictions"),
  FEEDBACK("feedback"),
  EVENTS("events");

  final String path;

  Kind(String path) {
    this.path = path;
  }
}
