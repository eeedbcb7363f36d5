package io.hindsight.server.media;

import java.io.IOException;
import java.io.InputStream;

/** A file found under a media root: its name, its size, and its bytes on demand. */
public interface MediaFile {
  /** The file's own name (last path segment), for its extension and Content-Disposition. */
  String name();

  long size();

  /** The bytes from {@code offset}, {@code length} of them; the caller closes the stream. */
  InputStream open(long offset, long length) throws IOException;
}
