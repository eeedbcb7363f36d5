package io.hindsight.cli;

import io.hindsight.server.objects.S3Settings;
import java.net.URI;
import picocli.CommandLine.Option;

/** How commands that read {@code s3://} locations reach the store; credentials from the AWS default chain. */
final class S3Options {
  @Option(names = "--s3-endpoint", description = "URL of an S3-compatible store (default: AWS S3). Credentials: the AWS default chain.")
  URI endpoint;

  @Option(names = "--s3-region", description = "The store's region (default: us-east-1).")
  String region;

  @Option(names = "--s3-path-style", description = "Address buckets as endpoint/bucket (most stores other than AWS).")
  boolean pathStyle;

  S3Settings settings() {
    return new S3Settings(endpoint, region, pathStyle, null, null);
  }
}
