package io.hindsight.server.schema;

/** A nested value (array or object) kept as its JSON text; written to a string column. */
public record JsonText(String json) {
  @Override
  public String toString() {
    return json;
  }
}
