package io.hindsight.server.query;

import io.hindsight.server.schema.SqlText;
import java.nio.file.Path;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import org.duckdb.DuckDBConnection;

/**
 * Opens the in-memory DuckDB that user SQL runs in, locked before any query: files readable only
 * inside the lake, no extension installs or autoloads, spill files inside the data directory, and
 * the configuration frozen. Shared by the server's own engine and the query worker processes, so
 * both lock the same way.
 */
final class LockedDuckDb {
  private LockedDuckDb() {}

  /** @param threads DuckDB's threads; 0 leaves its default (one per core) */
  static DuckDBConnection open(Path lakeRoot, String memoryLimit, Path tempDir, String maxTempSize, int threads)
      throws SQLException {
    DuckDBConnection db = (DuckDBConnection) DriverManager.getConnection("jdbc:duckdb:");
    try (Statement st = db.createStatement()) {
      st.execute("SET TimeZone = 'UTC'");
      st.execute("SET memory_limit = " + SqlText.string(memoryLimit));
      if (threads > 0) {
        st.execute("SET threads = " + threads);
      }
      // Lake files never change once written (merges write new files), so their footers can be
      // cached: a point lookup then reads only the row groups that can hold the id.
      st.execute("SET parquet_metadata_cache = true");
      DuckDbFiles.confineSpill(st, tempDir, maxTempSize);
      DuckDbFiles.confine(st, lakeRoot);
    } catch (SQLException e) {
      db.close();
      throw e;
    }
    return db;
  }

  /** DuckDB's JDBC messages wrap the real one; keep the line that says what went wrong. */
  static String cleanMessage(Exception e) {
    String m = String.valueOf(e.getMessage());
    String best = m;
    for (String line : m.split("\n")) {
      if (line.startsWith("Error: ")) {
        best = line.substring("Error: ".length());
        break;
      }
    }
    if (best.startsWith("Invalid Input Error: Attempting to execute an unsuccessful")) {
      best = m;
    }
    int lineMarker = best.indexOf("\nLINE ");
    return (lineMarker > 0 ? best.substring(0, lineMarker) : best).strip();
  }
}
