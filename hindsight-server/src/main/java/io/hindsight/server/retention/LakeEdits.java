package io.hindsight.server.retention;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.hindsight.server.files.FileSync;
import io.hindsight.server.lake.CompactionJob;
import io.hindsight.server.lake.Lake;
import io.hindsight.server.lake.LakeWriter;
import io.hindsight.server.lake.Partition;
import io.hindsight.server.schema.SqlText;
import io.hindsight.server.schema.Table;
import java.io.Closeable;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.locks.Lock;
import org.duckdb.DuckDBConnection;

/**
 * Deletes and rewrites lake files, each edit under the lake's own ordering: between two flushes of
 * the lake writer, between two compaction merges, and under the write side of the lake's swap lock,
 * so no file is being written into the partition meanwhile and no query sees half an edit (queries
 * hold the read side). The locks are taken in the order the writer and compaction take them
 * (flush, then merge, then swap), so an edit never deadlocks with them.
 *
 * <p>Deleting a partition first records its highest row seq in {@link DeletionMarks}, so its rows
 * never come back from the write-ahead log. A file is rewritten crash-safely: the rows kept are
 * written to a temporary sibling ({@code .<name>.tmp}, which no reader and no glob sees and which
 * start-up removes), fsynced, then renamed over the file, one atomic step that replaces the old
 * file by the new one. A crash before it leaves the old file, after it the new one; never both,
 * never neither. The new file keeps the old name and so the seq mark recovery reads from it.
 */
public final class LakeEdits implements Closeable {
  private final Lake lake;
  private final LakeWriter writer;
  private final CompactionJob compaction;
  private final DuckDBConnection conn;
  private final DeletionMarks marks;
  private final Runnable filesChanged;
  /** Runs just before a rewritten file replaces the old one; tests stop there to play a crash. */
  private final Runnable beforeReplace;

  /** Files and rows one edit removed. */
  public record Removed(long files, long rows) {
    static final Removed NONE = new Removed(0, 0);

    Removed plus(Removed o) {
      return new Removed(files + o.files, rows + o.rows);
    }
  }

  /**
   * @param conn a DuckDB connection of its own (UTC) that reads and writes Parquet
   * @param stateDir where the deletion marks are kept
   * @param filesChanged told after files were deleted (the SQL views are rebuilt)
   */
  public LakeEdits(
      Lake lake, LakeWriter writer, CompactionJob compaction, DuckDBConnection conn, Path stateDir, ObjectMapper json,
      Runnable filesChanged) throws IOException {
    this(lake, writer, compaction, conn, stateDir, json, filesChanged, () -> {});
  }

  LakeEdits(
      Lake lake, LakeWriter writer, CompactionJob compaction, DuckDBConnection conn, Path stateDir, ObjectMapper json,
      Runnable filesChanged, Runnable beforeReplace) throws IOException {
    this.lake = lake;
    this.writer = writer;
    this.compaction = compaction;
    this.conn = conn;
    FileSync.createDirectoriesDurably(stateDir);
    this.marks = new DeletionMarks(stateDir.resolve("deleted-marks.json"), json);
    this.filesChanged = filesChanged;
    this.beforeReplace = beforeReplace;
  }

  /** Partition → highest seq of rows deleted from it, for the log's replay at start-up. */
  public Map<Partition, Long> deletionMarks() {
    return marks.all();
  }

  Lake lake() {
    return lake;
  }

  /** Runs {@code edit} while nothing else writes the lake's files and no query reads them. */
  <T> T exclusively(Lake.Edit<T> edit) throws IOException {
    return writer.betweenFlushes(
        () ->
            compaction.betweenMerges(
                () -> {
                  Lock swap = lake.lockSwap();
                  try {
                    return edit.run();
                  } finally {
                    swap.unlock();
                  }
                }));
  }

  /** Runs a search of the lake's files while no merge replaces them (queries' side of the swap lock). */
  <T> T reading(Lake.Edit<T> search) throws IOException {
    Lock read = lake.swapLock().readLock();
    read.lock();
    try {
      return search.run();
    } finally {
      read.unlock();
    }
  }

