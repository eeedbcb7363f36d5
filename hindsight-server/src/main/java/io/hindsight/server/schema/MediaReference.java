package io.hindsight.server.schema;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.util.regex.Pattern;

/**
 * A logged value that points at an image, a sound, a video or a text kept elsewhere (DESIGN §14
 * "Media"): a JSON object with exactly the keys {@code uri} and {@code content_type}, e.g.
 * {@code {"uri": "s3://scans/42.png", "content_type": "image/png"}}. Its column has type
 * {@link ColumnType#MEDIA} and stores the object's JSON text, like any other object.
 *
 * <p>An object with exactly these two keys is meant as a reference, so one that is not a valid
 * reference (a content type outside image/*, audio/*, video/*, text/*, an empty uri) is refused
 * rather than quietly stored as an ordinary object; an object with any further key is an
 * ordinary JSON value.
 */
public final class MediaReference {
  /** The content type families a reference may name. */
  private static final String FAMILIES = "image/*, audio/*, video/* or text/*";
  /** The longest uri a reference may hold. */
  private static final int MAX_URI_LENGTH = 2048;
  /** A media type of one of the families, with optional parameters ({@code text/plain; charset=utf-8}). */
  private static final Pattern CONTENT_TYPE =
      Pattern.compile("(?i)(image|audio|video|text)/[a-z0-9][a-z0-9!#$&^_.+-]{0,126}(\\s*;[\\x20-\\x7e]{0,128})?");
  /**
   * JSON text longer than this cannot be a reference (a uri at its limit, every character
   * escaped, and a content type), so large values are passed over without being parsed.
   */
  private static final int MAX_TEXT = MAX_URI_LENGTH * 6 + 512;

  private static final ObjectMapper JSON = new ObjectMapper();

  private MediaReference() {}

  /** Whether the JSON text is a valid media reference. */
  public static boolean isReference(String json) {
    JsonNode node = shaped(json);
    return node != null && problemOf(node) == null;
  }

  /**
   * What is wrong with a JSON text that has a reference's shape (an object with exactly the keys
   * {@code uri} and {@code content_type}), or null when it is a valid reference or not shaped
   * like one.
   */
  public static String problem(String json) {
    JsonNode node = shaped(json);
    return node == null ? null : problemOf(node);
  }

  /** The object, if the text is an object with exactly the keys uri and content_type; else null. */
  private static JsonNode shaped(String json) {
    // Jackson writes every stored object compactly, so a reference's text starts with one of its
    // two keys in this spelling (checked first: this runs for every nested value of every record).
    if (json.length() > MAX_TEXT
        || !(json.startsWith("{\"uri\":") || json.startsWith("{\"content_type\":"))
        || !json.contains("\"content_type\"")) {
      return null;
    }
    JsonNode node;
    try {
      node = JSON.readTree(json);
    } catch (IOException e) {
      return null;
    }
    if (node == null || !node.isObject() || node.size() != 2 || !node.has("uri") || !node.has("content_type")) {
      return null;
    }
    return node;
  }

  private static String problemOf(JsonNode node) {
    JsonNode uri = node.get("uri");
    JsonNode type = node.get("content_type");
    if (!uri.isTextual() || uri.asText().isBlank()) {
      return "its 'uri' must be a non-empty string such as \"s3://bucket/scans/42.png\" or \"/data/audio/7.wav\"";
    }
    if (uri.asText().length() > MAX_URI_LENGTH) {
      return "its 'uri' is " + uri.asText().length() + " characters long; the limit is " + MAX_URI_LENGTH;
    }
    if (uri.asText().chars().anyMatch(Character::isISOControl)) {
      return "its 'uri' contains a control character; use printable characters only";
    }
    if (!type.isTextual() || !CONTENT_TYPE.matcher(type.asText()).matches()) {
      return "its 'content_type' " + type + " is not a media type of the families " + FAMILIES
          + " (e.g. \"image/png\", \"audio/wav\", \"text/plain\")";
    }
    return null;
  }
}
