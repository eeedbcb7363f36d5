package io.hindsight.server.objects;

import java.net.URI;

/**
 * A place in an S3-compatible store: a bucket and a key (an object's name, or a prefix naming a
 * folder of objects). Written {@code s3://bucket/key}.
 */
public record S3Location(String bucket, String key) {
  private static final String SCHEME = "s3://";

  public S3Location {
    if (bucket == null || bucket.isEmpty()) {
      throw new IllegalArgumentException("an S3 location needs a bucket: s3://bucket/prefix");
    }
    key = key == null ? "" : key;
  }

  /** Whether {@code text} is written as an S3 location ({@code s3://...}). */
  public static boolean isS3(String text) {
    return text != null && text.regionMatches(true, 0, SCHEME, 0, SCHEME.length());
  }

  /** Parses {@code s3://bucket} or {@code s3://bucket/prefix/or/key}. */
  public static S3Location parse(String text) {
    if (!isS3(text)) {
      throw new IllegalArgumentException("'" + text + "' is not an S3 location; write it s3://bucket/prefix");
    }
    URI uri;
    try {
      uri = URI.create(SCHEME + text.substring(SCHEME.length()));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("'" + text + "' is not an S3 location: " + e.getMessage(), e);
    }
    if (uri.getHost() == null || uri.getQuery() != null || uri.getFragment() != null) {
      throw new IllegalArgumentException(
          "'" + text + "' is not an S3 location; write it s3://bucket/prefix (a bucket name, no query or fragment)");
    }
    String path = uri.getPath() == null ? "" : uri.getPath();
    return new S3Location(uri.getHost(), path.startsWith("/") ? path.substring(1) : path);
  }

  /**
   * This key as a folder: empty or ending with {@code /}, so listing it never matches a sibling
   * ({@code data} would also list {@code data-old/}).
   */
  public String folderKey() {
    return key.isEmpty() || key.endsWith("/") ? key : key + "/";
  }

  /** An object's key below this location as a folder ({@code date=2026-11-01/part-0.parquet}). */
  public String relativeKey(String objectKey) {
    String folder = folderKey();
    if (!objectKey.startsWith(folder)) {
      throw new IllegalArgumentException("'" + objectKey + "' is not below " + this);
    }
    return objectKey.substring(folder.length());
  }

  /** The location of {@code child} (a relative key) below this one. */
  public S3Location resolve(String child) {
    return new S3Location(bucket, folderKey() + child);
  }

  @Override
  public String toString() {
    return SCHEME + bucket + "/" + key;
  }
}
