package io.hindsight.server.http;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.Comparator;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The web UI's signed-in browsers, kept on the server: the browser holds only a random session
 * id in an HttpOnly, SameSite=Strict cookie; the API key it signed in with stays here and is
 * checked again on every request, so revoking the key ends the session. Each session has its own
 * CSRF token, which every state-changing call must echo in {@value #CSRF_HEADER}. Sessions expire
 * a fixed time after sign-in and are forgotten at restart (signing in again is the remedy).
 */
final class UiSessions {
  static final String COOKIE = "hindsight_session";
  static final String CSRF_HEADER = "X-CSRF-Token";
  /** Sessions kept at once; the oldest are dropped beyond it, so sign-ins cannot fill the memory. */
  private static final int MAX_SESSIONS = 10_000;

  private static final SecureRandom RANDOM = new SecureRandom();

  /** A signed-in browser: the key it presented, its CSRF token and when it ends. */
  record Session(String apiKey, String csrf, Instant expires) {}

  private final Map<String, Session> byId = new ConcurrentHashMap<>();
  private final Clock clock;
  private final Duration lifetime;

  UiSessions(Clock clock, Duration lifetime) {
    this.clock = clock;
    this.lifetime = lifetime;
  }

  Duration lifetime() {
    return lifetime;
  }

  /** Starts a session for a key already checked by the caller; returns its id (the cookie value). */
  String start(String apiKey) {
    if (byId.size() >= MAX_SESSIONS) {
      byId.entrySet().stream()
          .min(Map.Entry.comparingByValue(Comparator.comparing(Session::expires)))
          .ifPresent(oldest -> byId.remove(oldest.getKey()));
    }
    String id = token();
    byId.put(id, new Session(apiKey, token(), clock.instant().plus(lifetime)));
    return id;
  }

  /** The live session a cookie value names, or null (unknown, expired or no cookie). */
  Session find(String id) {
    if (id == null) {
      return null;
    }
    Session s = byId.get(id);
    if (s != null && !clock.instant().isBefore(s.expires())) {
      byId.remove(id);
      return null;
    }
    return s;
  }

  void end(String id) {
    if (id != null) {
      byId.remove(id);
    }
  }

  /** Whether the token a request carries is the session's own, compared in constant time. */
  static boolean csrfMatches(Session s, String token) {
    return token != null
        && MessageDigest.isEqual(
            s.csrf().getBytes(StandardCharsets.UTF_8),
            token.getBytes(StandardCharsets.UTF_8));
  }

  private static String token() {
    byte[] b = new byte[32];
    RANDOM.nextBytes(b);
    return Base64.getUrlEncoder().withoutPadding().encodeToString(b);
  }
}
