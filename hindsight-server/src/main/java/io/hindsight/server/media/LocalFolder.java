package io.hindsight.server.media;

import io.hindsight.server.ApiException;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.channels.Channels;
import java.nio.channels.SeekableByteChannel;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * A local folder media is served from. A path is held when it lies under the folder as written or
 * under its real path (the folder itself may be a symbolic link); the file it names is served only
 * when its real path, every symbolic link followed, is still inside the folder's real path.
 */
final class LocalFolder implements MediaSource {
  private final String configured;
  private final Path folder;
  private final Path realFolder;

  /**
   * @throws IllegalArgumentException when the root is not an existing folder
   */
  LocalFolder(String configured, Path folder) {
    this.configured = configured;
    this.folder = folder;
    try {
      this.realFolder = folder.toRealPath();
    } catch (IOException e) {
      throw new IllegalArgumentException("media root '" + configured + "' is not an existing folder (" + e + ")");
    }
    if (!Files.isDirectory(realFolder)) {
      throw new IllegalArgumentException("media root '" + configured + "' is not a folder");
    }
  }

  @Override
  public boolean holds(MediaLocation location) {
    return location instanceof MediaLocation.Local local
        && (local.path().startsWith(folder) || local.path().startsWith(realFolder));
  }

  @Override
  public MediaFile find(MediaLocation location) throws IOException {
    Path requested = ((MediaLocation.Local) location).path();
    Path real;
    try {
      real = requested.toRealPath();
    } catch (NoSuchFileException e) {
      throw ApiException.notFound("there is no file '" + requested + "' under media root '" + configured + "'");
    }
    if (!real.startsWith(realFolder)) {
      throw new ApiException(
          403,
          "'" + requested + "' resolves to a file outside media root '" + configured + "' (through a symbolic link);"
              + " only files inside a root are served: put the file itself there, or add its folder to media.roots");
    }
    if (!Files.isRegularFile(real, LinkOption.NOFOLLOW_LINKS)) {
      throw ApiException.notFound("'" + requested + "' is not a file under media root '" + configured + "'");
    }
    long size = Files.size(real);
    return new MediaFile() {
      @Override
      public String name() {
        return real.getFileName().toString();
      }

      @Override
      public long size() {
        return size;
      }

      @Override
      public InputStream open(long offset, long length) throws IOException {
        // The real path has no link left in it; refusing one now keeps a link swapped in since out.
        SeekableByteChannel channel = Files.newByteChannel(real, StandardOpenOption.READ, LinkOption.NOFOLLOW_LINKS);
        channel.position(offset);
        return new FirstBytes(Channels.newInputStream(channel), length);
      }
    };
  }

  /** The first {@code length} bytes of a stream: a range of the file, not the rest of it. */
  private static final class FirstBytes extends FilterInputStream {
    private long left;

    FirstBytes(InputStream in, long length) {
      super(in);
      this.left = length;
    }

    @Override
    public int read() throws IOException {
      if (left <= 0) {
        return -1;
      }
      int b = in.read();
      left -= b < 0 ? 0 : 1;
      return b;
    }

    @Override
    public int read(byte[] buffer, int offset, int length) throws IOException {
      if (left <= 0) {
        return -1;
      }
      int n = in.read(buffer, offset, (int) Math.min(length, left));
      left -= Math.max(n, 0);
      return n;
    }
  }
}
