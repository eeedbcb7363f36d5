package io.hindsight.server.media;

import io.hindsight.server.ApiException;
import java.io.IOException;
import java.io.InputStream;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.HeadObjectResponse;
import software.amazon.awssdk.services.s3.model.NoSuchKeyException;
import software.amazon.awssdk.services.s3.model.S3Exception;

/**
 * An S3 prefix media is served from ({@code s3://bucket/prefix}), taken as a folder: an object
 * is held when it is in the bucket and its key starts with the prefix and a slash, so a root
 * {@code s3://scans/cases} never serves {@code s3://scans/cases-old/...}. Keys cannot step out of
 * the prefix: {@link MediaLocation} refuses {@code .} and {@code ..} segments, and a store has no
 * links to follow.
 */
final class S3Prefix implements MediaSource {
  private final String configured;
  private final String bucket;
  /** The prefix as a folder: empty (the whole bucket) or ending with a slash. */
  private final String folder;
  private final S3Client s3;

  S3Prefix(String configured, MediaLocation.S3 root, S3Client s3) {
    this.configured = configured;
    this.bucket = root.bucket();
    this.folder = root.key().isEmpty() || root.key().endsWith("/") ? root.key() : root.key() + "/";
    this.s3 = s3;
  }

  @Override
  public boolean holds(MediaLocation location) {
    return location instanceof MediaLocation.S3 object
        && object.bucket().equals(bucket)
        && object.key().startsWith(folder)
        && object.key().length() > folder.length();
  }

  @Override
  public MediaFile find(MediaLocation location) throws IOException {
    String key = ((MediaLocation.S3) location).key();
    HeadObjectResponse head;
    try {
      head = s3.headObject(r -> r.bucket(bucket).key(key));
    } catch (NoSuchKeyException e) {
      throw missing(key);
    } catch (S3Exception e) {
      if (e.statusCode() == 404) {
        throw missing(key);
      }
      throw unreadable(key, e);
    } catch (SdkException e) {
      throw unreadable(key, e);
    }
    long size = head.contentLength();
    return new MediaFile() {
      @Override
      public String name() {
        return key.substring(key.lastIndexOf('/') + 1);
      }

      @Override
      public long size() {
        return size;
      }

      @Override
      public InputStream open(long offset, long length) throws IOException {
        if (length == 0) {
          return InputStream.nullInputStream();
        }
        try {
          return s3.getObject(r -> r.bucket(bucket).key(key).range("bytes=" + offset + "-" + (offset + length - 1)));
        } catch (SdkException e) {
          throw unreadable(key, e);
        }
      }
    };
  }

  private ApiException missing(String key) {
    return ApiException.notFound("there is no object 's3://" + bucket + "/" + key + "' under media root '" + configured + "'");
  }

  private ApiException unreadable(String key, SdkException e) {
    return new ApiException(
        502, "the store of media root '" + configured + "' could not be read for 's3://" + bucket + "/" + key + "': "
            + e.getMessage() + "; check media.s3 (endpoint, region, credentials)");
  }
}
