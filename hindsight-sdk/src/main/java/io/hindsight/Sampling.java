package io.hindsight;

/**
 * The deterministic sampling function, public so that other services (a feedback collector, a
 * batch job, a service in another language) decide exactly as the SDK does for the same id.
 *
 * <p>A prediction id maps to a position in {@code [0, 1)}: FNV-1a 64-bit over the id's UTF-8
 * bytes, then the MurmurHash3 64-bit finaliser ({@code fmix64}), then the top 53 bits divided by
 * 2<sup>53</sup>. A prediction is kept by the base rate when its position is below the rate, so
 * raising the rate only ever adds predictions.
 */
public final class Sampling {
  private static final long FNV_OFFSET = 0xcbf29ce484222325L;
  private static final long FNV_PRIME = 0x100000001b3L;

  private Sampling() {}

  /** The id's position in {@code [0, 1)}; the same id always gives the same position. */
  public static double position(String predictionId) {
    long h = FNV_OFFSET;
    int n = predictionId.length();
    for (int i = 0; i < n; i++) {
      char c = predictionId.charAt(i);
      if (c < 0x80) {
        h = (h ^ c) * FNV_PRIME;
      } else if (c < 0x800) {
        h = (h ^ (0xC0 | (c >> 6))) * FNV_PRIME;
        h = (h ^ (0x80 | (c & 0x3F))) * FNV_PRIME;
      } else if (Character.isHighSurrogate(c) && i + 1 < n && Character.isLowSurrogate(predictionId.charAt(i + 1))) {
        int cp = Character.toCodePoint(c, predictionId.charAt(++i));
        h = (h ^ (0xF0 | (cp >> 18))) * FNV_PRIME;
        h = (h ^ (0x80 | ((cp >> 12) & 0x3F))) * FNV_PRIME;
        h = (h ^ (0x80 | ((cp >> 6) & 0x3F))) * FNV_PRIME;
        h = (h ^ (0x80 | (cp & 0x3F))) * FNV_PRIME;
      } else {
        h = (h ^ (0xE0 | (c >> 12))) * FNV_PRIME;
        h = (h ^ (0x80 | ((c >> 6) & 0x3F))) * FNV_PRIME;
        h = (h ^ (0x80 | (c & 0x3F))) * FNV_PRIME;
      }
    }
    h ^= h >>> 33;
    h *= 0xff51afd7ed558ccdL;
    h ^= h >>> 33;
    h *= 0xc4ceb9fe1a85ec53L;
    h ^= h >>> 33;
    return (h >>> 11) * 0x1.0p-53;
  }

  /** Whether the base rate keeps this id: {@code position(id) < rate}. */
  public static boolean keeps(String predictionId, double rate) {
    return rate >= 1.0 || (rate > 0.0 && position(predictionId) < rate);
  }
}
