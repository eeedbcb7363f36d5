package io.hindsight.server.http;

import io.hindsight.server.auth.Scope;
import io.javalin.security.RouteRole;
import java.util.Set;

/**
 * What a route needs from its caller, declared with the route itself so that access is decided
 * on the route the router matched. A route that declares nothing needs the admin scope.
 */
enum RouteAccess implements RouteRole {
  OPEN(null),
  READ(Scope.READ),
  WRITE(Scope.WRITE),
  ADMIN(Scope.ADMIN);

  final Scope scope;

  RouteAccess(Scope scope) {
    this.scope = scope;
  }

  static RouteAccess of(Set<RouteRole> roles) {
    for (RouteRole r : roles) {
      if (r instanceof RouteAccess a) {
        return a;
      }
    }
    return ADMIN;
  }
}
