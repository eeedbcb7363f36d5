package io.hindsight.examples.fraud;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.Map;

/** The service's JSON, with Jackson: request bodies in, answers out. */
final class Json {
  private static final ObjectMapper MAPPER = new ObjectMapper();
  private static final TypeReference<Map<String, Object>> OBJECT = new TypeReference<>() {};

  private Json() {}

  /** Parses a JSON object; throws {@link IllegalArgumentException} saying what is wrong. */
  static Map<String, Object> parseObject(String text) {
    try {
      Map<String, Object> m = MAPPER.readValue(text, OBJECT);
      if (m == null) {
        throw new IllegalArgumentException("expected a JSON object, got null");
      }
      return m;
    } catch (JsonProcessingException e) {
      throw new IllegalArgumentException("invalid JSON: " + e.getOriginalMessage(), e);
    }
  }

  static String write(Object value) {
    try {
      return MAPPER.writeValueAsString(value);
    } catch (JsonProcessingException e) {
      throw new IllegalArgumentException("cannot write JSON: " + e.getOriginalMessage(), e);
    }
  }
}
