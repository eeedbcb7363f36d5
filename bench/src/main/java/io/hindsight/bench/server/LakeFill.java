package io.hindsight.bench.server;

import io.hindsight.server.lake.Lake;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Fills a lake with many records fast by writing Parquet files straight into its layout with
 * DuckDB, instead of sending every record through the ingest API (100M records would take an
 * hour that way). The records are copies of a seed the server stored: a pool of distinct
 * records sent through the API, so columns, types and nesting are exactly the server's. Each
 * copy gets a fresh id of the endpoint's style, a ts spread evenly over its day, a fresh request
 * id and fresh model scores (so the pool's repetition does not flatter the size on disk).
 *
 * <p>Files look like the ones compaction merges: sorted by {@code (prediction_id, ts)}, zstd,
 * row groups of 16,384 rows, one file of {@code rowsPerFile} rows a day, going back from the day
 * before the seed's. The server must be stopped while it runs and learns the files at its start.
 */
final class LakeFill {
  private LakeFill() {}

  /** Writes {@code records} records of the endpoint's seed into days before {@code firstDayAfter}; returns the files written. */
  static int generate(Path lake, String endpoint, IdStyle style, long records, long rowsPerFile, LocalDate firstDayAfter)
      throws SQLException, IOException {
    Path endpointDir = lake.resolve("predictions").resolve("endpoint=" + endpoint);
    Path scratch = lake.resolveSibling("tmp").resolve("bench-fill");
    Files.createDirectories(scratch);
    int files = 0;
    try (Connection c = DriverManager.getConnection("jdbc:duckdb:");
        Statement st = c.createStatement()) {
      st.execute("SET TimeZone = 'UTC'");
      st.execute("SET memory_limit = '3GB'");
      st.execute("SET preserve_insertion_order = false");
      st.execute("SET temp_directory = '" + scratch.toAbsolutePath() + "'");
      st.execute(
          "CREATE TABLE seed AS SELECT (row_number() OVER () - 1) AS seed_row, * FROM read_parquet('"
              + endpointDir.toAbsolutePath() + "/*/*.parquet', hive_partitioning = false)");
      long seedRows = scalar(st, "SELECT count(*) FROM seed");
      if (seedRows == 0) {
        throw new IOException("no seed records in " + endpointDir + "; the fill needs a few sent through the API first");
      }
      Map<String, String> types = new HashMap<>();
      try (ResultSet rs = st.executeQuery("DESCRIBE seed")) {
        while (rs.next()) {
          types.put(rs.getString(1), rs.getString(2));
        }
      }
      // Each copy's own values, cast to the seed's types so the files agree with the server's.
      Map<String, String> fresh = new LinkedHashMap<>();
      fresh.put("prediction_id", idExpression(style));
      fresh.put("ts", "g.t");
      fresh.put("request_id", "'req-' || printf('%016x', (random() * 9.2e18)::BIGINT)");
      for (String score : new String[] {"score_gbm", "score_nn", "score_logreg"}) {
        fresh.put(score, "random()");
      }
      List<String> replace = new ArrayList<>();
      fresh.forEach(
          (column, value) -> {
            if (types.containsKey(column)) {
              replace.add("CAST(" + value + " AS " + types.get(column) + ") AS " + column);
            }
          });
      for (long done = 0; done < records; done += rowsPerFile) {
        long rows = Math.min(rowsPerFile, records - done);
        LocalDate day = firstDayAfter.minusDays(1 + files);
        Path dir = endpointDir.resolve("date=" + day);
        Files.createDirectories(dir);
        Path out = dir.resolve(String.format("part-%020d-fill%04d.parquet", 0, files));
        Path tmp = dir.resolve("." + out.getFileName() + ".tmp");
        String select =
            "SELECT s.* EXCLUDE (seed_row) REPLACE (" + String.join(", ", replace) + ")"
                + " FROM (SELECT i, TIMESTAMP '" + day + "' + to_microseconds(i * " + 86_400_000_000L / rows + ") AS t"
                + " FROM range(" + rows + ") r(i)) g JOIN seed s ON s.seed_row = g.i % " + seedRows;
        st.execute(
            "COPY (" + select + " ORDER BY prediction_id, ts) TO '" + tmp.toAbsolutePath()
                + "' (" + Lake.REWRITTEN_FILE_OPTIONS + ")");
        Files.move(tmp, out, StandardCopyOption.ATOMIC_MOVE);
        files++;
        System.out.printf("fill %s: %,d of %,d records (%s)%n", endpoint, done + rows, records, out.getFileName());
      }
    }
    return files;
  }

  /** A fresh id per row: UUIDv7-like from the row's ts ({@code g.t}), or {@code txn-} and 32 random hex digits. */
  private static String idExpression(IdStyle style) {
    if (style == IdStyle.RANDOM) {
      return "'txn-' || replace(uuid()::VARCHAR, '-', '')";
    }
    return "printf('%08x-%04x-7%03x-%04x-%012x', epoch_ms(g.t) // 65536, epoch_ms(g.t) % 65536, (random() * 4096)::BIGINT % 4096,"
        + " 32768 + (random() * 16384)::BIGINT % 16384, (random() * 281474976710655)::BIGINT)";
  }

  private static long scalar(Statement st, String sql) throws SQLException {
    try (ResultSet rs = st.executeQuery(sql)) {
      rs.next();
      return rs.getLong(1);
    }
  }
}
