package io.hindsight.server.query;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.hindsight.server.lake.Lake;
import java.nio.file.Path;
import java.sql.ResultSet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code query.server-threads} sets the threads of the server's own DuckDB, and 0 leaves DuckDB's default. */
class ServerThreadsTest {
  @TempDir Path dir;

  private long threads(int serverThreads) throws Exception {
    QueryLimits d = QueryLimits.DEFAULTS;
    QueryLimits limits = new QueryLimits(
        d.timeout(), d.defaultRows(), d.maxRows(), d.memoryLimit(), 1, d.workerHeap(), d.maxTempSize(), serverThreads);
    try (QueryEngine engine = new QueryEngine(new Lake(dir.resolve("lake")), limits, new ObjectMapper(), dir.resolve("scratch"), () -> {})) {
      return engine.inProcess(conn -> {
        try (ResultSet rs = conn.createStatement().executeQuery("SELECT current_setting('threads')")) {
          rs.next();
          return rs.getLong(1);
        }
      });
    }
  }

  @Test
  void theServersOwnDuckDbRunsOnTheThreadsConfigured() throws Exception {
    assertThat(threads(1)).isEqualTo(1);
    assertThat(threads(0)).as("DuckDB's default: one per core").isEqualTo(Runtime.getRuntime().availableProcessors());
  }
}
