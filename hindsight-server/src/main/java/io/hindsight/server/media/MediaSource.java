package io.hindsight.server.media;

import java.io.IOException;

/**
 * One configured root media is fetched from: a local folder or an S3 prefix. A source answers
 * only for locations under itself and never leaves itself, whatever the location says.
 */
interface MediaSource {
  /** Whether the location names something under this root (by its text; nothing is read). */
  boolean holds(MediaLocation location);

  /**
   * The file at a location this source {@link #holds}.
   *
   * @throws io.hindsight.server.ApiException 404 when there is no such file, 403 when the location
   *     resolves out of the root
   */
  MediaFile find(MediaLocation location) throws IOException;
}
