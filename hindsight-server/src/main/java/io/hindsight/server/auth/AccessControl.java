package io.hindsight.server.auth;

import io.hindsight.server.ApiException;
import io.hindsight.server.ops.ServerMetrics;
import java.net.InetAddress;

/**
 * Decides whether a request may proceed. The HTTP layer asks it about the route the router
 * matched (never about the raw path, which a trailing slash or an encoding can disguise):
 *
 * <ul>
 *   <li>{@link #admitClient}: without any key, only loopback clients are served, whatever address
 *       the server listens on and however the keys came to be gone;
 *   <li>{@link #authenticate}: with keys in force, a missing or wrong key is 401, and a key file
 *       that went missing or unreadable is 503 for everyone until it is restored;
 *   <li>{@link #authorize}: a key without the route's scope is 403, decided without looking at
 *       whether the endpoint exists and without naming what the key may do instead.
 * </ul>
 */
public final class AccessControl {
  private final ApiKeys keys;
  private final ServerMetrics metrics;

  public AccessControl(ApiKeys keys, ServerMetrics metrics) {
    this.keys = keys;
    this.metrics = metrics;
  }

  public ApiKeys keys() {
    return keys;
  }

  /** Refuses a client that is not on this machine while no key exists. */
  public void admitClient(InetAddress remote) {
    if (!keys.enabled() && remote != null && !remote.isLoopbackAddress()) {
      metrics.guardHit("loopback_only");
      throw new ApiException(
          403,
          "this server has no API keys, so it answers only clients on this machine; create a key"
              + " (hindsight keys create) to serve other addresses");
    }
  }

  /** Returns the caller's key, or null when no key is in force. */
  public ApiKey authenticate(String authorization) {
    if (!keys.enabled()) {
      return null;
    }
    String unavailable = keys.unavailable();
    if (unavailable != null) {
      metrics.guardHit("keys_unavailable");
      throw new ApiException(503, unavailable, "5");
    }
    String token = null;
    if (authorization != null && authorization.regionMatches(true, 0, "Bearer ", 0, 7)) {
      token = authorization.substring(7).trim();
    }
    ApiKey key = keys.authenticate(token).orElse(null);
    if (key == null) {
      metrics.guardHit(token == null ? "missing_key" : "invalid_key");
      throw new ApiException(
          401,
          token == null
              ? "an API key is required: send Authorization: Bearer <key> (create one with hindsight keys create)"
              : "the API key is not valid (wrong, revoked or mistyped)");
    }
    return key;
  }

  /**
   * Checks that a key (null when no key is in force) holds a scope; for {@link Scope#WRITE},
   * also that it may write to {@code endpoint}, the endpoint exactly as the handler will see it.
   */
  public void authorize(ApiKey key, Scope scope, String endpoint) {
    if (key == null) {
      return;
    }
    if (scope == Scope.WRITE && endpoint != null) {
      if (!key.mayWrite(endpoint)) {
        metrics.guardHit("scope");
        throw new ApiException(
            403,
            key.allows(Scope.WRITE)
                ? "key '" + key.name() + "' may not write to this endpoint; ask an admin for a key that may"
                : "key '" + key.name() + "' lacks the write scope");
      }
    } else if (!key.allows(scope)) {
      metrics.guardHit("scope");
      throw new ApiException(403, "key '" + key.name() + "' lacks the " + scope.wireName() + " scope");
    }
  }
}
