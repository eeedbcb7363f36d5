package io.hindsight.server.media;

import java.net.URI;

/**
 * How to reach the S3-compatible store that {@code s3://} media roots live in.
 *
 * @param endpoint the store's URL (MinIO, Ceph, S3Proxy...); null for AWS S3 itself
 * @param region the signing region; null: {@code us-east-1}
 * @param pathStyle address buckets as {@code endpoint/bucket/key} (most stores other than AWS need it)
 * @param accessKey with {@code secretKey}, fixed credentials; both null: the AWS default chain
 *     (environment, system properties, profile files, container and instance roles)
 * @param secretKey see {@code accessKey}
 */
public record MediaS3(URI endpoint, String region, boolean pathStyle, String accessKey, String secretKey) {
  /** AWS S3 in {@code us-east-1} with the default credential chain. */
  public static final MediaS3 DEFAULTS = new MediaS3(null, null, false, null, null);

  public MediaS3 {
    if ((accessKey == null) != (secretKey == null)) {
      throw new IllegalArgumentException(
          "media.s3 needs both access-key and secret-key, or neither (then the AWS default credential chain is used)");
    }
  }

  @Override
  public String toString() {
    // Never print the secret.
    return "MediaS3[endpoint=" + endpoint + ", region=" + region + ", pathStyle=" + pathStyle
        + ", credentials=" + (accessKey == null ? "default chain" : "access key " + accessKey) + "]";
  }
}
