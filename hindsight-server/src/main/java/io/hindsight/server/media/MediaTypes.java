package io.hindsight.server.media;

import java.util.Locale;
import java.util.Map;

/**
 * The content types media is served as, told by a file's extension, never by its bytes or by what
 * a logged reference claims. Only types a browser shows without running anything are listed: no
 * SVG, HTML or XML, which can carry scripts.
 */
final class MediaTypes {
  private static final Map<String, String> BY_EXTENSION =
      Map.ofEntries(
          Map.entry("png", "image/png"),
          Map.entry("jpg", "image/jpeg"),
          Map.entry("jpeg", "image/jpeg"),
          Map.entry("gif", "image/gif"),
          Map.entry("webp", "image/webp"),
          Map.entry("avif", "image/avif"),
          Map.entry("bmp", "image/bmp"),
          Map.entry("wav", "audio/wav"),
          Map.entry("mp3", "audio/mpeg"),
          Map.entry("ogg", "audio/ogg"),
          Map.entry("oga", "audio/ogg"),
          Map.entry("opus", "audio/opus"),
          Map.entry("flac", "audio/flac"),
          Map.entry("m4a", "audio/mp4"),
          Map.entry("aac", "audio/aac"),
          Map.entry("weba", "audio/webm"),
          Map.entry("mp4", "video/mp4"),
          Map.entry("m4v", "video/mp4"),
          Map.entry("webm", "video/webm"),
          Map.entry("ogv", "video/ogg"),
          Map.entry("mov", "video/quicktime"),
          Map.entry("txt", "text/plain"),
          Map.entry("log", "text/plain"),
          Map.entry("md", "text/markdown"),
          Map.entry("csv", "text/csv"),
          Map.entry("tsv", "text/tab-separated-values"));

  /** The extensions served, for messages. */
  static final String SERVED = String.join(", ", new java.util.TreeSet<>(BY_EXTENSION.keySet()));

  private MediaTypes() {}

  /** The content type of a file by its name's extension, or null when the extension is not served. */
  static String of(String fileName) {
    int dot = fileName.lastIndexOf('.');
    return dot < 0 ? null : BY_EXTENSION.get(fileName.substring(dot + 1).toLowerCase(Locale.ROOT));
  }

  /** A content type's family: image, audio, video or text. */
  static String family(String contentType) {
    int slash = contentType.indexOf('/');
    return (slash < 0 ? contentType : contentType.substring(0, slash)).strip().toLowerCase(Locale.ROOT);
  }
}
