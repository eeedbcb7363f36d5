package io.hindsight.server.auth;

import java.util.List;
import java.util.Set;

/**
 * A stored API key: never the secret, only a salted SHA-256 of it. The key a client sends is
 * {@code hs_<id>_<secret>}; the id finds the entry, the secret is checked against the hash in
 * constant time.
 *
 * @param endpoints for write keys, the only endpoints they may write to; empty means all
 */
public record ApiKey(
    String id,
    String name,
    String salt,
    String hash,
    Set<Scope> scopes,
    List<String> endpoints,
    String created,
    boolean revoked) {

  public boolean allows(Scope scope) {
    return !revoked && (scopes.contains(scope) || scopes.contains(Scope.ADMIN));
  }

  public boolean mayWrite(String endpoint) {
    return allows(Scope.WRITE) && (endpoints.isEmpty() || scopes.contains(Scope.ADMIN) || endpoints.contains(endpoint));
  }

  public ApiKey revoke() {
    return new ApiKey(id, name, salt, hash, scopes, endpoints, created, true);
  }
}
