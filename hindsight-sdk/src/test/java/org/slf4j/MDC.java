package org.slf4j;

import java.util.HashMap;
import java.util.Map;

/** A stand-in for SLF4J's MDC, so the SDK's reflective lookup can be tested without SLF4J. */
public final class MDC {
  private static final ThreadLocal<Map<String, String>> VALUES = ThreadLocal.withInitial(HashMap::new);

  private MDC() {}

  public static String get(String key) {
    return VALUES.get().get(key);
  }

  public static void put(String key, String value) {
    VALUES.get().put(key, value);
  }

  public static void clear() {
    VALUES.get().clear();
  }
}
