package io.hindsight.server.schema;

import java.io.IOException;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import com.fasterxml.jackson.core.io.schubfach.DoubleToDecimal;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.erdtman.jcs.JsonCanonicalizer;
import org.erdtman.jcs.NumberToJSON;

/**
 * RFC 8785 JSON Canonicalization Scheme: object keys sorted by UTF-16 code units, no whitespace,
 * strings with the minimal escapes of ECMAScript's JSON.stringify, numbers as ECMAScript writes
 * doubles. Values (maps, lists, strings, numbers, booleans, null) are written straight from the
 * Java objects ({@link JsonText} marked canonical verbatim), numbers with Jackson's shortest-digits writer laid out as ECMAScript does; the RFC
 * authors' library, which writes text and parses it again, gives the same bytes (tested on random
 * values) at several times the cost, which the audited ingest path cannot afford.
 */
public final class CanonicalJson {
  /** Stands for a null member value in a list of members ({@code Map.entry} takes no null). */
  private static final Object NULL = new Object();

  /** Integers up to 2^53 are exact doubles, which ECMAScript writes as plain digits. */
  private static final long EXACT = 1L << 53;

  private CanonicalJson() {}

  /**
   * An object given as its members, in any order (non-null values): written as the map of them
   * would be, without building the map.
   */
  public record Members(List<Map.Entry<String, Object>> members) {}

  /** The canonical UTF-8 bytes of a value made of maps, lists, strings, numbers, booleans and nulls. */
  public static byte[] of(Object value) throws IOException {
    StringBuilder out = new StringBuilder(4096); // a record's text fits without growing
    write(out, value);
    return out.toString().getBytes(StandardCharsets.UTF_8);
  }

  /** JSON text in canonical form, marked so that {@link #of} takes it as it is. */
  public static JsonText canonical(JsonText text, ObjectMapper json) throws IOException {
    if (text.canonical()) {
      return text;
    }
    StringBuilder out = new StringBuilder(text.json().length());
    write(out, json.readValue(text.json(), Object.class));
    return new JsonText(out.toString(), true);
  }

  /** The canonical UTF-8 bytes of JSON text. */
  public static byte[] ofText(String json) throws IOException {
    return new JsonCanonicalizer(json).getEncodedUTF8();
  }

  private static void write(StringBuilder out, Object v) throws IOException {
    if (v == null) {
      out.append("null");
    } else if (v instanceof String s) {
      string(out, s);
    } else if (v instanceof Boolean b) {
      out.append(b.booleanValue());
    } else if (v instanceof Long || v instanceof Integer || v instanceof Short || v instanceof Byte) {
      long l = ((Number) v).longValue();
      if (-EXACT <= l && l <= EXACT) {
        out.append(l);
      } else {
        number(out, (double) l);
      }
    } else if (v instanceof Double || v instanceof Float || v instanceof BigDecimal || v instanceof BigInteger) {
      number(out, ((Number) v).doubleValue());
    } else if (v instanceof JsonText t && t.canonical()) {
      out.append(t.json());
    } else if (v instanceof Map<?, ?> m) {
      object(out, m);
    } else if (v instanceof Members m) {
      members(out, m.members());
    } else if (v instanceof List<?> list) {
      out.append('[');
      for (int i = 0; i < list.size(); i++) {
        if (i > 0) {
          out.append(',');
        }
        write(out, list.get(i));
      }
      out.append(']');
    } else {
      throw new IOException("no JSON form for a " + v.getClass().getName());
    }
  }

  /**
   * Writes a JSON number token (as a parser read it) in canonical form. A token of at most 15
   * significant digits without an exponent names its double exactly enough that the shortest
   * digits reading back as that double are its own digits, so it is only trimmed (trailing zeros,
   * a bare point, the sign of zero); any other token goes through the double.
   */
  public static void number(StringBuilder out, String token) throws IOException {
    if (!plainNumber(out, token)) {
      number(out, Double.parseDouble(token));
    }
  }

  /**
   * Writes the trimmed token where that is its canonical form (see {@link #number(StringBuilder,
   * String)}); returns false, having written nothing, where the token's double must be written.
   */
  public static boolean plainNumber(StringBuilder out, String token) {
    int n = token.length();
    int start = token.charAt(0) == '-' ? 1 : 0;
    int dot = -1;
    for (int i = start; i < n; i++) {
      char c = token.charAt(i);
      if (c == '.') {
        dot = i;
      } else if (c < '0' || c > '9') {
        return false; // an exponent
      }
    }
    int intEnd = dot < 0 ? n : dot;
    int end = n;
    if (dot >= 0) {
      while (end > dot + 1 && token.charAt(end - 1) == '0') {
        end--;
      }
      if (end == dot + 1) {
        end = dot; // nothing left after the point
      }
    }
    int firstSignificant = start;
    while (firstSignificant < end && (token.charAt(firstSignificant) == '0' || token.charAt(firstSignificant) == '.')) {
      firstSignificant++;
    }
    if (firstSignificant == end) {
      out.append('0'); // zero, whatever its sign
      return true;
    }
    int lastSignificant = end - 1;
    while (dot < 0 && token.charAt(lastSignificant) == '0') {
      lastSignificant--; // trailing zeros of an integer hold its magnitude, not its precision
    }
    int significant = lastSignificant - firstSignificant + 1 - (dot > firstSignificant && dot < lastSignificant ? 1 : 0);
    boolean belowOne = intEnd - start == 1 && token.charAt(start) == '0';
    if (significant > 15
        || intEnd - start > 21 // ECMAScript writes 1e21 and up with an exponent
        || (belowOne && firstSignificant - dot > 6)) { // and below 1e-6 too
      return false;
    }
    out.append(token, 0, end);
    return true;
  }

