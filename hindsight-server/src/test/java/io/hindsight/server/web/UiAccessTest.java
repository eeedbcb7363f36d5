package io.hindsight.server.web;

import static org.assertj.core.api.Assertions.assertThat;

import io.hindsight.server.TestServer;
import io.hindsight.server.auth.ApiKeys;
import io.hindsight.server.auth.Scope;
import java.net.URI;
import java.net.http.HttpRequest;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.EnumSet;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Access to the web UI over plain HTTP: pages need a session when keys are in force, the session
 * cookie is HttpOnly, SameSite=Strict and expiring, the API honours it for reads and wants the
 * session's CSRF token for anything that changes state, and every page has a strict CSP.
 */
class UiAccessTest {
  @TempDir Path dir;

  @Test
  void withoutKeysOnLoopbackThePagesOpenDirectlyUnderAStrictCsp() throws Exception {
    try (TestServer server = new TestServer(dir)) {
      TestServer.Response home = server.get("/");
      assertThat(home.status()).isEqualTo(200);
      assertThat(home.body()).contains("<main id=\"main\"", "/ui/app.js");
      String csp = home.headers().firstValue("Content-Security-Policy").orElseThrow();
      assertThat(csp).contains("script-src 'self'", "style-src 'self'", "object-src 'none'", "frame-ancestors 'none'");
      assertThat(csp).doesNotContain("unsafe-inline", "unsafe-eval", "http:", "https:");
      assertThat(server.get("/ui/vendor/uplot.js").body()).contains("uPlot");
      assertThat(server.get("/ui/../index.html").status()).isEqualTo(404);
      assertThat(server.get("/ui/nothing.js").status()).isEqualTo(404);
    }
  }

  @Test
  void aSessionReadsButChangesStateOnlyWithItsCsrfToken() throws Exception {
    String reader = new ApiKeys(dir, List.of()).create("reader", EnumSet.of(Scope.READ), List.of()).key();
    try (TestServer server = new TestServer(dir)) {
      TestServer.Response page = server.get("/alerts");
      assertThat(page.status()).isEqualTo(303);
      assertThat(page.headers().firstValue("Location")).hasValue("/signin?next=%2Falerts");
      assertThat(server.get("/v1/endpoints").status()).isEqualTo(401);

      TestServer.Response signIn = form(server, "key=" + reader + "&next=%2Falerts");
      assertThat(signIn.status()).isEqualTo(303);
      assertThat(signIn.headers().firstValue("Location")).hasValue("/alerts");
      String cookie = signIn.headers().firstValue("Set-Cookie").orElseThrow();
      assertThat(cookie).contains("HttpOnly", "SameSite=Strict", "Max-Age=43200", "Path=/");
      String session = cookie.split(";", 2)[0];

      TestServer.Response shell = TestServer.send(get(server, "/alerts").header("Cookie", session).build());
      assertThat(shell.status()).isEqualTo(200);
      Matcher csrf = Pattern.compile("name=\"csrf-token\" content=\"([^\"]+)\"").matcher(shell.body());
      assertThat(csrf.find()).isTrue();
      assertThat(TestServer.send(get(server, "/v1/endpoints").header("Cookie", session).build()).status()).isEqualTo(200);

      String sql = "{\"sql\": \"SELECT 1 AS one\"}";
      TestServer.Response noToken = TestServer.send(post(server, "/v1/query", sql).header("Cookie", session).build());
      assertThat(noToken.status()).isEqualTo(403);
      assertThat(noToken.json().get("error").asText()).contains("CSRF token");
      TestServer.Response wrongToken =
          TestServer.send(post(server, "/v1/query", sql).header("Cookie", session).header("X-CSRF-Token", "forged").build());
      assertThat(wrongToken.status()).isEqualTo(403);
      TestServer.Response withToken =
          TestServer.send(post(server, "/v1/query", sql).header("Cookie", session).header("X-CSRF-Token", csrf.group(1)).build());
      assertThat(withToken.status()).as(withToken.body()).isEqualTo(200);

      TestServer.Response admin =
          TestServer.send(
              post(server, "/v1/alerts/silences", "{\"rule\": \"r\", \"until\": \"2030-01-01T00:00:00Z\"}")
                  .header("Cookie", session)
                  .header("X-CSRF-Token", csrf.group(1))
                  .build());
      assertThat(admin.status()).as("a session has its key's scopes, no more").isEqualTo(403);
    }
  }

  @Test
  void signInRefusesAKeyWithoutReadScopeAndAFormFromAnotherSite() throws Exception {
    ApiKeys keys = new ApiKeys(dir, List.of());
    String writer = keys.create("writer", EnumSet.of(Scope.WRITE), List.of()).key();
    String reader = keys.create("reader", EnumSet.of(Scope.READ), List.of()).key();
    try (TestServer server = new TestServer(dir)) {
      TestServer.Response refused = form(server, "key=" + writer);
      assertThat(refused.status()).isEqualTo(403);
      assertThat(refused.body()).contains("lacks the read scope");
      assertThat(refused.headers().firstValue("Set-Cookie")).isEmpty();
      TestServer.Response crossSite =
          TestServer.send(
              HttpRequest.newBuilder(URI.create(server.url("/signin")))
                  .header("Content-Type", "application/x-www-form-urlencoded")
                  .header("Origin", "https://evil.example")
                  .POST(HttpRequest.BodyPublishers.ofString("key=" + reader))
                  .build());
      assertThat(crossSite.status()).isEqualTo(403);
      assertThat(crossSite.headers().firstValue("Set-Cookie")).isEmpty();
      TestServer.Response offSite = form(server, "key=" + reader + "&next=%2F%2Fevil.example%2F");
      assertThat(offSite.headers().firstValue("Location")).as("never sent to another site").hasValue("/");
    }
  }

  private static TestServer.Response form(TestServer server, String body) {
    return TestServer.send(
        HttpRequest.newBuilder(URI.create(server.url("/signin")))
            .timeout(Duration.ofSeconds(30))
            .header("Content-Type", "application/x-www-form-urlencoded")
            .POST(HttpRequest.BodyPublishers.ofString(body, StandardCharsets.UTF_8))
            .build());
  }

  private static HttpRequest.Builder get(TestServer server, String path) {
    return HttpRequest.newBuilder(URI.create(server.url(path))).timeout(Duration.ofSeconds(30)).GET();
  }

  private static HttpRequest.Builder post(TestServer server, String path, String json) {
    return HttpRequest.newBuilder(URI.create(server.url(path)))
        .timeout(Duration.ofSeconds(30))
        .header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString(json));
  }
}
