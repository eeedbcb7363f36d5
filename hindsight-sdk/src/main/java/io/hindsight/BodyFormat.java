package io.hindsight;

/**
 * How the SDK writes the records it sends ({@link HindsightBuilder#bodyFormat}). Both carry the
 * same records and the server stores them alike; bodies are gzipped either way.
 */
public enum BodyFormat {
  /** JSON arrays of objects ({@code application/json}): readable on the wire and in a spool. */
  JSON("application/json"),
  /**
   * Smile, Jackson's binary JSON ({@code application/x-jackson-smile}): numbers as binary values
   * and strings with their lengths, so writing a record costs the SDK less CPU, and reading it
   * costs the server less.
   */
  SMILE("application/x-jackson-smile");

  final String contentType;

  BodyFormat(String contentType) {
    this.contentType = contentType;
  }

  BodyOut writer(int initialCapacity) {
    return this == JSON ? new JsonOut(initialCapacity) : new SmileOut(initialCapacity);
  }
}
