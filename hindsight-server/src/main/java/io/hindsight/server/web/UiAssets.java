package io.hindsight.server.web;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;

/**
 * The web UI's files, read from the server's jar: its own pages, scripts and styles under
 * {@code web/ui/}, and the chart library uPlot from its WebJar, so a browser never fetches
 * anything from another site. Files are read once and kept.
 */
public final class UiAssets {
  /** Names a request may ask for: no folders, no dots but the extension's. */
  private static final Pattern NAME = Pattern.compile("[a-z][a-z0-9-]*\\.(js|css|svg)");

  private static final String UPLOT = "META-INF/resources/webjars/uplot/" + uplotVersion() + "/dist/";
  private static final Map<String, String> VENDOR = Map.of("uplot.js", UPLOT + "uPlot.esm.js", "uplot.css", UPLOT + "uPlot.min.css");

  /** A file and its content type. */
  public record Asset(byte[] bytes, String contentType) {}

  private final Map<String, Asset> cache = new ConcurrentHashMap<>();

  /** One of the UI's own files, or null when there is no such file. */
  public Asset own(String name) {
    return NAME.matcher(name).matches() ? load("web/ui/" + name, name) : null;
  }

  /** A file of a browser library the UI uses ({@code uplot.js}, {@code uplot.css}), or null. */
  public Asset vendor(String name) {
    String path = VENDOR.get(name);
    return path == null ? null : load(path, name);
  }

  /** The page every UI address answers with: its scripts draw the page the address names. */
  public String shell(String csrfToken) {
    return text("web/ui/index.html").replace("{{csrf}}", Html.escape(csrfToken));
  }

  /** The sign-in page, with the address to return to and why the last try failed (may be null). */
  public String signIn(String next, String problem) {
    return text("web/ui/signin.html")
        .replace("{{next}}", Html.escape(next))
        .replace("{{problem}}", problem == null ? "" : "<p class=\"error\" role=\"alert\">" + Html.escape(problem) + "</p>");
  }

  private Asset load(String path, String name) {
    return cache.computeIfAbsent(
        path,
        p -> {
          byte[] bytes = bytes(p);
          return bytes == null ? null : new Asset(bytes, contentType(name));
        });
  }

  private static String text(String path) {
    byte[] b = bytes(path);
    if (b == null) {
      throw new IllegalStateException("the server jar lacks " + path);
    }
    return new String(b, StandardCharsets.UTF_8);
  }

  private static byte[] bytes(String path) {
    try (InputStream in = UiAssets.class.getClassLoader().getResourceAsStream(path)) {
      return in == null ? null : in.readAllBytes();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static String contentType(String name) {
    if (name.endsWith(".js")) {
      return "text/javascript; charset=utf-8";
    } else if (name.endsWith(".css")) {
      return "text/css; charset=utf-8";
    }
    return "image/svg+xml";
  }

  private static String uplotVersion() {
    Properties p = new Properties();
    try (InputStream in =
        UiAssets.class.getClassLoader().getResourceAsStream("META-INF/maven/org.webjars.npm/uplot/pom.properties")) {
      if (in == null) {
        throw new IllegalStateException("the uPlot WebJar (org.webjars.npm:uplot) is missing from the class path");
      }
      p.load(in);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return p.getProperty("version");
  }
}
