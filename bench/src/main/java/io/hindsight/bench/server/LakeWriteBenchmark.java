package io.hindsight.bench.server;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.hindsight.server.files.Folders;
import io.hindsight.server.ingest.IngestService;
import io.hindsight.server.lake.FreshRows;
import io.hindsight.server.lake.Lake;
import io.hindsight.server.lake.LakeWriter;
import io.hindsight.server.lake.ParquetEncoder;
import io.hindsight.server.ops.Scheduler;
import io.hindsight.server.schema.SchemaRegistry;
import io.hindsight.server.schema.Table;
import io.hindsight.server.wal.WriteAheadLog;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.duckdb.DuckDBConnection;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The way from the log to Parquet, per row: 20,000 fraud records (~1 KB, 38 columns) as the log
 * encoded them, handed to a lake writer that writes them to one lake file ({@code lake}); written
 * to a fresh file for queries ({@code fresh}, what a query's snapshot costs); or written to a fresh
 * file and the lake file copied from it ({@code fresh+lake}, the way while queries come). Files
 * go to a temporary folder ({@code -Djava.io.tmpdir=/dev/shm} keeps the disk out of the figure).
 * DuckDB uses its threads as in the server; the score is wall time per row. Each runs with both
 * encoders ({@code -p encoder=arrow} or {@code appender} for one).
 *
 * <p>Run with {@code bench/lake-jmh.sh}.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 5)
@Measurement(iterations = 5, time = 5)
@Fork(1)
@State(Scope.Benchmark)
public class LakeWriteBenchmark {
  private static final int ROWS = 20_000;
  private static final int BATCH = 500;

  @Param({"lake", "fresh", "fresh+lake"})
  public String path;

  /** How rows reach DuckDB ({@code lake.encoder}). */
  @Param({"arrow", "appender"})
  public String encoder;

  private record Entry(long firstSeq, int rows, byte[] encoded) {}

  private Path dir;
  private SchemaRegistry schemas;
  private final List<Entry> entries = new ArrayList<>();
  private Scheduler scheduler;
  private int round;
  private long nextSeq;

  @Setup(Level.Trial)
  public void setUp() throws IOException {
    dir = Files.createTempDirectory("lake-bench");
    ObjectMapper json = new ObjectMapper();
    schemas = new SchemaRegistry(dir.resolve("catalog"), json);
    List<Entry> logged = new ArrayList<>();
    try (WriteAheadLog wal = WriteAheadLog.open(dir.resolve("wal"), 64L << 20, 64, 0, (seq, e) -> {},
        (seq, rows, encoded) -> logged.add(new Entry(seq, rows, encoded)))) {
      IngestService ingest = IngestPathBenchmark.ingestInto(schemas, wal, dir.resolve("keys"), json);
      BatchTemplate template = new FraudRecords(42).batch(BATCH);
      byte[] body = new byte[template.length()];
      for (int i = 0; i < ROWS / BATCH; i++) {
        template.stamp(body, IdStyle.ORDERED, System.currentTimeMillis());
        ingest.ingest(Table.PREDICTIONS, "bench-fraud", IngestService.Format.JSON, new ByteArrayInputStream(body), null, null);
      }
    }
    entries.addAll(logged);
    scheduler = Scheduler.system();
  }

  @TearDown(Level.Trial)
  public void tearDown() throws IOException {
    scheduler.close();
    Folders.deleteRecursively(dir);
  }

  @Benchmark
  @OperationsPerInvocation(ROWS)
  public long write() throws IOException, SQLException {
    Lake lake = new Lake(dir.resolve("lake-" + round++));
    LakeWriter writer = new LakeWriter(scheduler, lake, schemas, duckdb(), seq -> {}, t -> {});
    if (writer.encodeWith(ParquetEncoder.of(encoder)) != ParquetEncoder.of(encoder)) {
      throw new IllegalStateException("the " + encoder + " encoder is not usable in this JVM");
    }
    FreshRows fresh = path.equals("lake") ? null : new FreshRows(writer, schemas, lake, duckdb());
    // Seqs go on rising from round to round, as in a server.
    long first = nextSeq;
    for (Entry e : entries) {
      writer.accept(nextSeq + e.firstSeq() - entries.get(0).firstSeq(), e.rows(), e.encoded());
    }
    nextSeq += ROWS;
    if (fresh != null) {
      fresh.take().close();
    }
    if (path.equals("fresh")) {
      writer.discardPending(); // not to the lake, not even on close
    } else {
      writer.flushNow();
    }
    long written = writer.rowsWritten() + (fresh == null ? 0 : fresh.rowsWritten());
    if (fresh != null) {
      fresh.close();
    }
    writer.close();
    Folders.deleteRecursively(lake.root());
    return written + first;
  }

  private static DuckDBConnection duckdb() throws SQLException {
    DuckDBConnection c = (DuckDBConnection) DriverManager.getConnection("jdbc:duckdb:");
    try (var st = c.createStatement()) {
      st.execute("SET TimeZone = 'UTC'");
    }
    return c;
  }
}
