package io.hindsight;

/** A feedback or event record, already validated and written as JSON on the caller's thread. */
final class Message {
  final Kind kind;
  final byte[] json;

  Message(Kind kind, byte[] json) {
    this.kind = kind;
    this.json = json;
  }
}
