package io.hindsight.bench.sdk;

import com.sun.net.httpserver.HttpServer;
import io.hindsight.Hindsight;
import io.hindsight.HindsightBuilder;
import io.hindsight.LocalContext;
import io.hindsight.Prediction;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The SDK's hot path as the prediction thread sees it: open a scope, log 20 keys of mixed types
 * (ints, doubles, strings, a small list, a boolean), close. Shipping runs on the SDK's worker
 * against a no-op fake server on loopback (it answers 200 to everything), so only the prediction
 * thread is measured.
 *
 * <ul>
 *   <li>{@code scope}: the real path; the closed scope itself is the snapshot handed to the queue,
 *       JSON is written later on the worker.
 *   <li>{@code scopeWithSystemFigures}: the real path on an instance built with {@code
 *       captureSystem()}: each close takes the cached JVM figures (refreshed at most every 100 ms);
 *       the worker writes them. The difference to {@code scope} is what the figures cost.
 *   <li>{@code scopeSerializedOnCallerThread}: the same work through a {@link LocalContext}, which
 *       writes the JSON and builds a read-only record view on the caller thread at close. The
 *       difference is an upper bound of what serializing on the prediction thread would cost.
 * </ul>
 *
 * <p>Run with {@code bench/sdk-jmh.sh}; add {@code -prof gc} for allocation per operation.
 */
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
@State(Scope.Benchmark)
public class PredictionHotPathBenchmark {
  private static final List<Double> PROBABILITIES = List.of(0.13, 0.87);

  private HttpServer server;
  private Hindsight hindsight;
  private Hindsight withSystemFigures;
  private LocalContext local;
  private long n;

  @Setup(Level.Trial)
  public void setUp() throws IOException {
    server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    server.createContext(
        "/",
        ex -> {
          try (ex) {
            ex.getRequestBody().readAllBytes();
            byte[] ok = "{}".getBytes(StandardCharsets.UTF_8);
            ex.sendResponseHeaders(200, ok.length);
            try (OutputStream out = ex.getResponseBody()) {
              out.write(ok);
            }
          }
        });
    server.start();
    hindsight = builder().build();
    withSystemFigures = builder().captureSystem().build();
    local = Hindsight.localContext();
    local.close();
  }

  private HindsightBuilder builder() {
    return Hindsight.builder()
        .endpoint("bench-model")
        .modelVersion("v1")
        .serverUrl("http://127.0.0.1:" + server.getAddress().getPort())
        .requestIdFromContext(false)
        .closeOnShutdown(false);
  }

  @TearDown(Level.Trial)
  public void tearDown() {
    System.out.println();
    System.out.println("shipping stats: " + hindsight.stats());
    System.out.println("shipping stats with system figures: " + withSystemFigures.stats());
    hindsight.close(Duration.ofSeconds(5));
    withSystemFigures.close(Duration.ofSeconds(5));
    server.stop(0);
  }

  @Benchmark
  public Prediction scope() {
    return predict(hindsight);
  }

  @Benchmark
  public Prediction scopeWithSystemFigures() {
    return predict(withSystemFigures);
  }

  @Benchmark
  public Prediction scopeSerializedOnCallerThread() {
    if ((n & 1023) == 0) {
      local.clear(); // keep the heap flat: only the caller-side work is of interest
    }
    return predict(local.hindsight());
  }

  private Prediction predict(Hindsight h) {
    long i = n++;
    Prediction p = h.startPrediction();
    try (p) {
      Hindsight.log("credit_score", 712);
      Hindsight.log("amount", 129.5);
      Hindsight.log("txn_count_7d", 3);
      Hindsight.log("merchant", "acme-shop");
      Hindsight.log("country", "DE");
      Hindsight.log("is_new_device", false);
      Hindsight.log("account_age_days", 1024L);
      Hindsight.log("avg_amount_30d", 88.25);
      Hindsight.log("velocity_1h", 0.75);
      Hindsight.log("channel", "web");
      Hindsight.log("probabilities", PROBABILITIES);
      Hindsight.log("score", 0.87);
      Hindsight.log("threshold", 0.5);
      Hindsight.log("decision", "declined");
      Hindsight.log("rule_hits", 2);
      Hindsight.log("segment_id", 17);
      Hindsight.log("distance_km", 12.3);
      Hindsight.log("card_present", true);
      Hindsight.log("seq", i);
      Hindsight.log("feature_version", "fv-7");
    }
    return p;
  }
}
