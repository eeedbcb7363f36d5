package io.hindsight.server.audit;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import org.erdtman.jcs.JsonCanonicalizer;

/**
 * RFC 8785 JSON Canonicalization Scheme: sorted keys, no whitespace, numbers as ECMAScript
 * writes doubles. Jackson writes the value, the RFC authors' reference library canonicalizes it.
 */
public final class CanonicalJson {
  private static final ObjectMapper JSON = new ObjectMapper();

  private CanonicalJson() {}

  /** The canonical UTF-8 bytes of a value made of maps, lists, strings, numbers, booleans and nulls. */
  public static byte[] of(Object value) throws IOException {
    return new JsonCanonicalizer(JSON.writeValueAsString(value)).getEncodedUTF8();
  }

  /** The canonical UTF-8 bytes of JSON text. */
  public static byte[] ofText(String json) throws IOException {
    return new JsonCanonicalizer(json).getEncodedUTF8();
  }
}
