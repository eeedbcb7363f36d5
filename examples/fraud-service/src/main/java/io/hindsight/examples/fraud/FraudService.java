package io.hindsight.examples.fraud;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.hindsight.Hindsight;
import io.hindsight.Prediction;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The card-fraud scoring service: {@code POST /score} with a transaction (see {@link
 * Transaction#toMap()}) answers the decision, and records the whole prediction with Hindsight —
 * the raw input, the engineered features, each ensemble member's score, both class
 * probabilities, the decision, the action, the threshold and the service's own figures.
 *
 * <pre>{@code
 * curl -s localhost:8080/score -d '{"transaction_id":"t1","card_id":"card-00001","amount":912.5,
 *   "merchant_category":"electronics","merchant_country":"RO","card_country":"US","channel":"online",
 *   "hour":3,"card_age_days":12,"txn_count_24h":6,"distance_from_home_km":7400,"new_device":true,
 *   "card_avg_amount":48.2,"card_std_amount":30.1}'
 * }</pre>
 */
public final class FraudService implements AutoCloseable {
  /** The amount from which a transaction is in the {@code high_value} segment. */
  public static final double HIGH_VALUE_AMOUNT = 500;

  private static final int MAX_BODY_BYTES = 64 * 1024;

  static {
    // The JDK server writes headers and body separately; with Nagle on, each answer then waits
    // for the client's delayed ACK (~40 ms). A scoring service answers in microseconds.
    if (System.getProperty("sun.net.httpserver.nodelay") == null) {
      System.setProperty("sun.net.httpserver.nodelay", "true");
    }
  }

  private final Hindsight hindsight;
  private final HttpServer server;
  private final ExecutorService workers;
  private final ThreadMXBean threads = ManagementFactory.getThreadMXBean();
  private volatile FraudModel model;

  private FraudService(Hindsight hindsight, FraudModel model, HttpServer server, ExecutorService workers) {
    this.hindsight = hindsight;
    this.model = model;
    this.server = server;
    this.workers = workers;
  }

  /**
   * Starts the service on {@code host:port} (port 0 picks a free one) with {@code threads} request
   * threads. Predictions are recorded through {@code hindsight}, which the caller keeps and closes.
   */
  public static FraudService start(Hindsight hindsight, FraudModel model, String host, int port, int threads)
      throws IOException {
    if (hindsight == null || model == null) {
      throw new IllegalArgumentException("the service needs a Hindsight instance and a model");
    }
    HttpServer server = HttpServer.create(new InetSocketAddress(host, port), 128);
    AtomicInteger n = new AtomicInteger();
    ExecutorService workers =
        Executors.newFixedThreadPool(
            Math.max(1, threads),
            r -> {
              Thread t = new Thread(r, "fraud-service-" + n.incrementAndGet());
              t.setDaemon(true);
              return t;
            });
    FraudService service = new FraudService(hindsight, model, server, workers);
    server.createContext("/score", service::handleScore);
    server.createContext("/health", ex -> service.respond(ex, 200, Map.of("status", "ok", "model_version", service.model.version())));
    server.setExecutor(workers);
    server.start();
    return service;
  }

  /** The port the service listens on. */
  public int port() {
    return server.getAddress().getPort();
  }

  /** The scoring URL, {@code http://host:port/score}. */
  public URI scoreUri() {
    return URI.create("http://" + server.getAddress().getHostString() + ":" + port() + "/score");
  }

  /** The model serving now. */
  public FraudModel model() {
    return model;
  }

  /**
   * Switches to another model without dropping a request, and records a {@code deploy} event on
   * the endpoint's timeline so later analysis can split before and after.
   */
  public void deploy(FraudModel next, String note) {
    FraudModel previous = model;
    model = next;
    Map<String, Object> data = new LinkedHashMap<>();
    data.put("model_version", next.version());
    data.put("previous_version", previous.version());
    data.put("threshold", next.threshold());
    data.put("tree_depth", next.treeDepth());
    data.put("trained_on", next.trainedOn());
    hindsight.event("deploy", note == null ? "deployed " + next.version() : note, data);
  }

  /**
   * Scores a transaction inside a prediction scope whose id is the transaction id, and logs
   * everything needed to explain the decision later.
   */
  public FraudModel.Score score(Transaction t, Map<String, Object> rawInput, String requestId) {
    FraudModel m = model;
    try (Prediction p = hindsight.startPrediction(t.transactionId())) {
      long start = System.nanoTime();
      p.modelVersion(m.version());
      if (requestId != null && !requestId.isBlank()) {
        p.requestId(requestId);
      }
      p.tag("segment", t.amount() >= HIGH_VALUE_AMOUNT ? "high_value" : "standard");
      p.tag("channel", t.channel());
      p.tag("region", region(t.cardCountry()));
      Hindsight.log("transaction", rawInput);
      FraudModel.Score s;
      try {
        s = m.score(t);
      } catch (RuntimeException e) {
        p.fail(e);
        throw e;
      }
      long scoringMicros = (System.nanoTime() - start) / 1_000;
      Hindsight.log("features", s.features());
      Hindsight.log("amount", t.amount());
      Hindsight.log("amount_zscore", s.features().get("amount_zscore"));
      Hindsight.log("score_logistic", s.logistic());
      Hindsight.log("score_tree", s.tree());
      Hindsight.log("score_rules", s.rules());
      Hindsight.log("probabilities", List.of(s.pLegit(), s.pFraud()));
      Hindsight.log("p_fraud", s.pFraud());
      Hindsight.log("threshold", m.threshold());
      Hindsight.log("decision", s.decision());
      Hindsight.log("action", s.action());
      if (!s.principalReasons().isEmpty()) {
        Hindsight.logReasons(s.principalReasons().toArray(new io.hindsight.Reason[0]));
      }
      Hindsight.log("top_factors", s.topFactors());
      Runtime rt = Runtime.getRuntime();
      Hindsight.log("scoring_us", scoringMicros);
      Hindsight.log("heap_used_mb", Features.round((rt.totalMemory() - rt.freeMemory()) / 1048576.0, 1));
      Hindsight.log("thread_count", threads.getThreadCount());
      return s;
    }
  }

  static String region(String country) {
    return switch (country) {
      case "US", "CA", "MX" -> "north_america";
      case "BR", "AR", "CL" -> "latin_america";
      case "GB", "DE", "FR", "ES", "IT", "NL", "RO" -> "europe";
      case "JP", "SG", "AU", "TH", "IN" -> "asia_pacific";
      default -> "other";
    };
  }

  private void handleScore(HttpExchange ex) throws IOException {
    try (ex) {
      if (!"POST".equals(ex.getRequestMethod())) {
        respond(ex, 405, Map.of("error", "use POST /score with a transaction as JSON"));
        return;
      }
      Map<String, Object> raw;
      Transaction t;
      try {
        raw = Json.parseObject(readBody(ex.getRequestBody()));
        t = Transaction.fromMap(raw);
      } catch (IllegalArgumentException bad) {
        respond(ex, 400, Map.of("error", bad.getMessage()));
        return;
      }
      FraudModel.Score s;
      try {
        s = score(t, raw, ex.getRequestHeaders().getFirst("X-Request-ID"));
      } catch (RuntimeException e) {
        respond(ex, 500, Map.of("error", "scoring failed: " + e.getMessage()));
        return;
      }
      Map<String, Object> answer = new LinkedHashMap<>();
      answer.put("transaction_id", t.transactionId());
      answer.put("decision", s.decision());
      answer.put("action", s.action());
      answer.put("fraud_probability", s.pFraud());
      answer.put("model_version", model.version());
      answer.put("reasons", s.reasons());
      respond(ex, 200, answer);
    }
  }

  private static String readBody(InputStream in) throws IOException {
    byte[] body = in.readNBytes(MAX_BODY_BYTES + 1);
    if (body.length > MAX_BODY_BYTES) {
      throw new IllegalArgumentException("a transaction is at most " + MAX_BODY_BYTES + " bytes");
    }
    return new String(body, StandardCharsets.UTF_8);
  }

  private void respond(HttpExchange ex, int status, Map<String, ?> body) throws IOException {
    byte[] bytes = Json.write(body).getBytes(StandardCharsets.UTF_8);
    ex.getResponseHeaders().set("Content-Type", "application/json");
    ex.sendResponseHeaders(status, bytes.length);
    try (OutputStream out = ex.getResponseBody()) {
      out.write(bytes);
    }
  }

  /** Stops listening (in-flight requests get a second to finish) and stops the request threads. */
  @Override
  public void close() {
    server.stop(1);
    workers.shutdownNow();
  }

  /**
   * Runs the service on its own: {@code --port 8080 --server-url http://127.0.0.1:7070
   * --model-version v1.0.0 --seed 42}; the model is trained at start on generated data.
   */
  public static void main(String[] args) throws Exception {
    Map<String, String> opts = new LinkedHashMap<>(Map.of(
        "--port", "8080", "--server-url", "http://127.0.0.1:7070", "--model-version", "v1.0.0", "--seed", "42",
        "--spool-dir", "fraud-service-spool"));
    for (int i = 0; i + 1 < args.length; i += 2) {
      if (!opts.containsKey(args[i])) {
        throw new IllegalArgumentException("unknown option " + args[i] + "; known: " + opts.keySet());
      }
      opts.put(args[i], args[i + 1]);
    }
    long seed = Long.parseLong(opts.get("--seed"));
    FraudModel model = FraudModel.train(opts.get("--model-version"), new TransactionGenerator(seed).next(6_000), 3);
    Hindsight hindsight =
        Hindsight.builder()
            .endpoint("fraud-model")
            .modelVersion(model.version())
            .serverUrl(opts.get("--server-url"))
            .spoolDirectory(Path.of(opts.get("--spool-dir")))
            .build();
    FraudService service = start(hindsight, model, "127.0.0.1", Integer.parseInt(opts.get("--port")), 4);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      service.close();
      hindsight.close(Duration.ofSeconds(5));
    }, "fraud-service-shutdown"));
    System.out.println("fraud-service " + model.version() + " scoring at " + service.scoreUri());
    Thread.currentThread().join();
  }
}
