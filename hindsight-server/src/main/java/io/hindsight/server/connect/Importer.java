package io.hindsight.server.connect;

import io.hindsight.server.query.DuckDbFiles;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.hindsight.server.schema.SqlText;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import io.hindsight.server.ops.DaemonThreads;

/**
 * One run of an import: lists the source's files, reads each file not finished yet with DuckDB in
 * file order from the first row not done, and sends its rows in batches to a {@link RecordSink}.
 *
 * <p>Exactly once per source row: a batch's idempotency key names the source file (its path and
 * version) and the rows it holds, and the {@link ImportState} is written after each acknowledged
 * batch. A crash before the state is written resends the same batch with the same key, which the
 * server answers from its idempotency store ({@code ingest.idempotency-ttl}, 24 h by default) and
 * stores nothing twice; after the state is written, the rows are never read again. A finished file
 * is never read again.
 *
 * <p>With a watermark, rows whose watermark column is at or behind the last watermark minus the
 * delay are not sent; they are counted and reported per file ({@link ImportListener#late}).
 */
public final class Importer {
  /** Rows a batch holds at most. */
  static final int BATCH_ROWS = 5_000;

  /** Bytes of records a batch holds at most, well inside the server's 64 MiB body limit. */
  static final int BATCH_BYTES = 8 << 20;

  /**
   * Batches on their way at most: the server stores several at once (its ingest threads parse in
   * parallel and share an fsync), where one at a time leaves it waiting on each round trip.
   */
  static final int IN_FLIGHT = 3;

  private final ImportSpec spec;
  private final Source source;
  private final ImportState state;
  private final RecordSink sink;
  private final ImportListener listener;
  private final ObjectMapper json;

  // Counts are kept by the sender's thread; the caller reads them once it has waited for it.
  private long rowsRead;
  private long accepted;
  private long rejected;
  private long late;
  private double bytesDone;
  private long bytesTotal;

  public Importer(ImportSpec spec, Source source, ImportState state, RecordSink sink, ImportListener listener, ObjectMapper json) {
    this.spec = spec;
    this.source = source;
    this.state = state;
    this.sink = sink;
    this.listener = listener;
    this.json = json;
  }

  /** Runs the import once, to the end of every file; returns its counts. */
  public ImportProgress run() throws IOException {
    Long watermark = state.watermarkMicros();
    Long cutoff = state.beginRun(watermark == null ? null : watermark - spec.delay().toNanos() / 1000);
    state.save(json);
    List<SourceFile> pending = new ArrayList<>();
    for (SourceFile f : source.list(spec.format())) {
      ImportState.FileProgress p = state.progress(f.id());
      if (p == null || !p.finished()) {
        pending.add(f);
        bytesTotal += f.size();
      } else if (p.version() != null && !p.version().equals(f.version())) {
        listener.changed(f.id());
      }
    }
    ExecutorService sender = DaemonThreads.pool("hindsight-import-sender", IN_FLIGHT);
    try (Connection db = open(source.readableRoot())) {
      Steps steps = new Steps(sender);
      double bytesBefore = 0;
      for (SourceFile f : pending) {
        Path local = source.open(f);
        try {
          importFile(db, f, local, cutoff, bytesBefore, steps);
        } finally {
          // The copy is read once the file's last batch is built; its sending goes on meanwhile.
          source.release(local);
        }
        bytesBefore += f.size();
      }
      steps.awaitAll();
    } catch (SQLException e) {
      throw new IOException(e.getMessage(), e);
    } finally {
      sender.shutdown();
      awaitQuietly(sender);
    }
    state.endRun();
    state.save(json);
    return progress();
  }

  private ImportProgress progress() {
    return new ImportProgress(rowsRead, accepted, rejected, late, bytesDone, bytesTotal, state.watermarkMicros());
  }

