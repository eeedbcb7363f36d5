package io.hindsight.server.auth;

import io.hindsight.server.ApiException;
import java.util.Locale;

/**
 * Decides, before any handler runs, whether a request may proceed: with keys configured, every
 * {@code /v1} call and {@code /metrics} need {@code Authorization: Bearer <key>}. A missing or
 * wrong key is 401 and a key without the scope is 403, both decided from the path alone, so
 * neither answer says whether an endpoint exists. {@code /health} stays open.
 */
public final class AccessControl {
  private final ApiKeys keys;

  public AccessControl(ApiKeys keys) {
    this.keys = keys;
  }

  public ApiKeys keys() {
    return keys;
  }

  /** Returns the authenticated key, or null when auth is off or the path is open. */
  public ApiKey check(String method, String path, String authorization) {
    if (!path.startsWith("/v1/") && !path.equals("/v1") && !path.equals("/metrics")) {
      return null;
    }
    if (!keys.enabled()) {
      return null;
    }
    String token = null;
    if (authorization != null && authorization.regionMatches(true, 0, "Bearer ", 0, 7)) {
      token = authorization.substring(7).trim();
    }
    ApiKey key = keys.authenticate(token).orElse(null);
    if (key == null) {
      throw new ApiException(
          401,
          token == null
              ? "an API key is required: send Authorization: Bearer <key> (create one with hindsight keys create)"
              : "the API key is not valid (wrong, revoked or mistyped)");
    }
    String m = method.toUpperCase(Locale.ROOT);
    if (path.startsWith("/v1/keys")) {
      require(key, Scope.ADMIN);
    } else if (m.equals("POST") && isIngest(path)) {
      String endpoint = path.split("/")[3];
      if (!key.mayWrite(endpoint)) {
        throw new ApiException(
            403,
            key.allows(Scope.WRITE)
                ? "key '" + key.name() + "' may write only to " + String.join(", ", key.endpoints())
                : "key '" + key.name() + "' lacks the write scope");
      }
    } else {
      require(key, Scope.READ);
    }
    return key;
  }

  private static boolean isIngest(String path) {
    String[] parts = path.split("/");
    return parts.length == 5
        && parts[2].equals("endpoints")
        && (parts[4].equals("predictions") || parts[4].equals("feedback") || parts[4].equals("events"));
  }

  private static void require(ApiKey key, Scope scope) {
    if (!key.allows(scope)) {
      throw new ApiException(403, "key '" + key.name() + "' lacks the " + scope.wireName() + " scope");
    }
  }
}
