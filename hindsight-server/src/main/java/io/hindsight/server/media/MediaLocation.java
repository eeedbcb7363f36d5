package io.hindsight.server.media;

import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.Locale;

/**
 * Where a media uri points, once parsed and checked: a local path or an S3 object. Only two forms
 * are accepted — an absolute local path (plain, or a {@code file:///} URI) and {@code
 * s3://bucket/key} — and neither may hold a {@code .} or {@code ..} segment, a backslash or a
 * control character, before or after percent-decoding. Anything else, network URLs above all, is
 * refused here, before any file or address is touched.
 */
sealed interface MediaLocation {
  /** The longest uri considered. */
  int MAX_LENGTH = 2048;

  /** An absolute, dot-free local path. */
  record Local(Path path) implements MediaLocation {}

  /** An object in a bucket; {@code key} has no leading slash and no dot segments. */
  record S3(String bucket, String key) implements MediaLocation {}

  /**
   * Parses a uri.
   *
   * @throws IllegalArgumentException naming what is wrong, for the caller to put in its answer
   */
  static MediaLocation parse(String uri) {
    if (uri == null || uri.isBlank()) {
      throw new IllegalArgumentException("it is empty");
    }
    if (uri.length() > MAX_LENGTH) {
      throw new IllegalArgumentException("it is " + uri.length() + " characters long; the limit is " + MAX_LENGTH);
    }
    checkCharacters(uri);
    if (uri.startsWith("//")) {
      throw new IllegalArgumentException("it starts with '//', which names a network host; give a file's absolute path");
    }
    if (uri.startsWith("/")) {
      return local(uri);
    }
    URI parsed;
    try {
      parsed = new URI(uri);
    } catch (URISyntaxException e) {
      throw new IllegalArgumentException("it is not a valid URI (" + e.getReason() + ")");
    }
    String scheme = parsed.getScheme() == null ? null : parsed.getScheme().toLowerCase(Locale.ROOT);
    if (scheme == null) {
      throw new IllegalArgumentException("it is a relative path; give the absolute path of a file under a media root");
    }
    if (parsed.getRawQuery() != null || parsed.getRawFragment() != null) {
      throw new IllegalArgumentException("it has a query or fragment (?, #), which file and s3 URIs do not take");
    }
    switch (scheme) {
      case "file":
        if (parsed.getRawAuthority() != null && !parsed.getRawAuthority().isEmpty()) {
          throw new IllegalArgumentException("file URIs name a file of this machine: file:///path, without a host");
        }
        if (parsed.getPath() == null || !parsed.getPath().startsWith("/")) {
          throw new IllegalArgumentException("file URIs take an absolute path: file:///path");
        }
        checkCharacters(parsed.getPath());
        return local(parsed.getPath());
      case "s3":
        String bucket = parsed.getRawAuthority();
        String key = parsed.getPath() == null ? "" : parsed.getPath().replaceFirst("^/", "");
        if (bucket == null || !bucket.matches("[a-z0-9][a-z0-9.-]{2,62}")) {
          throw new IllegalArgumentException("s3 URIs name a bucket: s3://bucket/key");
        }
        checkCharacters(key);
        checkSegments(key);
        return new S3(bucket, key);
      default:
        throw new IllegalArgumentException(
            "its scheme is '" + scheme + "', and media is never fetched from a network address, only from file"
                + " paths and s3:// URIs");
    }
  }

  private static Local local(String path) {
    checkSegments(path);
    try {
      return new Local(Path.of(path));
    } catch (InvalidPathException e) {
      throw new IllegalArgumentException("it is not a valid path (" + e.getReason() + ")");
    }
  }

  /** Refuses '.' and '..' segments: a path names a place by itself, never by stepping back. */
  private static void checkSegments(String path) {
    for (String segment : path.split("/", -1)) {
      if (segment.equals("..") || segment.equals(".")) {
        throw new IllegalArgumentException("it has a '" + segment + "' segment; name the file by its path under a media root");
      }
    }
  }

  private static void checkCharacters(String text) {
    if (text.chars().anyMatch(Character::isISOControl)) {
      throw new IllegalArgumentException("it contains a control character");
    }
    if (text.indexOf('\\') >= 0) {
      throw new IllegalArgumentException("it contains a backslash; separate folders with '/'");
    }
  }
}