  /**
   * Reads a file from its first row not done, building batches on this thread while the ones
   * before are sent: reading and storing overlap, up to {@link #IN_FLIGHT} batches are stored at
   * once, and everything that follows an answer (counts, state, what the listener hears) happens
   * in the order the batches were read.
   */
  private void importFile(Connection db, SourceFile f, Path local, Long cutoff, double bytesBefore, Steps steps)
      throws IOException, SQLException {
    ImportState.FileProgress done = state.progress(f.id());
    long first = done == null ? 0 : done.rowsDone();
    String read = spec.format().read(local);
    long rowsInFile = spec.format() == SourceFormat.PARQUET ? count(db, f, read) : -1;
    String sql = RecordColumns.select(spec, f.id(), read, describe(db, f, read), f.partitions(), cutoff)
        // Only a resumed file skips rows: OFFSET slows a scan down even when it is 0.
        + (first > 0 ? " OFFSET " + first : "");
    String fileKey = fileKey(f);
    long[] fileLate = {0};
    Batch batch = new Batch(first);
    boolean watermarked = spec.watermark() != null;
    try (Statement st = db.createStatement(); ResultSet rs = query(st, f, sql)) {
      long row = first;
      while (rs.next()) {
        if (!watermarked) {
          batch.add(row, rs.getBytes(1), null);
        } else if (rs.getBoolean(2)) {
          batch.late++;
        } else {
          long wm = rs.getLong(3);
          batch.add(row, rs.getBytes(1), rs.wasNull() ? null : wm);
        }
        row++;
        if (batch.full()) {
          Batch full = batch;
          long next = row;
          double bytes = bytesBefore + (rowsInFile > 0 ? f.size() * (double) next / rowsInFile : 0);
          steps.then(() -> send(fileKey, full, next), answer -> {
            record(f, full, next, false, answer);
            fileLate[0] += full.late;
            bytesDone = bytes;
            listener.progress(progress());
          });
          batch = new Batch(row);
        }
      }
      Batch last = batch;
      long end = row;
      steps.then(() -> send(fileKey, last, end), answer -> {
        record(f, last, end, true, answer);
        fileLate[0] += last.late;
        if (fileLate[0] > 0) {
          listener.late(f.id(), fileLate[0]);
        }
        bytesDone = bytesBefore + f.size();
        listener.progress(progress());
      });
    }
  }

  /** Sends a batch with the key of its rows; its answer, or null for a batch without rows. */
  private byte[] send(String fileKey, Batch batch, long next) throws IOException {
    return batch.size == 0 ? null : sink.send(batch.body.toByteArray(), "import-" + fileKey + "-" + batch.firstRow + "-" + (next - 1));
  }

  /**
   * Takes a batch's answer (null when it had no rows) and records that rows up to {@code next}
   * are done, and whether the file is finished.
   */
  private void record(SourceFile f, Batch batch, long next, boolean finished, byte[] sent) throws IOException {
    rowsRead += next - batch.firstRow;
    late += batch.late;
    if (sent != null) {
      JsonNode answer = json.readTree(sent);
      accepted += answer.path("accepted").asLong();
      for (JsonNode r : answer.path("rejected")) {
        rejected++;
        listener.rejected(f.id(), batch.rows[r.path("index").asInt()] + 1, r.path("error").asText());
      }
      long unlisted = answer.path("rejected_omitted").asLong();
      if (unlisted > 0) {
        rejected += unlisted;
        listener.rejectedUnlisted(f.id(), batch.firstRow + 1, next, unlisted);
      }
      for (JsonNode w : answer.path("warnings")) {
        listener.warning(f.id(), batch.rows[w.path("index").asInt()] + 1, w.path("warning").asText());
      }
      state.watermark(batch.maxWatermark);
    }
    if (next > batch.firstRow || finished) {
      state.progress(f.id(), next, finished, f.version());
      state.save(json);
    }
  }

  /**
   * The batches of a run on their way: sent by up to {@link #IN_FLIGHT} threads at once, their
   * answers taken in the order the batches were read, so the state only ever advances over rows
   * the server stored and a run that fails leaves nothing recorded after the batch that failed.
   */
  private static final class Steps {
    private record Step(Future<byte[]> answer, AfterAnswer after) {}

    private final ExecutorService senders;
    private final java.util.ArrayDeque<Step> inFlight = new java.util.ArrayDeque<>();

    Steps(ExecutorService senders) {
      this.senders = senders;
    }

    /** Sends a batch once fewer than {@link #IN_FLIGHT} are on their way; throws what an earlier one failed with. */
    void then(Send send, AfterAnswer after) throws IOException {
      while (inFlight.size() >= IN_FLIGHT) {
        finishOldest();
      }
      inFlight.add(new Step(senders.submit(send::send), after));
    }

    /** Takes every answer still to come, in order. */
    void awaitAll() throws IOException {
      while (!inFlight.isEmpty()) {
        finishOldest();
      }
    }

