package io.hindsight.server.query;

import com.fasterxml.jackson.core.JsonEncoding;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.IOException;
import java.nio.file.Path;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import java.util.Map;
import org.duckdb.DuckDBConnection;

/**
 * A query worker process: one locked DuckDB over the lake that runs the queries the server sends
 * through its stdin and answers on its stdout ({@link WorkerChannel}). The server kills it when a
 * query overruns its deadline, which stops work no cancel can reach (DuckDB folds constants inside
 * prepare). It exits when its stdin closes, so it never outlives the server, even a killed one.
 *
 * <p>Args: the lake folder, the spill folder, DuckDB's memory limit, the spill size limit.
 */
final class QueryWorkerMain {
  /** Rows and bytes per rows frame: big enough to be cheap, small enough to stream. */
  private static final int BATCH_ROWS = 1024;

  private static final int BATCH_BYTES = 1 << 20;

  private final DuckDBConnection db;
  private final WorkerChannel channel;
  private final ObjectMapper json = WorkerChannel.JSON;

  private QueryWorkerMain(DuckDBConnection db, WorkerChannel channel) {
    this.db = db;
    this.channel = channel;
  }

  public static void main(String[] args) throws Exception {
    // The protocol owns stdout; anything else printed (a library, the JVM) goes to stderr, which
    // the server copies into its log.
    FileOutputStream protocolOut = new FileOutputStream(FileDescriptor.out);
    System.setOut(System.err);
    WorkerChannel channel = new WorkerChannel(System.in, protocolOut);
    try (DuckDBConnection db = LockedDuckDb.open(Path.of(args[0]), args[2], Path.of(args[1]), args[3], 0)) {
      DuckDbFiles.deleteLoadedLibraryCopy();
      QueryWorkerMain worker = new QueryWorkerMain(db, channel);
      worker.send(Map.of("ready", true));
      byte[] frame;
      while ((frame = channel.read()) != null) {
        worker.run(worker.json.readValue(frame, WorkerChannel.Request.class));
      }
    }
    System.exit(0);
  }

  private void run(WorkerChannel.Request request) throws IOException {
    if (request.views() != null) {
      try (Statement st = db.createStatement()) {
        for (String ddl : request.views()) {
          st.execute(ddl);
        }
      } catch (SQLException e) {
        // Views the server built but this worker cannot: a fresh worker is the way back.
        send(Map.of("error", "could not build the SQL views: " + LockedDuckDb.cleanMessage(e), "fatal", true));
        System.exit(1);
      }
    }
    try {
      if (request.before() != null) {
        try (Statement st = db.createStatement()) {
          for (String sql : request.before()) {
            st.execute(sql);
          }
        }
      }
      try (PreparedStatement ps = db.prepareStatement(request.sql())) {
        for (int i = 0; i < request.params().size(); i++) {
          ps.setObject(i + 1, request.params().get(i));
        }
        try (ResultSet rs = ps.executeQuery()) {
          stream(rs, request.limit());
        }
      }
    } catch (SQLException e) {
      send(Map.of("error", LockedDuckDb.cleanMessage(e)));
    }
  }

  private void stream(ResultSet rs, int limit) throws SQLException, IOException {
    FrameSink frames = new FrameSink();
    frames.end(ResultValues.stream(rs, limit, frames), 0);
  }

  /** Sends a result to the server as frames: its columns, rows in batches, then its end. */
  private final class FrameSink implements ResultSink {
    private RowsFrame batch;

    @Override
    public void columns(List<ResultColumn> columns) throws IOException {
      send(Map.of("columns", columns));
      batch = new RowsFrame();
    }

    @Override
    public void row(Object[] values) throws IOException {
      batch.add(values);
      if (batch.rows == BATCH_ROWS || batch.bytes.size() >= BATCH_BYTES) {
        channel.write(batch.finish());
        batch = new RowsFrame();
      }
    }

    @Override
    public void end(boolean truncated, long elapsedMs) throws IOException {
      if (batch.rows > 0) {
        channel.write(batch.finish());
      }
      send(Map.of("end", Map.of("truncated", truncated)));
    }
  }

  private void send(Object message) throws IOException {
    channel.write(json.writeValueAsBytes(message));
  }

  /** A {@code {"rows": [...]}} frame written row by row, so a batch is encoded only once. */
  private final class RowsFrame {
    final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    final JsonGenerator g;
    int rows;

    RowsFrame() throws IOException {
      g = json.getFactory().createGenerator(bytes, JsonEncoding.UTF8);
      g.writeStartObject();
      g.writeArrayFieldStart("rows");
    }

    void add(Object[] row) throws IOException {
      json.writeValue(g, row);
      rows++;
      g.flush();
    }

    byte[] finish() throws IOException {
      g.writeEndArray();
      g.writeEndObject();
      g.close();
      return bytes.toByteArray();
    }
  }
}
