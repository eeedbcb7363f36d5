package io.hindsight.server.http;

import io.hindsight.server.ApiException;
import io.hindsight.server.auth.AccessControl;
import io.hindsight.server.auth.ApiKey;
import io.hindsight.server.auth.Scope;
import io.hindsight.server.web.UiAssets;
import io.javalin.Javalin;
import io.javalin.http.Context;
import io.javalin.http.Cookie;
import io.javalin.http.HttpStatus;
import io.javalin.http.SameSite;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Set;

/**
 * The web UI (DESIGN §13): its pages at {@code /}, {@code /endpoints/...}, {@code /sql},
 * {@code /alerts} and {@code /reports} (read scope), its files under {@code /ui/}, and sign-in.
 *
 * <p>With API keys in force, a browser signs in once with a key at {@code /signin} and then
 * carries a session cookie ({@link UiSessions}); the /v1 calls the pages make are authorized by
 * that session, and those that change state must carry the session's CSRF token. Without keys the
 * server answers only this machine, and the pages open directly.
 */
final class UiRoutes {
  /** Addresses that draw a page of the UI (the page's scripts read the rest of the address). */
  private static final List<String> PAGES =
      List.of("/", "/endpoints/{endpoint}", "/endpoints/{endpoint}/predictions", "/endpoints/{endpoint}/predictions/{id}",
          "/sql", "/alerts", "/reports");
  /** How long a sign-in lasts. */
  static final Duration SESSION_LIFETIME = Duration.ofHours(12);

  private static final Set<String> SAFE_METHODS = Set.of("GET", "HEAD", "OPTIONS");
  /**
   * Only the server's own files run and load; no inline script or style, no frames, forms post
   * only here. Logged values therefore cannot run as code even if one slipped into the markup.
   */
  private static final String CSP =
      "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; media-src 'self'; connect-src 'self';"
          + " object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'";

  private final AccessControl access;
  private final UiSessions sessions;
  private final UiAssets assets = new UiAssets();
  private final boolean secureCookie;

  UiRoutes(AccessControl access, UiSessions sessions, boolean secureCookie) {
    this.access = access;
    this.sessions = sessions;
    this.secureCookie = secureCookie;
  }

  void register(Javalin app) {
    for (String page : PAGES) {
      app.get(page, this::page, RouteAccess.OPEN);
    }
    app.get("/signin", ctx -> signInPage(ctx, null, 200), RouteAccess.OPEN);
    app.post("/signin", this::signIn, RouteAccess.OPEN);
    app.post("/signout", this::signOut, RouteAccess.OPEN);
    app.get("/ui/vendor/{file}", ctx -> asset(ctx, assets.vendor(ctx.pathParam("file"))), RouteAccess.OPEN);
    app.get("/ui/{file}", ctx -> asset(ctx, assets.own(ctx.pathParam("file"))), RouteAccess.OPEN);
  }

  /**
   * The key of a signed-in browser making an API call without an Authorization header, checked as
   * a bearer key would be (so revocation applies), or null when the request has no session. A
   * state-changing call must carry the session's CSRF token.
   */
  ApiKey sessionCaller(Context ctx) {
    if (ctx.header("Authorization") != null || !access.keys().enabled()) {
      return null;
    }
    UiSessions.Session s = sessions.find(ctx.cookie(UiSessions.COOKIE));
    if (s == null) {
      return null;
    }
    if (!SAFE_METHODS.contains(ctx.method().name()) && !UiSessions.csrfMatches(s, ctx.header(UiSessions.CSRF_HEADER))) {
      throw new ApiException(
          403, "the request lacks this page's CSRF token (" + UiSessions.CSRF_HEADER + "); reload the page and try again");
    }
    return access.authenticate("Bearer " + s.apiKey());
  }

