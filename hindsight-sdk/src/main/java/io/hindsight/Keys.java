package io.hindsight;

import java.util.Locale;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Validates user keys against DESIGN §2 and caches the result, so the hot path pays one hash
 * lookup per {@code log} instead of a character scan.
 *
 * <p>Each valid key maps to a {@link Key} whose {@link Key#column} object is shared by every
 * spelling of the same case-insensitive name ({@code Score}, {@code score}), so a scope detects a
 * duplicate column with an identity comparison.
 */
final class Keys {
  /** Longest key allowed by DESIGN §2. */
  static final int MAX_KEY_LENGTH = 128;

  /** Distinct spellings cached; past it keys are still validated, just not cached. */
  static final int CACHE_LIMIT = 65_536;

  static final Set<String> SYSTEM_FIELDS =
      Set.of(
          "prediction_id", "endpoint", "ts", "date", "model_version", "request_id", "tags",
          "latency_ms", "status", "error", "sample_rate");

  private static final ConcurrentHashMap<String, Key> BY_SPELLING = new ConcurrentHashMap<>();
  private static final ConcurrentHashMap<String, Column> BY_COLUMN = new ConcurrentHashMap<>();

  private Keys() {}

  /** The column a key names: one instance per lower-case name while the cache has room. */
  static final class Column {
    final String lowerName;
    /** One bit of a 64-bit filter, so most new keys skip the duplicate scan. */
    final long bit;
    /** Whether this is the one cached instance for its name, so identity decides equality. */
    final boolean canonical;

    Column(String lowerName, boolean canonical) {
      this.lowerName = lowerName;
      this.bit = 1L << (mix(lowerName.hashCode()) & 63);
      this.canonical = canonical;
    }

    boolean sameAs(Column other) {
      if (this == other) {
        return true;
      }
      return !(canonical && other.canonical) && lowerName.equals(other.lowerName);
    }

    private static int mix(int h) {
      h ^= h >>> 16;
      h *= 0x85ebca6b;
      h ^= h >>> 13;
      return h;
    }
  }

  /** A validated key as the user spelt it, with its column. */
  static final class Key {
    final String name;
    final Column column;

    Key(String name, Column column) {
      this.name = name;
      this.column = column;
    }
  }

  /**
   * Returns the validated key, or throws {@link IllegalArgumentException} saying how to fix it.
   */
  static Key of(String name) {
    Key key = BY_SPELLING.get(name == null ? "" : name);
    if (key != null) {
      return key;
    }
    return validateAndCache(name);
  }

  private static Key validateAndCache(String name) {
    String problem = problem(name);
    if (problem != null) {
      throw new IllegalArgumentException(problem);
    }
    String lower = name.toLowerCase(Locale.ROOT);
    if (BY_SPELLING.size() >= CACHE_LIMIT) {
      Column column = BY_COLUMN.get(lower);
      return new Key(name, column != null ? column : new Column(lower, false));
    }
    Column column = BY_COLUMN.computeIfAbsent(lower, l -> new Column(l, true));
    Key key = new Key(name, column);
    Key raced = BY_SPELLING.putIfAbsent(name, key);
    return raced != null ? raced : key;
  }

  /** Feedback's own fields: its other keys may reuse prediction field names (DESIGN §4). */
  static final Set<String> FEEDBACK_SYSTEM_FIELDS = Set.of("prediction_id", "endpoint", "ts", "date");

  /**
   * Returns a validated feedback key, or throws saying how to fix it. Feedback reserves only its own
   * fields (and the SDK's {@code hindsight_removed}): {@code status} or {@code feedback_label} are
   * fine there, as the server agrees.
   */
  static Key ofFeedback(String name) {
    String problem = syntaxProblem(name);
    String lower = problem == null ? name.toLowerCase(Locale.ROOT) : null;
    if (problem == null && FEEDBACK_SYSTEM_FIELDS.contains(lower)) {
      problem = "feedback key '" + name + "' is a field of every feedback record; pass the prediction id"
          + " and time as arguments of feedback(...) or rename the key";
    }
    if (problem == null) {
      problem = sdkKeyProblem(name, lower);
    }
    if (problem != null) {
      throw new IllegalArgumentException(problem);
    }
    Column column = BY_COLUMN.get(lower);
    return new Key(name, column != null ? column : new Column(lower, false));
  }

  /** Why a prediction key is not allowed, or null when it is fine. A char loop, not a regex. */
  static String problem(String name) {
    String problem = syntaxProblem(name);
    if (problem != null) {
      return problem;
    }
    String lower = name.toLowerCase(Locale.ROOT);
    if (SYSTEM_FIELDS.contains(lower)) {
      return "key '" + name + "' is a system field of every prediction record; set it through"
          + " the Prediction API (e.g. requestId(), timestamp(), tag()) or rename your key,"
          + " e.g. \"user_" + lower + "\"";
    }
    if (lower.startsWith("feedback_")) {
      return "key '" + name + "' starts with 'feedback_', which is reserved for the columns that"
          + " join feedback to predictions; send feedback with hindsight.feedback(predictionId,"
          + " data) or rename the key";
    }
    return sdkKeyProblem(name, lower);
  }

  private static String sdkKeyProblem(String name, String lower) {
    if (lower.equals(OversizedValues.KEY)) {
      return "key '" + name + "' is reserved: the SDK lists there the values it left out of a record"
          + " over maxRecordBytes; rename your key";
    }
    return null;
  }

  /** Why a name is not a key at all ([A-Za-z][A-Za-z0-9_]{0,127}), or null. */
  private static String syntaxProblem(String name) {
    if (name == null || name.isEmpty()) {
      return "a key must not be null or empty; use a name such as \"credit_score\"";
    }
    int n = name.length();
    if (n > MAX_KEY_LENGTH) {
      return "key '" + abbreviate(name) + "' is " + n + " characters long; keys have at most "
          + MAX_KEY_LENGTH + " characters, use a shorter name";
    }
    char first = name.charAt(0);
    if (first == '_') {
      return "key '" + name + "' starts with '_', which is reserved for Hindsight's own columns;"
          + " start it with a letter";
    }
    if (!isLetter(first)) {
      return "key '" + name + "' must start with a letter A-Z or a-z; keys match"
          + " [A-Za-z][A-Za-z0-9_]{0,127}";
    }
    for (int i = 1; i < n; i++) {
      char c = name.charAt(i);
      if (!isLetter(c) && !(c >= '0' && c <= '9') && c != '_') {
        return "key '" + name + "' contains '" + c + "' at position " + i
            + "; keys use only letters, digits and '_' ([A-Za-z][A-Za-z0-9_]{0,127}),"
            + " e.g. \"" + suggestion(name) + "\"";
      }
    }
    return null;
  }

  private static boolean isLetter(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
  }

  private static String suggestion(String name) {
    StringBuilder sb = new StringBuilder(name.length());
    for (int i = 0; i < name.length() && sb.length() < MAX_KEY_LENGTH; i++) {
      char c = name.charAt(i);
      sb.append(isLetter(c) || (c >= '0' && c <= '9') ? c : '_');
    }
    return sb.toString();
  }

  private static String abbreviate(String s) {
    return s.length() <= 40 ? s : s.substring(0, 40) + "...";
  }
}
