package io.hindsight;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * One principal reason of a decision, for adverse-action notices: a reason {@code code} (your
 * catalogue's, e.g. {@code "R07"}), an optional human {@code text} and an optional {@code
 * contribution} (e.g. the feature's share of the score). Log up to four, strongest first, with
 * {@link Hindsight#logReasons(Reason...)}; the server stores them under the key {@code reasons}
 * and shows them next to the decision.
 *
 * @param text null when not given
 * @param contribution null when not given
 */
public record Reason(String code, String text, Double contribution) {
  /** At most this many reasons per decision (the server rejects a record with more). */
  public static final int MAX = 4;

  /**
   * @throws IllegalArgumentException when {@code code} is empty or longer than 64 characters, or
   *     {@code text} is longer than 1,024 characters, or {@code contribution} is not finite
   */
  public Reason {
    if (code == null || code.isEmpty() || code.length() > 64) {
      throw new IllegalArgumentException("a reason needs a code of 1 to 64 characters, e.g. \"R07\"");
    }
    if (text != null && text.length() > 1024) {
      throw new IllegalArgumentException("the text of reason '" + code + "' is longer than 1024 characters; keep it to a sentence");
    }
    if (contribution != null && !Double.isFinite(contribution)) {
      throw new IllegalArgumentException("the contribution of reason '" + code + "' must be a finite number");
    }
  }

  /** A reason with a code only. */
  public static Reason of(String code) {
    return new Reason(code, null, null);
  }

  /** A reason with a code and a text. */
  public static Reason of(String code, String text) {
    return new Reason(code, text, null);
  }

  /** A reason with a code, a text and its contribution. */
  public static Reason of(String code, String text, double contribution) {
    return new Reason(code, text, contribution);
  }

  /** The JSON object the server stores: {@code {"code", "text"?, "contribution"?}}. */
  Map<String, Object> toJson() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("code", code);
    if (text != null) {
      m.put("text", text);
    }
    if (contribution != null) {
      m.put("contribution", contribution);
    }
    return m;
  }
}