  /** Writes a double as ECMAScript does; throws for a value JSON cannot hold (NaN, infinities). */
  public static void number(StringBuilder out, double d) throws IOException {
    if (d == Math.rint(d) && Math.abs(d) <= EXACT) {
      out.append((long) d); // also writes -0 as 0, as ECMAScript does
    } else if (!Double.isFinite(d)) {
      out.append(NumberToJSON.serializeNumber(d)); // throws: JSON has no such number
    } else {
      es6(out, d);
    }
  }

  /**
   * ECMAScript's Number::toString (ECMA-262 §6.1.6.1.20) of a finite double: the shortest digits
   * that read back as {@code d}, from Jackson's Schubfach writer, laid out as ECMAScript does
   * (plain from 1e-6 to below 1e21, else {@code d.ddde±n}).
   */
  private static void es6(StringBuilder out, double d) {
    String s = DoubleToDecimal.toString(Math.abs(d));
    int e = s.indexOf('E');
    if (e < 0) {
      // From 1e-3 to below 1e7 Schubfach writes the shortest digits plainly, as ECMAScript does
      // (integers, which it would end in ".0", never come here).
      (d < 0 ? out.append('-') : out).append(s);
      return;
    }
    String mantissa = e < 0 ? s : s.substring(0, e);
    int dot = mantissa.indexOf('.');
    String digits = mantissa.substring(0, dot) + mantissa.substring(dot + 1);
    int n = dot + (e < 0 ? 0 : Integer.parseInt(s.substring(e + 1)));
    int start = 0;
    while (start < digits.length() - 1 && digits.charAt(start) == '0') {
      start++;
      n--;
    }
    int end = digits.length();
    while (end > start + 1 && digits.charAt(end - 1) == '0') {
      end--;
    }
    digits = digits.substring(start, end);
    if (digits.length() == 2) {
      // Java writes at least two digits where one would do (4.9E-324); ECMAScript writes one.
      digits = oneDigitIfExact(Math.abs(d), digits, n);
      if (digits.length() == 1 && digits.charAt(0) == ':') {
        digits = "1";
        n++;
      }
    }
    int k = digits.length();
    if (d < 0) {
      out.append('-');
    }
    if (k <= n && n <= 21) {
      zeros(out.append(digits), n - k);
    } else if (0 < n && n <= 21) {
      out.append(digits, 0, n).append('.').append(digits, n, k);
    } else if (-6 < n && n <= 0) {
      zeros(out.append("0."), -n).append(digits);
    } else {
      out.append(digits.charAt(0));
      if (k > 1) {
        out.append('.').append(digits, 1, k);
      }
      out.append('e').append(n - 1 >= 0 ? "+" : "-").append(Math.abs(n - 1));
    }
  }

  private static StringBuilder zeros(StringBuilder out, int n) {
    for (int i = 0; i < n; i++) {
      out.append('0');
    }
    return out;
  }

  /**
   * One digit instead of two when one reads back as the same double (':' stands for 10); of two
   * that do, the one closer to the double's exact value, as ECMAScript picks.
   */
  private static String oneDigitIfExact(double v, String two, int n) {
    int first = two.charAt(0) - '0';
    BigDecimal exact = new BigDecimal(v);
    int best = -1;
    BigDecimal bestDistance = null;
    for (int candidate : new int[] {first, first + 1}) {
      if (Double.parseDouble(candidate + "E" + (n - 1)) != v) {
        continue;
      }
      BigDecimal distance = new BigDecimal(candidate).scaleByPowerOfTen(n - 1).subtract(exact).abs();
      if (bestDistance == null || distance.compareTo(bestDistance) < 0) {
        best = candidate;
        bestDistance = distance;
      }
    }
    return best < 0 ? two : String.valueOf((char) ('0' + best));
  }

  private static void object(StringBuilder out, Map<?, ?> m) throws IOException {
    List<Map.Entry<String, Object>> members = new ArrayList<>(m.size());
    for (Map.Entry<?, ?> e : m.entrySet()) {
      members.add(Map.entry((String) e.getKey(), e.getValue() == null ? NULL : e.getValue()));
    }
    members(out, members);
  }

  private static void members(StringBuilder out, List<Map.Entry<String, Object>> members) throws IOException {
    // String order is UTF-16 code unit order, which is what RFC 8785 §3.2.3 asks for.
    members.sort(Map.Entry.comparingByKey());
    out.append('{');
    for (int i = 0; i < members.size(); i++) {
      if (i > 0) {
        out.append(',');
      }
      string(out, members.get(i).getKey());
      out.append(':');
      Object v = members.get(i).getValue();
      write(out, v == NULL ? null : v);
    }
    out.append('}');
  }

  /** Writes a string with the escapes RFC 8785 asks for. */
  public static void string(StringBuilder out, String s) {
    out.append('"');
    int from = 0;
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c >= 0x20 && c != '"' && c != '\\') {
        continue; // most strings need no escape: they are copied in runs, not char by char
      }
      out.append(s, from, i);
      from = i + 1;
      switch (c) {
        case '"' -> out.append("\\\"");
        case '\\' -> out.append("\\\\");
        case '\b' -> out.append("\\b");
        case '\f' -> out.append("\\f");
        case '\n' -> out.append("\\n");
        case '\r' -> out.append("\\r");
        case '\t' -> out.append("\\t");
        default -> out.append("\\u00").append(Character.forDigit(c >> 4, 16)).append(Character.forDigit(c & 0xf, 16));
      }
    }
    out.append(s, from, s.length()).append('"');
  }
}