    private void finishOldest() throws IOException {
      Step step = inFlight.poll();
      byte[] answer;
      try {
        answer = step.answer().get();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IOException("interrupted while a batch was being sent", e);
      } catch (ExecutionException e) {
        Throwable cause = e.getCause();
        if (cause instanceof IOException io) {
          throw io;
        }
        if (cause instanceof RuntimeException r) {
          throw r;
        }
        if (cause instanceof Error err) {
          throw err;
        }
        throw new IOException(cause);
      }
      step.after().run(answer);
    }
  }

  @FunctionalInterface
  private interface Send {
    byte[] send() throws IOException;
  }

  @FunctionalInterface
  private interface AfterAnswer {
    void run(byte[] answer) throws IOException;
  }

  /** Waits for the step being sent when a run ends early, so no state is written after {@link #run} returns. */
  private static void awaitQuietly(ExecutorService sender) {
    try {
      if (!sender.awaitTermination(SENDER_STOP_WAIT_SECONDS, TimeUnit.SECONDS)) {
        sender.shutdownNow();
      }
    } catch (InterruptedException e) {
      sender.shutdownNow();
      Thread.currentThread().interrupt();
    }
  }

  /** A batch is answered within the sink's own timeouts; this only bounds a stuck one. */
  private static final long SENDER_STOP_WAIT_SECONDS = 300;

  /** The records of one request, with the source row of each. */
  private static final class Batch {
    final long firstRow;
    /** The source row of each record, for the rows the server names by their index in the batch. */
    final long[] rows = new long[BATCH_ROWS];
    int size;
    final ByteArrayOutputStream body = new ByteArrayOutputStream(1 << 20);
    Long maxWatermark;
    /** Rows of the batch's range behind the cutoff, not sent. */
    long late;

    Batch(long firstRow) {
      this.firstRow = firstRow;
    }

    void add(long row, byte[] record, Long watermark) {
      rows[size++] = row;
      body.writeBytes(record);
      body.write('\n');
      if (watermark != null && (maxWatermark == null || watermark > maxWatermark)) {
        maxWatermark = watermark;
      }
    }

    boolean full() {
      return size >= BATCH_ROWS || body.size() >= BATCH_BYTES;
    }
  }

  /** The source file's identity in idempotency keys: the import's source, the file's path and version. */
  private String fileKey(SourceFile f) {
    try {
      MessageDigest d = MessageDigest.getInstance("SHA-256");
      d.update((spec.from() + "\n" + f.id() + "\n" + f.version()).getBytes(StandardCharsets.UTF_8));
      return HexFormat.of().formatHex(d.digest(), 0, 16);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  private static List<RecordColumns.Column> describe(Connection db, SourceFile f, String read) throws IOException {
    List<RecordColumns.Column> columns = new ArrayList<>();
    try (Statement st = db.createStatement(); ResultSet rs = query(st, f, "DESCRIBE SELECT * FROM " + read)) {
      while (rs.next()) {
        columns.add(new RecordColumns.Column(rs.getString("column_name"), rs.getString("column_type")));
      }
    } catch (SQLException e) {
      throw new IOException(f.id() + ": " + e.getMessage(), e);
    }
    return columns;
  }

  private static long count(Connection db, SourceFile f, String read) throws IOException {
    try (Statement st = db.createStatement(); ResultSet rs = query(st, f, "SELECT count(*) FROM " + read)) {
      rs.next();
      return rs.getLong(1);
    } catch (SQLException e) {
      throw new IOException(f.id() + ": " + e.getMessage(), e);
    }
  }

  private static ResultSet query(Statement st, SourceFile f, String sql) throws IOException {
    try {
      return st.executeQuery(sql);
    } catch (SQLException e) {
      throw new IOException("could not read " + f.id() + ": " + e.getMessage(), e);
    }
  }

  /**
   * An in-memory DuckDB that streams results and may read only the source's folder: the SQL is
   * built here, but file names and values come from outside.
   */
  private static Connection open(Path root) throws SQLException {
    Properties p = new Properties();
    p.setProperty("jdbc_stream_results", "true");
    Connection db = DriverManager.getConnection("jdbc:duckdb:", p);
    try (Statement st = db.createStatement()) {
      st.execute("SET TimeZone = 'UTC'");
      st.execute("SET memory_limit = '1GB'");
      // Row numbers are the file's order, which idempotency keys and resumed runs rely on.
      st.execute("SET preserve_insertion_order = true");
      DuckDbFiles.confine(st, root);
    } catch (SQLException e) {
      db.close();
      throw e;
    }
    return db;
  }
}
