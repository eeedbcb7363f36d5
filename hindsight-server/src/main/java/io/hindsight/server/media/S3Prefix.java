package io.hindsight.server.media;

import io.hindsight.server.ApiException;
import io.hindsight.server.objects.ObjectStore;
import io.hindsight.server.objects.S3Location;
import io.hindsight.server.objects.StoredObject;
import java.io.IOException;
import java.io.InputStream;

/**
 * An S3 prefix media is served from ({@code s3://bucket/prefix}), taken as a folder: an object
 * is held when it is in the bucket and its key starts with the prefix and a slash, so a root
 * {@code s3://scans/cases} never serves {@code s3://scans/cases-old/...}. Keys cannot step out of
 * the prefix: {@link MediaLocation} refuses {@code .} and {@code ..} segments, and a store has no
 * links to follow.
 */
final class S3Prefix implements MediaSource {
  private final String configured;
  private final S3Location root;
  private final ObjectStore store;

  S3Prefix(String configured, MediaLocation.S3 root, ObjectStore store) {
    this.configured = configured;
    this.root = new S3Location(root.bucket(), root.key());
    this.store = store;
  }

  @Override
  public boolean holds(MediaLocation location) {
    return location instanceof MediaLocation.S3 object
        && object.bucket().equals(root.bucket())
        && object.key().startsWith(root.folderKey())
        && object.key().length() > root.folderKey().length();
  }

  @Override
  public MediaFile find(MediaLocation location) {
    MediaLocation.S3 wanted = (MediaLocation.S3) location;
    S3Location object = new S3Location(wanted.bucket(), wanted.key());
    StoredObject found;
    try {
      found = store.find(object).orElseThrow(
          () -> ApiException.notFound("there is no object '" + object + "' under media root '" + configured + "'"));
    } catch (IOException e) {
      throw unreadable(e);
    }
    return new MediaFile() {
      @Override
      public String name() {
        return object.key().substring(object.key().lastIndexOf('/') + 1);
      }

      @Override
      public long size() {
        return found.size();
      }

      @Override
      public InputStream open(long offset, long length) {
        try {
          return store.read(object, offset, length);
        } catch (IOException e) {
          throw unreadable(e);
        }
      }
    };
  }

  private ApiException unreadable(IOException e) {
    return new ApiException(
        502, "the store of media root '" + configured + "' could not be read (" + e.getMessage()
            + "); check media.s3 (endpoint, region, credentials)");
  }
}
