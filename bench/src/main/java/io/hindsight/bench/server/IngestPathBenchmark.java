package io.hindsight.bench.server;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.hindsight.server.files.Folders;
import io.hindsight.server.ingest.IdempotencyStore;
import io.hindsight.server.ingest.IngestLimits;
import io.hindsight.server.ingest.IngestService;
import io.hindsight.server.ops.ServerMetrics;
import io.hindsight.server.schema.SchemaRegistry;
import io.hindsight.server.schema.Table;
import io.hindsight.server.wal.WriteAheadLog;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
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
 * The request path of ingest without HTTP, on one thread: a body of 500 fraud records (~1 KB
 * each) read, checked, fitted to the endpoint's schema, encoded into a log entry and appended to a
 * real write-ahead log. The log lives in a temporary folder ({@code -Djava.io.tmpdir=/dev/shm}
 * keeps the fsync out of the figure) and is truncated as it goes. The score is per record; its
 * inverse is the records a second one core takes on this path.
 *
 * <p>Run with {@code bench/ingest-jmh.sh}.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 5, time = 4)
@Measurement(iterations = 5, time = 4)
@Fork(1)
@State(Scope.Benchmark)
public class IngestPathBenchmark {
  private static final int RECORDS = 500;

  /** Fresh ids and timestamps each time, or the same body again (the cheapest case). */
  @Param({"stamped"})
  public String bodies;

  /** The body as JSON text, or as Smile (Jackson's binary JSON) made from that text. */
  @Param({"json", "smile"})
  public String format;

  private Path dir;
  private WriteAheadLog wal;
  private IngestService ingest;
  private final AtomicLong committed = new AtomicLong();
  private BatchTemplate template;
  private byte[] body;
  /** The body sent: {@link #body}, or its Smile form. */
  private byte[] sent;
  private long appends;

  @Setup(Level.Trial)
  public void setUp() throws IOException {
    dir = Files.createTempDirectory("ingest-bench");
    ObjectMapper json = new ObjectMapper();
    wal = WriteAheadLog.open(dir.resolve("wal"), 64L << 20, 64, 0, (seq, e) -> {},
        (seq, rows, encoded) -> committed.set(seq));
    ingest = ingestInto(new SchemaRegistry(dir.resolve("catalog"), json), wal, dir.resolve("keys"), json);
    template = new FraudRecords(42).batch(RECORDS);
    body = new byte[template.length()];
    template.stamp(body, IdStyle.ORDERED, System.currentTimeMillis());
    sent = format.equals("smile") ? SmileBodies.of(body) : body;
  }

  /** Fresh ids and times before each call, as a client writes them; Smile is written from them here, unmeasured. */
  @Setup(Level.Invocation)
  public void stamp() throws IOException {
    if (bodies.equals("stamped")) {
      template.stamp(body, IdStyle.ORDERED, System.currentTimeMillis());
      sent = format.equals("smile") ? SmileBodies.of(body) : body;
    }
  }

  /** Ingest as the server runs it, with default limits and no back-pressure, into {@code wal}. */
  static IngestService ingestInto(SchemaRegistry schemas, WriteAheadLog wal, Path keys, ObjectMapper json) throws IOException {
    return new IngestService(
        schemas,
        wal,
        new IdempotencyStore(keys, Clock.systemUTC(), Duration.ofHours(1), 1000),
        IngestLimits.DEFAULTS,
        json,
        Clock.systemUTC(),
        new ServerMetrics(),
        () -> 0L,
        Long.MAX_VALUE,
        256L << 20);
  }

  @TearDown(Level.Trial)
  public void tearDown() throws IOException {
    wal.close();
    Folders.deleteRecursively(dir);
  }

  @Benchmark
  @OperationsPerInvocation(RECORDS)
  public byte[] ingestBatch() throws IOException {
    IngestService.Format f = format.equals("smile") ? IngestService.Format.SMILE : IngestService.Format.JSON;
    byte[] answer = ingest.ingest(Table.PREDICTIONS, "bench-fraud", f, new ByteArrayInputStream(sent), null, null);
    if (++appends % 64 == 0) {
      wal.deleteUpTo(committed.get());
    }
    return answer;
  }
}
