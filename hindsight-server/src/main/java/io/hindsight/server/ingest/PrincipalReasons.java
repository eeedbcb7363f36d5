package io.hindsight.server.ingest;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.hindsight.server.schema.JsonText;
import java.io.IOException;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The {@code reasons} key of a prediction (DESIGN §12): the principal reasons of a decision for
 * adverse-action notices, {@code [{"code", "text"?, "contribution"?}]}, at most four. A record
 * whose reasons do not have this shape is rejected, so every stored reason can be shown as one.
 */
final class PrincipalReasons {
  /** Reg B asks for the principal reasons; more than four is no longer principal. */
  static final int MAX = 4;
  private static final int MAX_CODE = 64;
  private static final int MAX_TEXT = 1024;
  private static final Set<String> FIELDS = Set.of("code", "text", "contribution");

  private PrincipalReasons() {}

  /**
   * Checks the {@code reasons} key of a record's data (keys match case-insensitively), if it has
   * one; the body reader hands nested values over as {@link JsonText}.
   */
  static void check(RecordFields data, ObjectMapper json) throws RecordNormalizer.Rejection {
    for (int i = 0; i < data.size(); i++) {
      Object value = data.value(i);
      if (value != null && isReasons(data.name(i))) {
        checkList(value instanceof JsonText t ? parse(t, json) : value);
      }
    }
  }

  /** Whether a key is {@code reasons} in any case (ASCII only, as every valid key is). */
  private static boolean isReasons(String key) {
    String reasons = "reasons";
    if (key.length() != reasons.length()) {
      return false;
    }
    for (int i = 0; i < reasons.length(); i++) {
      if ((key.charAt(i) | 0x20) != reasons.charAt(i)) {
        return false;
      }
    }
    return true;
  }

  private static Object parse(JsonText text, ObjectMapper json) throws RecordNormalizer.Rejection {
    try {
      return json.readValue(text.json(), Object.class);
    } catch (IOException e) {
      throw invalid("'reasons' is not valid JSON: " + e.getMessage());
    }
  }

  private static void checkList(Object value) throws RecordNormalizer.Rejection {
    if (!(value instanceof List<?> list)) {
      throw invalid("'reasons' must be a list like [{\"code\": \"R01\", \"text\": \"debt ratio\", \"contribution\": 0.31}]");
    }
    if (list.size() > MAX) {
      throw invalid("'reasons' lists " + list.size() + " reasons; give at most " + MAX + " principal reasons, the strongest first");
    }
    for (int i = 0; i < list.size(); i++) {
      if (!(list.get(i) instanceof Map<?, ?> reason)) {
        throw invalid("reason " + i + " must be an object {\"code\", \"text\"?, \"contribution\"?}");
      }
      for (Object k : reason.keySet()) {
        if (!FIELDS.contains(k)) {
          throw invalid("reason " + i + " has the unknown field '" + k + "'; a reason has only code, text and contribution");
        }
      }
      if (!(reason.get("code") instanceof String code) || code.isEmpty() || code.length() > MAX_CODE) {
        throw invalid("reason " + i + " needs a 'code': a string of 1 to " + MAX_CODE + " characters");
      }
      Object text = reason.get("text");
      if (text != null && (!(text instanceof String t) || t.length() > MAX_TEXT)) {
        throw invalid("reason " + i + ": 'text' must be a string of at most " + MAX_TEXT + " characters");
      }
      Object contribution = reason.get("contribution");
      if (contribution != null && !(contribution instanceof Number)) {
        throw invalid("reason " + i + ": 'contribution' must be a number");
      }
    }
  }

  private static RecordNormalizer.Rejection invalid(String message) {
    return new RecordNormalizer.Rejection("invalid_reasons", message);
  }
}
