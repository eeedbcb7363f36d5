package io.hindsight.server.media;

import io.hindsight.server.ApiException;
import io.hindsight.server.objects.ObjectStore;
import java.io.Closeable;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * The media the server may show: files under the configured roots (DESIGN §14 "Media"), found by
 * the uri a media reference holds. Every refusal is an {@link ApiException} that names the reason
 * and the setting: 400 for a uri that is not a file path or s3 URI (a network URL, another scheme,
 * a {@code ..} segment), 403 for one outside every root or resolving out of its root, 404 for a
 * missing file, 413 over {@code media.max-bytes}, 415 for a type not served or not the one the
 * reference claims.
 */
public final class MediaLibrary implements Closeable {
  private final List<MediaSource> sources;
  private final long maxBytes;
  /** The store S3 roots live in; null without S3 roots. */
  private final ObjectStore store;

  /**
   * A library over the roots; nothing is read yet (a missing S3 bucket shows at the first fetch).
   *
   * @throws IllegalArgumentException when a root is neither an existing folder nor an S3 prefix
   */
  public MediaLibrary(MediaSettings settings) {
    List<MediaLocation> roots = new ArrayList<>();
    for (String root : settings.roots()) {
      roots.add(root(root));
    }
    this.store = roots.stream().anyMatch(r -> r instanceof MediaLocation.S3) ? ObjectStore.open(settings.s3()) : null;
    List<MediaSource> found = new ArrayList<>();
    try {
      for (int i = 0; i < roots.size(); i++) {
        String configured = settings.roots().get(i);
        found.add(
            roots.get(i) instanceof MediaLocation.Local local
                ? new LocalFolder(configured, local.path())
                : new S3Prefix(configured, (MediaLocation.S3) roots.get(i), store));
      }
    } catch (RuntimeException e) {
      close();
      throw e;
    }
    this.sources = List.copyOf(found);
    this.maxBytes = settings.maxBytes();
  }

  /** A file to serve and the content type to serve it as. */
  public record Media(MediaFile file, String contentType) {}

  /**
   * The file a reference's uri names.
   *
   * @param claimedType the reference's content type, or null; when given, the file's extension
   *     must be of the same family (image, audio, video, text)
   */
  public Media find(String uri, String claimedType) throws IOException {
    if (sources.isEmpty()) {
      throw new ApiException(
          403,
          "no media roots are configured, so no media is served; list the folders (or s3://bucket/prefix) your"
              + " media references point into under media.roots in the server's config file");
    }
    MediaLocation location;
    try {
      location = MediaLocation.parse(uri);
    } catch (IllegalArgumentException e) {
      throw ApiException.badRequest(
          "'uri' is refused: " + e.getMessage() + " (media is served only from files under the folders and s3://"
              + " prefixes listed in media.roots)");
    }
    MediaSource source = sources.stream().filter(s -> s.holds(location)).findFirst().orElse(null);
    if (source == null) {
      throw new ApiException(
          403,
          "'" + uri + "' is not under a media root; media is served only from the roots in media.roots of the"
              + " server's config file: add the folder or s3:// prefix that holds it there");
    }
    MediaFile file = source.find(location);
    String type = MediaTypes.of(file.name());
    if (type == null) {
      throw new ApiException(
          415, "'" + file.name() + "' is not served: its extension is not one of " + MediaTypes.SERVED
              + " (image, audio, video and plain text types a browser shows without running them)");
    }
    if (claimedType != null && !MediaTypes.family(claimedType).equals(MediaTypes.family(type))) {
      throw new ApiException(
          415, "'" + file.name() + "' is " + type + " by its extension, but the reference says " + claimedType
              + "; log the file's own content type");
    }
    if (file.size() > maxBytes) {
      throw new ApiException(
          413, "'" + file.name() + "' has " + file.size() + " bytes, more than the limit of " + maxBytes
              + " (media.max-bytes)");
    }
    return new Media(file, type);
  }

  private static MediaLocation root(String root) {
    try {
      return MediaLocation.parse(root);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(
          "media.roots: '" + root + "' is not a folder path, file:/// URI or s3://bucket/prefix: " + e.getMessage());
    }
  }

  /** Releases the store's connections. */
  @Override
  public void close() {
    if (store != null) {
      store.close();
    }
  }
}