  /** Deletes a whole partition folder (a day of one endpoint); what it held. */
  Removed deletePartition(Partition p) throws IOException {
    Removed removed =
        exclusively(
            () -> {
              List<Path> files = lake.dataFiles(p);
              if (files.isEmpty()) {
                return Removed.NONE;
              }
              long rows = rows(files);
              marks.record(p, files.stream().mapToLong(Lake::maxSeqOf).max().orElseThrow());
              // Out of the store of record first: a crash before the local deletes leaves files
              // the writer's start-up removes, never ones it would bring back.
              lake.unpublish(files);
              for (Path f : files) {
                Files.deleteIfExists(f);
              }
              Path dir = lake.dir(p);
              try (var rest = Files.list(dir)) {
                if (rest.findAny().isEmpty()) {
                  Files.deleteIfExists(dir);
                }
              }
              FileSync.fsyncDirectory(dir.getParent());
              return new Removed(files.size(), rows);
            });
    if (removed.files() > 0) {
      tableShrank(p.table());
    }
    return removed;
  }

  /** Deletes one data file whose rows are all to go. */
  Removed deleteFile(Partition p, Path file) throws IOException {
    Removed removed =
        exclusively(
            () -> {
              if (!Files.exists(file)) {
                return Removed.NONE;
              }
              long rows = rows(List.of(file));
              marks.record(p, Lake.maxSeqOf(file));
              lake.unpublish(List.of(file));
              Files.delete(file);
              FileSync.fsyncDirectory(file.getParent());
              return new Removed(1, rows);
            });
    if (removed.files() > 0) {
      tableShrank(p.table());
    }
    return removed;
  }

  /**
   * Rewrites {@code file} with only the rows for which {@code keep} (SQL over the file's columns and
   * {@code file_row_number}) is true; the caller holds {@link #exclusively}. Returns the rows removed.
   */
  long rewrite(Path file, String keep) throws IOException {
    Path tmp = Lake.tempFor(file);
    String source =
        "read_parquet(" + SqlText.string(file.toAbsolutePath().toString())
            + ", file_row_number = true, hive_partitioning = false)";
    long before = rows(List.of(file));
    long kept;
    try (Statement st = conn.createStatement()) {
      st.execute(
          "COPY (SELECT * EXCLUDE (file_row_number) FROM " + source + " WHERE (" + keep + ") IS TRUE ORDER BY file_row_number)"
              + " TO " + SqlText.string(tmp.toAbsolutePath().toString())
              + " (" + Lake.REWRITTEN_FILE_OPTIONS + ")");
      kept = rows(List.of(tmp));
    } catch (SQLException e) {
      Files.deleteIfExists(tmp);
      throw new IOException("could not rewrite " + file + ": " + e.getMessage(), e);
    }
    FileSync.fsync(tmp);
    beforeReplace.run();
    lake.publish(tmp, file);
    return before - kept;
  }

  /** Rows in Parquet files, from their footers. */
  long rows(List<Path> files) throws IOException {
    if (files.isEmpty()) {
      return 0;
    }
    List<String> names = new ArrayList<>();
    files.forEach(f -> names.add(SqlText.string(f.toAbsolutePath().toString())));
    return longValue("SELECT coalesce(sum(num_rows), 0) FROM parquet_file_metadata([" + String.join(", ", names) + "])");
  }

  /** One number from SQL the edits write themselves. */
  long longValue(String sql) throws IOException {
    try (Statement st = conn.createStatement();
        ResultSet rs = st.executeQuery(sql)) {
      rs.next();
      return rs.getLong(1);
    } catch (SQLException e) {
      throw new IOException("could not read the lake: " + e.getMessage(), e);
    }
  }

  DuckDBConnection connection() {
    return conn;
  }

  /** Files of a table were deleted: it may have none left, which its SQL view must know. */
  void tableShrank(Table table) {
    lake.recheckData(table);
    filesChanged.run();
  }

  @Override
  public void close() {
    try {
      conn.close();
    } catch (SQLException ignored) {
      // closing
    }
  }
}
