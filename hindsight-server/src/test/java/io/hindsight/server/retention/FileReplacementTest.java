package io.hindsight.server.retention;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.hindsight.server.lake.Lake;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.stream.Stream;
import org.duckdb.DuckDBConnection;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A file rewritten without some rows replaces the old one crash-safely: a crash at any step leaves
 * either the old file or the new one visible to a reader of the lake, never both and never neither.
 */
class FileReplacementTest {
  @TempDir Path dir;
  private DuckDBConnection conn;
  private Lake lake;
  private Path file;

  /** Thrown where the process would have died. */
  private static final class Crash extends RuntimeException {}

  @BeforeEach
  void aPartitionOfFiveRows() throws Exception {
    conn = (DuckDBConnection) DriverManager.getConnection("jdbc:duckdb:");
    lake = new Lake(dir.resolve("lake"));
    Path partition = dir.resolve("lake/predictions/endpoint=e/date=2026-11-01");
    Files.createDirectories(partition);
    file = partition.resolve("part-00000000000000000004-0000abcd.parquet");
    try (Statement st = conn.createStatement()) {
      st.execute("COPY (SELECT 'p' || i AS prediction_id, i AS n FROM range(5) t(i)) TO '" + file + "' (FORMAT parquet)");
    }
  }

  @AfterEach
  void close() throws Exception {
    conn.close();
  }

  private LakeEdits edits(Runnable beforeReplace) throws Exception {
    return new LakeEdits(lake, null, null, conn, dir.resolve("retention"), new ObjectMapper(), () -> {}, beforeReplace);
  }

  /** What a reader of the lake sees: every row of every data file of the table. */
  private long rowsVisible() throws Exception {
    try (Statement st = conn.createStatement();
        ResultSet rs = st.executeQuery(
            "SELECT count(*) FROM read_parquet('" + dir.resolve("lake/predictions") + "/*/*/*.parquet', hive_partitioning = true)")) {
      rs.next();
      return rs.getLong(1);
    }
  }

  private long filesIn(Path folder) throws Exception {
    try (Stream<Path> s = Files.list(folder)) {
      return s.count();
    }
  }

  @Test
  void aCrashBeforeTheRenameLeavesTheOldFileAndStartUpRemovesTheNewOne() throws Exception {
    LakeEdits crashing = edits(() -> {
      throw new Crash();
    });
    assertThatThrownBy(() -> crashing.rewrite(file, "n NOT IN (1, 3)")).isInstanceOf(Crash.class);
    assertThat(filesIn(file.getParent())).as("the old file and the new one, under a hidden temporary name").isEqualTo(2);
    assertThat(rowsVisible()).as("readers see only the old file").isEqualTo(5);

    lake.removeLeftovers(); // what the next start does
    assertThat(filesIn(file.getParent())).isEqualTo(1);
    assertThat(rowsVisible()).isEqualTo(5);
  }

  @Test
  void afterTheRenameOnlyTheNewFileIsThereUnderTheOldName() throws Exception {
    assertThat(edits(() -> {}).rewrite(file, "n NOT IN (1, 3)")).isEqualTo(2);
    assertThat(filesIn(file.getParent())).isEqualTo(1);
    assertThat(file).as("the name keeps the replay mark").exists();
    assertThat(rowsVisible()).isEqualTo(3);
    try (Statement st = conn.createStatement();
        ResultSet rs = st.executeQuery("SELECT string_agg(prediction_id, ',' ORDER BY n) FROM '" + file + "'")) {
      rs.next();
      assertThat(rs.getString(1)).isEqualTo("p0,p2,p4");
    }
  }

  @Test
  void aFileLeftWithoutRowsStaysAsAnEmptyFile() throws Exception {
    assertThat(edits(() -> {}).rewrite(file, "false")).isEqualTo(5);
    assertThat(file).exists();
    assertThat(rowsVisible()).isZero();
  }
}
