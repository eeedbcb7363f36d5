package io.hindsight.server.query;

import io.hindsight.server.schema.SqlText;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
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
   * Locks a DuckDB connection to the files under {@code root}: no other file, no network, no
   * extension loaded, and no setting changed afterwards (the last statement a caller runs on it).
   * A folder of {@code root} that is a link (a table put on another disk) opens the folder it links
   * to, as DuckDB checks the resolved path; nothing beside that folder.
   */
  public static void confine(Statement st, Path root) throws SQLException {
    List<String> allowed = new ArrayList<>();
    allowed.add(SqlText.string(root.toAbsolutePath() + "/"));
    linkedFolders(root).forEach(f -> allowed.add(SqlText.string(f + "/")));
    st.execute("SET allowed_directories = [" + String.join(", ", allowed) + "]");
    st.execute("SET enable_external_access = false");
    st.execute("SET autoinstall_known_extensions = false");
    st.execute("SET autoload_known_extensions = false");
    st.execute("SET lock_configuration = true");
  }

  /** The folders that links directly under {@code root} lead to. */
  private static List<Path> linkedFolders(Path root) {
    try (Stream<Path> children = Files.list(root)) {
      List<Path> out = new ArrayList<>();
      for (Path child : children.filter(Files::isSymbolicLink).filter(Files::isDirectory).toList()) {
        out.add(child.toRealPath());
      }
      return out;
    } catch (IOException e) {
      return List.of(); // no folder yet: nothing links out of it
    }
  }
}
