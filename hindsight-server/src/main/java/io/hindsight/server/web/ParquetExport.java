package io.hindsight.server.web;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.hindsight.server.query.ResultSink;
import io.hindsight.server.schema.SqlText;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * The rows of a query as one Parquet file (zstd), for the explorer's export. The query engine's
 * DuckDB is locked against writing files, so the rows are received as they stream (newline JSON
 * in a scratch folder) and a DuckDB of this export alone, allowed to touch only that folder,
 * writes them as Parquet with the column types the query had. The rows file is deleted once
 * converted (or on close), the Parquet file when its stream is closed.
 */
public final class ParquetExport implements ResultSink, AutoCloseable {
  private final ObjectMapper json;
  private final Path rowsFile;
  private final Path parquetFile;
  private final Path scratch;
  private final OutputStream rows;
  private List<ResultColumn> columns = List.of();

  public ParquetExport(Path scratch, ObjectMapper json) throws IOException {
    this.json = json;
    String name = UUID.randomUUID().toString();
    this.scratch = Files.createDirectories(scratch);
    this.rowsFile = scratch.resolve(name + ".ndjson");
    this.parquetFile = scratch.resolve(name + ".parquet");
    this.rows = new BufferedOutputStream(Files.newOutputStream(rowsFile));
  }

  @Override
  public void columns(List<ResultColumn> columns) {
    this.columns = columns;
  }

  @Override
  public void row(Object[] values) throws IOException {
    Map<String, Object> m = new LinkedHashMap<>();
    for (int i = 0; i < values.length; i++) {
      m.put(columns.get(i).name(), values[i]);
    }
    rows.write(json.writeValueAsBytes(m));
    rows.write('\n');
  }

  @Override
  public void end(boolean truncated, long elapsedMs) throws IOException {
    rows.close();
  }

  /** Writes the Parquet file from the rows received; it is deleted when the stream is closed. */
  public InputStream write() throws IOException {
    rows.close();
    List<String> types = new ArrayList<>();
    for (ResultColumn c : columns) {
      types.add(SqlText.string(c.name()) + ": " + SqlText.string(c.type()));
    }
    String dir = scratch.toAbsolutePath() + "/";
    try (Connection db = DriverManager.getConnection("jdbc:duckdb:");
        Statement st = db.createStatement()) {
      st.execute("SET allowed_directories = [" + SqlText.string(dir) + "]");
      st.execute("SET enable_external_access = false");
      st.execute("SET autoinstall_known_extensions = false");
      st.execute("SET autoload_known_extensions = false");
      st.execute("SET lock_configuration = true");
      st.execute(
          "COPY (SELECT * FROM read_json(" + SqlText.string(rowsFile.toAbsolutePath().toString())
              + ", format = 'newline_delimited', columns = {" + String.join(", ", types) + "})) TO "
              + SqlText.string(parquetFile.toAbsolutePath().toString()) + " (FORMAT parquet, COMPRESSION zstd)");
    } catch (SQLException e) {
      throw new IOException("could not write the Parquet export: " + e.getMessage(), e);
    } finally {
      Files.deleteIfExists(rowsFile);
    }
    return Files.newInputStream(parquetFile, StandardOpenOption.DELETE_ON_CLOSE);
  }

  @Override
  public void close() throws IOException {
    rows.close();
    Files.deleteIfExists(rowsFile);
  }
}
