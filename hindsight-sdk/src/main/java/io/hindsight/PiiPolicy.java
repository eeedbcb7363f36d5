package io.hindsight;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * What happens to the value of a sensitive key before it leaves the process. Policies are set per
 * key on the builder ({@link HindsightBuilder#pii(String, PiiPolicy)}) and applied when the value
 * is logged, so the raw value is never kept by the SDK, queued, spooled or sent.
 *
 * <ul>
 *   <li>{@link #pseudonymize()}: {@code "hmac:" + hex(HMAC-SHA256(secret, value))[0..32]}. The
 *       same value and secret give the same pseudonym, so joins and counts still work; without
 *       the secret it cannot be reversed or guessed by hashing candidates.
 *   <li>{@link #mask(int)}: every character but the last {@code n} becomes {@code '*'}.
 *   <li>{@link #drop()}: the key is not recorded at all.
 * </ul>
 *
 * <p>Non-string values are turned into their JSON text first (a number {@code 4111} is treated as
 * {@code "4111"}).
 */
public final class PiiPolicy {
  enum Kind {
    PSEUDONYMIZE,
    MASK,
    DROP
  }

  /** Marks a value the policy removed. */
  static final Object DROPPED = new Object();

  private static final char[] HEX = "0123456789abcdef".toCharArray();
  private static final int PSEUDONYM_BYTES = 16;

  final Kind kind;
  final int keepLast;

  private PiiPolicy(Kind kind, int keepLast) {
    this.kind = kind;
    this.keepLast = keepLast;
  }

  /** Replaces the value with a keyed HMAC-SHA256 pseudonym; needs {@link HindsightBuilder#piiSecret}. */
  public static PiiPolicy pseudonymize() {
    return new PiiPolicy(Kind.PSEUDONYMIZE, 0);
  }

  /** Keeps only the last {@code keepLast} characters, e.g. {@code mask(4)}: {@code ************1234}. */
  public static PiiPolicy mask(int keepLast) {
    if (keepLast < 0) {
      throw new IllegalArgumentException("mask(keepLast) needs keepLast >= 0, got " + keepLast);
    }
    return new PiiPolicy(Kind.MASK, keepLast);
  }

  /** Does not record the key at all. */
  public static PiiPolicy drop() {
    return new PiiPolicy(Kind.DROP, 0);
  }

  @Override
  public String toString() {
    return kind == Kind.MASK ? "mask(" + keepLast + ")" : kind.name().toLowerCase(java.util.Locale.ROOT) + "()";
  }

  /** Applies the policy to a snapshot value; returns {@link #DROPPED} for {@link #drop()}. */
  Object apply(Object snapshot, byte[] secret) {
    if (kind == Kind.DROP) {
      return DROPPED;
    }
    if (snapshot == null) {
      return null;
    }
    String text =
        snapshot instanceof String
            ? (String) snapshot
            : new String(new JsonOut(32).value(snapshot).toByteArray(), StandardCharsets.UTF_8);
    if (kind == Kind.MASK) {
      return mask(text, keepLast);
    }
    return pseudonym(text, secret);
  }

  static String mask(String text, int keepLast) {
    int n = text.length();
    int keep = n <= keepLast ? 0 : keepLast;
    StringBuilder sb = new StringBuilder(n);
    for (int i = 0; i < n - keep; i++) {
      sb.append('*');
    }
    sb.append(text, n - keep, n);
    return sb.toString();
  }

  private static final ThreadLocal<Mac> MACS =
      ThreadLocal.withInitial(
          () -> {
            try {
              return Mac.getInstance("HmacSHA256");
            } catch (GeneralSecurityException e) {
              throw new IllegalStateException("this JVM has no HmacSHA256", e);
            }
          });

  static String pseudonym(String text, byte[] secret) {
    try {
      Mac mac = MACS.get();
      mac.init(new SecretKeySpec(secret, "HmacSHA256"));
      byte[] digest = mac.doFinal(text.getBytes(StandardCharsets.UTF_8));
      char[] out = new char[5 + PSEUDONYM_BYTES * 2];
      "hmac:".getChars(0, 5, out, 0);
      for (int i = 0; i < PSEUDONYM_BYTES; i++) {
        out[5 + 2 * i] = HEX[(digest[i] >> 4) & 0xF];
        out[6 + 2 * i] = HEX[digest[i] & 0xF];
      }
      return new String(out);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("HMAC-SHA256 failed", e);
    }
  }
}
