package io.hindsight.server.connect;

import io.hindsight.server.objects.ObjectStore;
import io.hindsight.server.objects.S3Location;
import io.hindsight.server.objects.S3Settings;
import io.hindsight.server.objects.StoredObject;
import java.io.Closeable;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

/** Where an import's files are: a local folder, or an S3 prefix whose files are copied to read. */
public abstract sealed class Source implements Closeable {
  /** The data files of {@code format} below the root, hidden folders and markers left out, by id. */
  abstract List<SourceFile> list(SourceFormat format) throws IOException;

  /** A local copy of the file to read, until {@link #release}. */
  abstract Path open(SourceFile file) throws IOException;

  abstract void release(Path local) throws IOException;

  /** The folder every file {@link #open} gives lies in (the only one the reader may open). */
  abstract Path readableRoot();

  /**
   * The source {@code from} names.
   *
   * @param s3 how to reach the store of an {@code s3://} source
   * @param scratch where copies of S3 objects are kept while they are read
   */
  public static Source of(String from, S3Settings s3, Path scratch) throws IOException {
    if (S3Location.isS3(from)) {
      return new S3(S3Location.parse(from), ObjectStore.open(s3), scratch);
    }
    Path root = Path.of(from).toAbsolutePath().normalize();
    if (!Files.isDirectory(root)) {
      throw new IllegalArgumentException("the import source " + from + " is not a folder");
    }
    return new Local(root);
  }

  private static boolean visible(String id, SourceFormat format) {
    String[] parts = id.split("/");
    return Arrays.stream(parts).noneMatch(SourceFile::hidden) && format.takes(parts[parts.length - 1]);
  }

  /** A folder on this machine. */
  static final class Local extends Source {
    private final Path root;

    Local(Path root) {
      this.root = root;
    }

    @Override
    List<SourceFile> list(SourceFormat format) throws IOException {
      List<SourceFile> out = new ArrayList<>();
      try (Stream<Path> walk = Files.walk(root)) {
        // Symbolic links are not followed: a link must not lead a server-side import out of its root.
        for (Path p : (Iterable<Path>) walk.filter(p -> Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS))::iterator) {
          String id = root.relativize(p).toString().replace(p.getFileSystem().getSeparator(), "/");
          if (visible(id, format)) {
            out.add(SourceFile.at(id, Files.size(p), Long.toString(Files.getLastModifiedTime(p).toMillis())));
          }
        }
      }
      out.sort(Comparator.comparing(SourceFile::id));
      return out;
    }

    @Override
    Path open(SourceFile file) {
      return root.resolve(file.id());
    }

    @Override
    void release(Path local) {}

    @Override
    Path readableRoot() {
      return root;
    }

    @Override
    public void close() {}
  }

  /** A prefix of an S3-compatible store; each file is copied into a scratch folder to be read. */
  static final class S3 extends Source {
    private final S3Location prefix;
    private final ObjectStore store;
    private final Path scratch;

    S3(S3Location prefix, ObjectStore store, Path scratch) throws IOException {
      this.prefix = prefix;
      this.store = store;
      this.scratch = scratch.toAbsolutePath();
      Files.createDirectories(this.scratch);
    }

    @Override
    List<SourceFile> list(SourceFormat format) throws IOException {
      List<SourceFile> out = new ArrayList<>();
      for (StoredObject o : store.list(prefix)) {
        String id = prefix.relativeKey(o.location().key());
        if (visible(id, format)) {
          out.add(SourceFile.at(id, o.size(), o.eTag()));
        }
      }
      out.sort(Comparator.comparing(SourceFile::id));
      return out;
    }

    @Override
    Path open(SourceFile file) throws IOException {
      // The copy keeps the file's name (its extension tells DuckDB about compression), not its folders.
      String name = file.id().substring(file.id().lastIndexOf('/') + 1);
      Path local = scratch.resolve(name);
      store.download(prefix.resolve(file.id()), local);
      return local;
    }

    @Override
    void release(Path local) throws IOException {
      Files.deleteIfExists(local);
    }

    @Override
    Path readableRoot() {
      return scratch;
    }

    @Override
    public void close() {
      store.close();
    }
  }
}
