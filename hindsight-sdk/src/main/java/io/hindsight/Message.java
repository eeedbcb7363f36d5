package io.hindsight;

/**
 * A feedback or event record, already validated and written on the caller's thread in the
 * {@link Hindsight}'s body format.
 */
final class Message {
  final Kind kind;
  final byte[] body;

  Message(Kind kind, byte[] body) {
    this.kind = kind;
    this.body = body;
  }
}
