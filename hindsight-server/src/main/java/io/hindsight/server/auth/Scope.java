package io.hindsight.server.auth;

import java.util.Locale;

/** What an API key may do. {@code admin} includes the other two. */
public enum Scope {
  /** Ingest predictions, feedback and events, optionally for named endpoints only. */
  WRITE,
  /** Query, look up, list, read metrics and the UI. */
  READ,
  /** Manage keys; implies read and write. */
  ADMIN;

  public String wireName() {
    return name().toLowerCase(Locale.ROOT);
  }

  public static Scope parse(String s) {
    for (Scope v : values()) {
      if (v.wireName().equalsIgnoreCase(s)) {
        return v;
      }
    }
    throw new IllegalArgumentException("unknown scope '" + s + "'; use write, read or admin");
  }
}
