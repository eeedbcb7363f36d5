package io.hindsight.server.query;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.hindsight.server.lake.Lake;
import java.nio.file.Path;
import java.sql.ResultSet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code query.server-threads} sets the threads of the server's own DuckDB (0: DuckDB's default),
 * {@code query.background-threads} those of the one its background work runs on (0: half the cores).
 */
class ServerThreadsTest {
  @TempDir Path dir;

  private static final String THREADS = "SELECT current_setting('threads')";

  /** The threads of the server's own DuckDB and of its background one. */
  private long[] threads(int serverThreads, int backgroundThreads) throws Exception {
    QueryLimits d = QueryLimits.DEFAULTS;
    QueryLimits limits = new QueryLimits(
        d.timeout(), d.defaultRows(), d.maxRows(), d.memoryLimit(), 1, d.workerHeap(), d.maxTempSize(), serverThreads,
        backgroundThreads);
    try (QueryEngine engine = new QueryEngine(new Lake(dir.resolve("lake")), limits, new ObjectMapper(), dir.resolve("scratch"), () -> {})) {
      QueryEngine.SqlWork<Long> threads = conn -> {
        try (ResultSet rs = conn.createStatement().executeQuery(THREADS)) {
          rs.next();
          return rs.getLong(1);
        }
      };
      return new long[] {engine.inProcess(threads), engine.inBackground(threads)};
    }
  }

  @Test
  void theServersOwnDuckDbRunsOnTheThreadsConfigured() throws Exception {
    int cores = Runtime.getRuntime().availableProcessors();
    assertThat(threads(1, 3)).containsExactly(1, 3);
    assertThat(threads(0, 0)).as("DuckDB's default, and half the cores for background work")
        .containsExactly(cores, Math.max(1, cores / 2));
  }

  @Test
  void backgroundWorkSeesTheSameViews() throws Exception {
    QueryLimits limits = QueryLimits.DEFAULTS;
    try (QueryEngine engine = new QueryEngine(new Lake(dir.resolve("lake")), limits, new ObjectMapper(), dir.resolve("scratch"), () -> {})) {
      engine.addView("answers", "SELECT 42 AS answer");
      long answer = engine.inBackground(conn -> {
        try (ResultSet rs = conn.createStatement().executeQuery("SELECT answer FROM answers")) {
          rs.next();
          return rs.getLong(1);
        }
      });
      assertThat(answer).isEqualTo(42);
    }
  }
}
