package io.hindsight.server.query;

import io.hindsight.server.schema.SqlText;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import java.util.stream.Stream;

/**
 * Keeps DuckDB's files inside the data directory. Left alone, DuckDB spills to {@code <cwd>/.tmp}
 * up to 90 % of the disk, and its JDBC driver copies a 60 MB native library into the system temp
 * folder that only a clean JVM exit removes, so every {@code kill -9} leaves one behind. And a
 * connection that reads files is locked to its folder ({@link #confine}).
 */
public final class DuckDbFiles {
  private static final Path PROC_MAPS = Path.of("/proc/self/maps");

  private DuckDbFiles() {}

  /**
   * Points an instance's spill files at {@code tempDir} (created by DuckDB on first spill) and
   * bounds them to {@code maxSize} (a DuckDB size such as {@code "4GB"}).
   */
  public static void confineSpill(Statement st, Path tempDir, String maxSize) throws SQLException {
    st.execute("SET temp_directory = " + SqlText.string(tempDir.toAbsolutePath().toString()));
    st.execute("SET max_temp_directory_size = " + SqlText.string(maxSize));
  }

  /**
   * Deletes this JVM's copy of the DuckDB native library once it is loaded: Linux keeps a mapped
   * library usable after its file is gone, so nothing is left to leak when the process is killed.
   * Only copies in {@code java.io.tmpdir} (where the driver extracts them) are touched; without
   * {@code /proc} (not Linux) this does nothing and the driver's delete-on-exit remains.
   */
  public static void deleteLoadedLibraryCopy() {
    if (!Files.isReadable(PROC_MAPS)) {
      return;
    }
    try {
      Path tmp = Path.of(System.getProperty("java.io.tmpdir")).toRealPath();
      for (Path copy : loadedLibraryCopies()) {
        if (copy.getParent() != null && copy.getParent().equals(tmp)) {
          Files.deleteIfExists(copy);
        }
      }
    } catch (IOException e) {
      // Best effort: the driver still deletes the copy when the JVM exits normally.
    }
  }

  /** Paths of DuckDB native library files mapped into this process that still exist. */
  static List<Path> loadedLibraryCopies() throws IOException {
    try (Stream<String> lines = Files.lines(PROC_MAPS)) {
      return lines
          .map(l -> l.indexOf('/') < 0 ? "" : l.substring(l.indexOf('/')))
          .filter(p -> !p.isEmpty() && !p.endsWith("(deleted)"))
          .map(Path::of)
          .filter(p -> p.getFileName().toString().startsWith("libduckdb_java"))
          .distinct()
          .filter(Files::exists)
          .toList();
    }
  }

  /**
   * Removes a folder and everything in it, if it exists (spill files a killed process left). Files
   * that vanish meanwhile (a stopped worker cleaning up after itself) are no error.
   */
  public static void deleteRecursively(Path dir) {
    try {
      Files.walkFileTree(
          dir,
          new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
              Files.deleteIfExists(file);
              return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult visitFileFailed(Path file, IOException e) throws IOException {
              if (e instanceof NoSuchFileException) {
                return FileVisitResult.CONTINUE;
              }
              throw e;
            }

            @Override
            public FileVisitResult postVisitDirectory(Path d, IOException e) throws IOException {
              if (e != null && !(e instanceof NoSuchFileException)) {
                throw e;
              }
              Files.deleteIfExists(d);
              return FileVisitResult.CONTINUE;
            }
          });
    } catch (NoSuchFileException gone) {
      // nothing to remove
    } catch (IOException e) {
      throw new UncheckedIOException("could not remove " + dir, e);
    }
  }

  /**
   * Locks a DuckDB connection to the files under {@code root}: no other file, no network, no
   * extension loaded, and no setting changed afterwards (the last statement a caller runs on it).
   */
  public static void confine(Statement st, Path root) throws SQLException {
    st.execute("SET allowed_directories = [" + SqlText.string(root.toAbsolutePath() + "/") + "]");
    st.execute("SET enable_external_access = false");
    st.execute("SET autoinstall_known_extensions = false");
    st.execute("SET autoload_known_extensions = false");
    st.execute("SET lock_configuration = true");
  }
}
