package io.hindsight.server.objects;

import java.net.URI;

/**
 * How to reach an S3-compatible store.
 *
 * @param endpoint the store's URL (MinIO, Ceph, S3Proxy...); null for AWS S3 itself
 * @param region the signing region; null: {@code us-east-1}
 * @param pathStyle address buckets as {@code endpoint/bucket/key} rather than {@code bucket.endpoint/key}
 *     (most stores other than AWS need it)
 * @param accessKey with {@code secretKey}, fixed credentials; both null: the AWS default chain
 *     (environment, system properties, profile files, container and instance roles)
 * @param secretKey see {@code accessKey}
 */
public record S3Settings(URI endpoint, String region, boolean pathStyle, String accessKey, String secretKey) {
  /** AWS S3 in {@code us-east-1} with the default credential chain. */
  public static final S3Settings DEFAULTS = new S3Settings(null, null, false, null, null);

  public S3Settings {
    if ((accessKey == null) != (secretKey == null)) {
      throw new IllegalArgumentException(
          "S3 credentials need both an access key and a secret key, or neither (then the AWS default chain is used)");
    }
  }

  @Override
  public String toString() {
    // Never print the secret.
    return "S3Settings[endpoint=" + endpoint + ", region=" + region + ", pathStyle=" + pathStyle
        + ", credentials=" + (accessKey == null ? "default chain" : "access key " + accessKey) + "]";
  }
}
