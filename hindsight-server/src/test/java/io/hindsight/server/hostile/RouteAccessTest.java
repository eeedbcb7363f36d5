package io.hindsight.server.hostile;

import static org.assertj.core.api.Assertions.assertThat;

import io.hindsight.server.TestServer;
import io.hindsight.server.auth.ApiKeys;
import io.hindsight.server.auth.Scope;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Access is decided on the route the router matches, so no spelling of a path reaches a handler
 * without the key its route needs: not a trailing slash, a double slash, another letter case, a
 * percent-encoded letter or a path parameter.
 */
@Timeout(120)
class RouteAccessTest {
  private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
  private static final String RECORD = "{\"data\": {\"x\": 1}}";

  /** Every route of the API with a concrete path: method, path. */
  private static final List<String[]> ROUTES =
      List.of(
          new String[] {"GET", "/metrics"},
          new String[] {"GET", "/v1/endpoints"},
          new String[] {"GET", "/v1/endpoints/e1/schema"},
          new String[] {"GET", "/v1/endpoints/e1/predictions/p1"},
          new String[] {"POST", "/v1/endpoints/e1/predictions"},
          new String[] {"POST", "/v1/endpoints/e1/feedback"},
          new String[] {"POST", "/v1/endpoints/e1/events"},
          new String[] {"POST", "/v1/query"},
          new String[] {"GET", "/v1/keys"},
          new String[] {"POST", "/v1/keys"},
          new String[] {"DELETE", "/v1/keys/someone"});

  @TempDir Path dir;
  private String readKey;
  private String writeOneKey;

  @BeforeEach
  void keys() throws Exception {
    ApiKeys keys = new ApiKeys(dir, List.of());
    readKey = keys.create("reader", EnumSet.of(Scope.READ), List.of()).key();
    writeOneKey = keys.create("writer", EnumSet.of(Scope.WRITE), List.of("secret-endpoint-a")).key();
  }

  /** The spellings of a path a client might try, each of which a router could treat as the same route. */
  static Set<String> variants(String path) {
    Set<String> v = new LinkedHashSet<>();
    v.add(path);
    v.add(path + "/");
    v.add(path + "//");
    v.add("/" + path);
    v.add(path.replaceFirst("/", "//").replaceFirst("^//", "/") + "/");
    v.add(path.replace("/v1/", "/v1//"));
    v.add(path.toUpperCase(Locale.ROOT));
    v.add(path.substring(0, 1) + path.substring(1, 2).toUpperCase(Locale.ROOT) + path.substring(2));
    int last = path.lastIndexOf('/') + 1;
    v.add(path.substring(0, last) + String.format("%%%02X", (int) path.charAt(last)) + path.substring(last + 1));
    v.add(path.substring(0, last) + String.format("%%%02x", (int) path.charAt(last)) + path.substring(last + 1) + "/");
    v.add(path + ";x=1");
    v.add(path + "/.");
    v.add(path + "/%2e");
    v.add(path + "?x=1");
    v.add(path + "/?x=1");
    return v;
  }

  private static HttpResponse<String> send(TestServer s, String method, String path, String key) throws Exception {
    HttpRequest.Builder b =
        HttpRequest.newBuilder(URI.create(s.url(path)))
            .timeout(Duration.ofSeconds(10))
            .header("Content-Type", "application/json")
            .method(method, method.equals("POST") ? HttpRequest.BodyPublishers.ofString(RECORD) : HttpRequest.BodyPublishers.noBody());
    if (key != null) {
      b.header("Authorization", "Bearer " + key);
    }
    return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void noSpellingOfAnyRouteAnswersWithoutAKey() throws Exception {
    try (TestServer s = new TestServer(dir)) {
      s.server().metrics().guardHit("visible_only_with_a_key");
      List<String> leaks = new ArrayList<>();
      for (String[] route : ROUTES) {
        for (String path : variants(route[1])) {
          for (String method : List.of(route[0], "HEAD")) {
            HttpResponse<String> r = send(s, method, path, null);
            if (!Set.of(400, 401, 404).contains(r.statusCode()) || r.body().contains("visible_only_with_a_key")) {
              leaks.add(method + " " + path + " -> " + r.statusCode() + " " + r.body());
            }
          }
        }
      }
      assertThat(leaks).as("requests answered without a key").isEmpty();
    }
  }

  @Test
  void aKeyWithoutTheScopeIsRefusedOnEverySpellingOfARoute() throws Exception {
    try (TestServer s = new TestServer(dir)) {
      List<String> leaks = new ArrayList<>();
      for (String[] route : ROUTES) {
        for (String path : variants(route[1])) {
          HttpResponse<String> r = send(s, route[0], path, writeOneKey);
          if (!Set.of(400, 403, 404).contains(r.statusCode())) {
            leaks.add(route[0] + " " + path + " -> " + r.statusCode() + " " + r.body());
          }
        }
      }
      assertThat(leaks).as("requests a write key for another endpoint may not make").isEmpty();
    }
  }

  @Test
  void theRouterAndAccessControlAgreeOnWhatAPathMeans() throws Exception {
    try (TestServer s = new TestServer(dir)) {
      // A path the router matches is served to a key with the scope, whatever its spelling.
      assertThat(send(s, "GET", "/metrics/", readKey).statusCode()).isEqualTo(200);
      assertThat(send(s, "GET", "/metrics/", null).statusCode()).isEqualTo(401);
      assertThat(send(s, "GET", "/v1/endpoints/", readKey).statusCode()).isEqualTo(200);
      // A write key limited to one endpoint: the endpoint is the one the handler would write to.
      assertThat(send(s, "POST", "/v1/endpoints/secret-endpoint-a/predictions/", writeOneKey).statusCode()).isEqualTo(200);
      assertThat(send(s, "POST", "/v1/endpoints/e1/predictions/", writeOneKey).statusCode()).isEqualTo(403);
      // The health check stays open, also to load balancers that probe with HEAD.
      assertThat(send(s, "GET", "/health", null).statusCode()).isEqualTo(200);
      assertThat(send(s, "HEAD", "/health", null).statusCode()).isEqualTo(200);
    }
  }

  @Test
  void aRefusalDoesNotNameTheEndpointsAKeyMayWriteTo() throws Exception {
    try (TestServer s = new TestServer(dir)) {
      HttpResponse<String> r = send(s, "POST", "/v1/endpoints/e1/predictions", writeOneKey);
      assertThat(r.statusCode()).isEqualTo(403);
      assertThat(r.body()).contains("may not write to this endpoint").doesNotContain("secret-endpoint-a");
    }
  }
}
