package io.hindsight.server.media;

import io.hindsight.server.objects.S3Settings;
import java.util.List;

/**
 * Where media may be fetched from and how much of it.
 *
 * @param roots local folders (absolute paths or {@code file:///} URIs) and S3 prefixes
 *     ({@code s3://bucket/prefix}); nothing else is ever fetched
 * @param maxBytes the largest file served; a larger one is refused with 413
 * @param s3 the store {@code s3://} roots are read from
 */
public record MediaSettings(List<String> roots, long maxBytes, S3Settings s3) {
  /** 50 MiB: a few minutes of compressed audio or a short video clip. */
  public static final long DEFAULT_MAX_BYTES = 50L << 20;

  public MediaSettings {
    roots = List.copyOf(roots);
  }
}
