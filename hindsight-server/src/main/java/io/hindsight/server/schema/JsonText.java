package io.hindsight.server.schema;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.JsonSerializable;
import com.fasterxml.jackson.databind.SerializerProvider;
import com.fasterxml.jackson.databind.jsontype.TypeSerializer;
import java.io.IOException;

/**
 * A nested value (array or object) kept as its JSON text; written to a string column. Jackson
 * writes it back as the JSON it holds, not as a quoted string. {@code canonical} says the text is
 * already in RFC 8785 canonical form (how audited records are stored), so the audit log's leaf
 * hash takes it as it is instead of parsing and writing it again.
 */
public record JsonText(String json, boolean canonical) implements JsonSerializable {
  /** JSON text as it came, in no particular form. */
  public JsonText(String json) {
    this(json, false);
  }

  @Override
  public String toString() {
    return json;
  }

  @Override
  public void serialize(JsonGenerator gen, SerializerProvider serializers) throws IOException {
    gen.writeRawValue(json);
  }

  @Override
  public void serializeWithType(JsonGenerator gen, SerializerProvider serializers, TypeSerializer typeSer)
      throws IOException {
    serialize(gen, serializers);
  }
}