  private void page(Context ctx) {
    String csrf = "";
    if (access.keys().enabled()) {
      UiSessions.Session s = sessions.find(ctx.cookie(UiSessions.COOKIE));
      ApiKey key = s == null ? null : signedInKey(s);
      if (key == null) {
        String next = ctx.path() + (ctx.queryString() == null ? "" : "?" + ctx.queryString());
        ctx.redirect("/signin?next=" + URLEncoder.encode(next, StandardCharsets.UTF_8), HttpStatus.SEE_OTHER);
        return;
      }
      access.authorize(key, Scope.READ, null);
      csrf = s.csrf();
    }
    html(ctx, 200, assets.shell(csrf));
  }

  /** The session's key if it is still valid (not revoked), else null. */
  private ApiKey signedInKey(UiSessions.Session s) {
    try {
      return access.authenticate("Bearer " + s.apiKey());
    } catch (ApiException e) {
      return null;
    }
  }

  private void signInPage(Context ctx, String problem, int status) {
    if (!access.keys().enabled()) {
      ctx.redirect("/", HttpStatus.SEE_OTHER);
      return;
    }
    html(ctx, status, assets.signIn(next(ctx.queryParam("next")), problem));
  }

  private void signIn(Context ctx) {
    if (!access.keys().enabled()) {
      ctx.redirect("/", HttpStatus.SEE_OTHER);
      return;
    }
    String next = next(ctx.formParam("next"));
    if (crossSite(ctx)) {
      html(ctx, 403, assets.signIn(next, "sign-in must come from this server's own page"));
      return;
    }
    String key = ctx.formParam("key");
    ApiKey found;
    try {
      found = access.authenticate("Bearer " + (key == null ? "" : key.strip()));
      access.authorize(found, Scope.READ, null);
    } catch (ApiException e) {
      html(ctx, e.status(), assets.signIn(next, "Not signed in: " + e.getMessage()));
      return;
    }
    Cookie cookie = new Cookie(UiSessions.COOKIE, sessions.start(key.strip()));
    cookie.setHttpOnly(true);
    cookie.setSameSite(SameSite.STRICT);
    cookie.setPath("/");
    cookie.setMaxAge((int) sessions.lifetime().toSeconds());
    cookie.setSecure(secureCookie);
    ctx.cookie(cookie);
    ctx.redirect(next, HttpStatus.SEE_OTHER);
  }

  private void signOut(Context ctx) {
    String id = ctx.cookie(UiSessions.COOKIE);
    UiSessions.Session s = sessions.find(id);
    if (s != null && UiSessions.csrfMatches(s, ctx.formParam("csrf"))) {
      sessions.end(id);
    }
    ctx.removeCookie(UiSessions.COOKIE, "/");
    ctx.redirect("/signin", HttpStatus.SEE_OTHER);
  }

  /** A form posted from another site's page (the browser says so in Origin or Sec-Fetch-Site). */
  private static boolean crossSite(Context ctx) {
    String site = ctx.header("Sec-Fetch-Site");
    if (site != null && !site.equals("same-origin") && !site.equals("none")) {
      return true;
    }
    String origin = ctx.header("Origin");
    String host = ctx.header("Host");
    return origin != null && host != null && !origin.equals("null") && !origin.replaceFirst("^https?://", "").equals(host);
  }

  /** Where to go after signing in: a path of this server only, never another site. */
  private static String next(String next) {
    if (next == null || !next.startsWith("/") || next.startsWith("//") || next.startsWith("/\\")) {
      return "/";
    }
    return next;
  }

  private static void html(Context ctx, int status, String body) {
    ctx.header("Content-Security-Policy", CSP);
    ctx.header("X-Content-Type-Options", "nosniff");
    ctx.header("Referrer-Policy", "same-origin");
    ctx.header("Cache-Control", "no-store");
    ctx.status(status).contentType("text/html; charset=utf-8").result(body);
  }

  private static void asset(Context ctx, UiAssets.Asset asset) {
    if (asset == null) {
      throw ApiException.notFound("no such file of the web UI: " + ctx.path());
    }
    ctx.header("X-Content-Type-Options", "nosniff");
    ctx.header("Cache-Control", "no-cache");
    ctx.contentType(asset.contentType()).result(asset.bytes());
  }
}
