package io.hindsight.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.hindsight.Hindsight;
import io.hindsight.Stats;
import io.hindsight.examples.fraud.FraudModel;
import io.hindsight.examples.fraud.FraudService;
import io.hindsight.examples.fraud.LabeledTransaction;
import io.hindsight.examples.fraud.TransactionGenerator;
import io.hindsight.server.HindsightServer;
import io.hindsight.server.ServerConfig;
import java.io.IOException;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code hindsight demo}: a server, a fraud-scoring service instrumented with the SDK, a few
 * thousand realistic transactions through its HTTP endpoint, a model deploy halfway, ground truth
 * arriving late (or never), and then three questions answered with SQL.
 */
@Command(
    name = "demo",
    mixinStandardHelpOptions = true,
    description = {
      "Run a sample fraud-scoring service against a local Hindsight server.",
      "Realistic traffic, a deploy of model v2 halfway and delayed ground truth, then three questions",
      "answered with SQL."
    })
final class DemoCommand implements Callable<Integer> {
  static final String ENDPOINT = "fraud-model";
  private static final int DEFAULT_PORT = 7070;
  private static final int BATCH = 250;

  @Option(names = "--data-dir", description = "Data folder (default: ./hindsight-demo-data).")
  Path dataDir = Path.of("hindsight-demo-data");

  @Option(names = "--port", description = "Server port (default: 7070, or a free one when 7070 is taken; 0 picks a free one).")
  Integer port;

  @Option(names = "--transactions", description = "Transactions to score (default: 3000).")
  int transactions = 3_000;

  @Option(names = "--keep-running", description = "Keep the server and the fraud service up after the demo, until Ctrl+C.")
  boolean keepRunning;

  @Option(names = "--seed", description = "Seed of the generated traffic (default: 42).")
  long seed = 42;

  /** One question the demo answered: what was asked, the SQL, and the server's answer. */
  record Answer(String question, String sql, List<Object> params, JsonNode result) {}

  /** The answers, in order (why declined, declines by segment, accuracy by version); for tests. */
  final List<Answer> answers = new ArrayList<>();

  /** The declined transaction the first answer explains. */
  String explainedId;

  /** What the monitoring part showed: drift after the deploy, quality by version, the alert rule; for tests. */
  JsonNode drift;

  JsonNode evaluation;
  JsonNode alert;
  Path report;

  private final ObjectMapper json = new ObjectMapper();
  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
  private PrintStream out;

  @Override
  public Integer call() throws Exception {
    if (transactions < 20) {
      throw new IllegalArgumentException("--transactions must be at least 20, was " + transactions);
    }
    out = System.out;
    quietServerLogs();
    long started = System.nanoTime();
    int serverPort = choosePort();

    ServerConfig config = new ServerConfig();
    config.dataDir = dataDir;
    config.port = serverPort;
    config.lake.flushInterval = Duration.ofMillis(200);
    HindsightServer server = HindsightServer.start(config);
    String serverUrl = "http://127.0.0.1:" + server.port();
    out.printf("Hindsight server on %s, data in %s%n", serverUrl, dataDir.toAbsolutePath().normalize());

    Hindsight hindsight = null;
    FraudService service = null;
    boolean handedOver = false;
    try {
      List<LabeledTransaction> evaluation = new TransactionGenerator(seed + 2).next(2_000);
      FraudModel v1 = FraudModel.train("v1.0.0", new TransactionGenerator(seed).next(2_000), 2);
      FraudModel v2 = FraudModel.train("v2.0.0", new TransactionGenerator(seed + 1).next(8_000), 4);
      describe(v1, "logistic regression + depth-2 tree + rules", evaluation);
      describe(v2, "the same with a depth-4 tree and 4x the data", evaluation);

      hindsight =
          Hindsight.builder()
              .endpoint(ENDPOINT)
              .modelVersion(v1.version())
              .serverUrl(serverUrl)
              .linger(Duration.ofMillis(100))
              .closeOnShutdown(false)
              .build();
      service = FraudService.start(hindsight, v1, "127.0.0.1", 0, 4);
      out.printf("Fraud service on %s, recording every prediction to endpoint '%s'%n", service.scoreUri(), ENDPOINT);

      Traffic traffic = drive(service, hindsight, v2);
      out.print("Flushing... ");
      long flushStart = System.nanoTime();
      boolean delivered = hindsight.flush(Duration.ofSeconds(30));
      server.flushLake();
      Stats stats = hindsight.stats();
      out.printf(
          "%s: %,d records sent by the SDK, %,d lost, in %,d ms%n",
          delivered ? "all delivered and in the lake" : "NOT everything was delivered",
          stats.sent(),
          stats.lost(),
          (System.nanoTime() - flushStart) / 1_000_000);
      awaitVisible(serverUrl, traffic.runPrefix, traffic.scored);

      explainedId = traffic.pickDeclined();
      out.println();
      ask(serverUrl, "Why was " + explainedId + " declined?" + (traffic.wronglyDeclined(explainedId)
              ? " (the cardholder says it was theirs)" : ""),
          "SELECT prediction_id, ts, model_version, tags, transaction, features, score_logistic, score_tree,"
              + " score_rules, probabilities, threshold, decision, action, reasons, top_factors, feedback_label"
              + " FROM predictions_with_feedback WHERE endpoint = ? AND prediction_id = ?",
          List.of(ENDPOINT, explainedId), true);
      ask(serverUrl, "Declines by segment today",
          "SELECT tags['segment'] AS segment, count(*) AS transactions,"
              + " count(*) FILTER (WHERE decision = 'review') AS reviewed,"
              + " count(*) FILTER (WHERE decision = 'decline') AS declined,"
              + " round(100.0 * count(*) FILTER (WHERE decision = 'decline') / count(*), 2) AS decline_pct,"
              + " round(sum(amount) FILTER (WHERE decision = 'decline'), 2) AS declined_amount"
              + " FROM predictions WHERE endpoint = ? AND date = current_date GROUP BY 1 ORDER BY 1",
          List.of(ENDPOINT), false);
      ask(serverUrl, "Accuracy by model version, against the ground truth that has arrived",
          "SELECT model_version, count(*) AS labelled,"
              + " round(avg(CASE WHEN (decision = 'decline') = (feedback_label = 'fraud') THEN 1.0 ELSE 0.0 END), 4)"
              + " AS accuracy,"
              + " count(*) FILTER (WHERE feedback_label = 'fraud') AS fraud,"
              + " count(*) FILTER (WHERE feedback_label = 'fraud' AND decision = 'decline') AS fraud_declined,"
              + " count(*) FILTER (WHERE feedback_label = 'legit' AND decision = 'decline') AS false_declines"
              + " FROM predictions_with_feedback WHERE endpoint = ? AND feedback_label IS NOT NULL"
              + " GROUP BY 1 ORDER BY 1",
          List.of(ENDPOINT), false);

      monitor(serverUrl, traffic, v2);
      explore(serverUrl, server.port());
      out.printf("Demo finished in %.1f s.%n", (System.nanoTime() - started) / 1e9);
      if (keepRunning) {
        out.printf(
            "Still serving: Hindsight on %s, the fraud service on %s. Press Ctrl+C to stop.%n",
            serverUrl, service.scoreUri());
        out.flush();
        handedOver = true;
        awaitShutdown(server, service, hindsight);
      }
      return 0;
    } finally {
      if (!handedOver) {
        if (service != null) {
          service.close();
        }
        if (hindsight != null) {
          hindsight.close(Duration.ofSeconds(5));
        }
        server.close();
      }
    }
  }

  private void describe(FraudModel m, String what, List<LabeledTransaction> evaluation) {
    out.printf(
        "Trained model %s (%s, %,d transactions): held-out AUC %.3f, accuracy %.3f, decline threshold %.2f%n",
        m.version(), what, m.trainedOn(), m.auc(evaluation), m.accuracy(evaluation), m.threshold());
  }

  /** The ports to try: 7070 unless taken, else a free one, and say so. */
  private int choosePort() {
    if (port != null) {
      if (port != 0 && !free(port)) {
        throw new IllegalArgumentException(
            "port " + port + " is taken; pass another --port, or --port 0 for a free one");
      }
      return port;
    }
    if (free(DEFAULT_PORT)) {
      return DEFAULT_PORT;
    }
    out.printf("Port %d is taken (another Hindsight?); using a free port instead.%n", DEFAULT_PORT);
    return 0;
  }

  private static boolean free(int p) {
    try (ServerSocket s = new ServerSocket()) {
      s.setReuseAddress(true);
      s.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), p));
      return true;
    } catch (IOException taken) {
      return false;
    }
  }

  /** The in-process server logs every request at INFO; the demo's own lines say what matters. */
  private static void quietServerLogs() {
    org.slf4j.Logger l = LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
    if (l instanceof ch.qos.logback.classic.Logger) {
      ((ch.qos.logback.classic.Logger) l).setLevel(ch.qos.logback.classic.Level.WARN);
    }
  }

  // ---- traffic ---------------------------------------------------------------------------------

  /** What was sent, so feedback and the questions can refer to it. */
  private static final class Traffic {
    final String runPrefix;
    final List<LabeledTransaction> sent = new ArrayList<>();
    final Map<String, String> decisions = new HashMap<>();
    final Map<String, Double> pFraud = new HashMap<>();
    final Map<String, Boolean> truth = new HashMap<>();
    final Set<String> labelled = new HashSet<>();
    int scored;
    java.time.Instant startedAt;
    java.time.Instant deployedAt;

    Traffic(String runPrefix) {
      this.runPrefix = runPrefix;
    }

    boolean wronglyDeclined(String id) {
      return Boolean.FALSE.equals(truth.get(id)) && labelled.contains(id);
    }

    /**
     * A declined transaction to explain: preferably one the cardholder disputes (declined, but
     * labelled legitimate), the on-call engineer's classic question; else the most confident decline.
     */
    String pickDeclined() {
      String best = null;
      for (LabeledTransaction l : sent) {
        String id = l.transaction().transactionId();
        if (!FraudModel.DECLINE.equals(decisions.get(id))) {
          continue;
        }
        if (wronglyDeclined(id)) {
          return id;
        }
        if (best == null || pFraud.get(id) > pFraud.get(best)) {
          best = id;
        }
      }
      if (best == null) {
        throw new IllegalStateException("no transaction was declined; run the demo with more --transactions");
      }
      return best;
    }
  }

  private Traffic drive(FraudService service, Hindsight hindsight, FraudModel v2) throws Exception {
    // Unique per run, so a second run into the same data folder adds to it instead of colliding.
    String run = Long.toString(System.currentTimeMillis() / 1000, 36);
    Traffic traffic = new Traffic("txn-" + run + "-");
    TransactionGenerator generator = new TransactionGenerator(seed + 3, TransactionGenerator.DEFAULT_FRAUD_RATE, traffic.runPrefix, 1_000);
    // After the deploy the world moves: holiday spending and a fraud ring testing stolen cards.
    TransactionGenerator surge = new TransactionGenerator(seed + 5, SURGE_FRAUD_RATE, traffic.runPrefix + "s", 1_000);
    traffic.startedAt = java.time.Instant.now();
    Random fate = new Random(seed + 4);
    List<LabeledTransaction> soon = new ArrayList<>();
    List<LabeledTransaction> late = new ArrayList<>();
    int never = 0;
    int lateCount = 0;
    int soonCount = 0;
    int half = transactions / 2;
    boolean deployed = false;
    int[] counts = new int[3];
    out.printf("Scoring %,d transactions through POST %s ...%n", transactions, service.scoreUri());
    ExecutorService clients = Executors.newFixedThreadPool(4);
    try {
      int done = 0;
      while (done < transactions) {
        int n = Math.min(BATCH, (deployed ? transactions : half) - done);
        List<LabeledTransaction> batch = deployed ? holidaySeason(surge.next(n)) : generator.next(n);
        List<Future<JsonNode>> answers = new ArrayList<>();
        for (LabeledTransaction l : batch) {
          answers.add(clients.submit(() -> score(service.scoreUri(), l)));
        }
        // Ground truth for the previous batch arrives while this one is scored: the quick labels.
        for (LabeledTransaction l : soon) {
          sendFeedback(hindsight, l, "cardholder_confirmed");
          traffic.labelled.add(l.transaction().transactionId());
        }
        soon.clear();
        for (int i = 0; i < batch.size(); i++) {
          LabeledTransaction l = batch.get(i);
          JsonNode answer = answers.get(i).get();
          String id = l.transaction().transactionId();
          String decision = answer.path("decision").asText();
          traffic.sent.add(l);
          traffic.decisions.put(id, decision);
          traffic.pFraud.put(id, answer.path("fraud_probability").asDouble());
          traffic.truth.put(id, l.fraud());
          counts[decision.equals(FraudModel.APPROVE) ? 0 : decision.equals(FraudModel.REVIEW) ? 1 : 2]++;
          double r = fate.nextDouble();
          if (r < 0.55) {
            soon.add(l);
            soonCount++;
          } else if (r < 0.8) {
            late.add(l);
            lateCount++;
          } else {
            never++;
          }
        }
        done += batch.size();
        traffic.scored = done;
        if (done % 1_000 < BATCH || done == transactions || done == half) {
          out.printf(
              "  %,6d scored (%s): %,d approved, %,d to review, %,d declined%n",
              done, service.model().version(), counts[0], counts[1], counts[2]);
        }
        if (!deployed && done >= half) {
          service.deploy(v2, "retrained on " + v2.trainedOn() + " transactions with a deeper tree");
          deployed = true;
          traffic.deployedAt = java.time.Instant.now();
          out.printf("Deployed model %s halfway (a 'deploy' event marks it on the timeline)%n", v2.version());
          out.printf("From now on: holiday spending (amounts x%.1f) and a fraud ring (%.0f %% fraud instead of %.0f %%)%n",
              HOLIDAY_AMOUNT_FACTOR, 100 * SURGE_FRAUD_RATE, 100 * TransactionGenerator.DEFAULT_FRAUD_RATE);
        }
      }
    } finally {
      clients.shutdownNow();
    }
    for (LabeledTransaction l : soon) {
      sendFeedback(hindsight, l, "cardholder_confirmed");
      traffic.labelled.add(l.transaction().transactionId());
    }
    // Chargebacks take weeks: these labels come in after all the traffic.
    for (LabeledTransaction l : late) {
      sendFeedback(hindsight, l, l.fraud() ? "chargeback" : "no_dispute");
      traffic.labelled.add(l.transaction().transactionId());
    }
    out.printf(
        "Ground truth: %,d labels arrived while scoring, %,d arrived later, %,d never will%n", soonCount, lateCount, never);
    return traffic;
  }

  /** The share of fraud after the deploy, and how much more everyone spends. */
  static final double SURGE_FRAUD_RATE = 0.2;

  static final double HOLIDAY_AMOUNT_FACTOR = 1.6;

  private static List<LabeledTransaction> holidaySeason(List<LabeledTransaction> batch) {
    List<LabeledTransaction> out = new ArrayList<>(batch.size());
    for (LabeledTransaction l : batch) {
      io.hindsight.examples.fraud.Transaction t = l.transaction();
      out.add(
          new LabeledTransaction(
              new io.hindsight.examples.fraud.Transaction(
                  t.transactionId(), t.cardId(), Math.round(t.amount() * HOLIDAY_AMOUNT_FACTOR * 100) / 100.0,
                  t.merchantCategory(), t.merchantCountry(), t.cardCountry(), t.channel(), t.hour(), t.cardAgeDays(),
                  t.txnCount24h(), t.distanceFromHomeKm(), t.newDevice(), t.cardAvgAmount(), t.cardStdAmount()),
              l.fraud()));
    }
    return out;
  }

  private JsonNode score(URI uri, LabeledTransaction l) throws IOException, InterruptedException {
    HttpRequest req =
        HttpRequest.newBuilder(uri)
            .timeout(Duration.ofSeconds(10))
            .header("Content-Type", "application/json")
            .header("X-Request-ID", "req-" + l.transaction().transactionId())
            .POST(HttpRequest.BodyPublishers.ofString(l.transaction().toJson()))
            .build();
    HttpResponse<String> resp = http.send(req, HttpResponse.BodyHandlers.ofString());
    if (resp.statusCode() != 200) {
      throw new IOException("the fraud service answered " + resp.statusCode() + ": " + resp.body());
    }
    return json.readTree(resp.body());
  }

  private static void sendFeedback(Hindsight hindsight, LabeledTransaction l, String source) {
    hindsight.feedback(
        l.transaction().transactionId(), Map.of("label", l.fraud() ? "fraud" : "legit", "source", source));
  }

  // ---- monitoring ------------------------------------------------------------------------------

  /**
   * Configures monitoring for the endpoint, with the traffic before the deploy as the reference;
   * puts an alert rule on the share of drifted inputs; then shows the drift, the estimated and the
   * realized quality per version, the alert once it fires, and writes the HTML report.
   */
  private void monitor(String serverUrl, Traffic traffic, FraudModel v2) throws Exception {
    java.time.Instant now = java.time.Instant.now().plusSeconds(1).truncatedTo(java.time.temporal.ChronoUnit.SECONDS);
    java.time.Instant start = traffic.startedAt.truncatedTo(java.time.temporal.ChronoUnit.SECONDS);
    java.time.Instant deploy = traffic.deployedAt;
    ObjectNode config = json.createObjectNode();
    config.put("task", "binary_classification");
    config.put("score", "p_fraud");
    config.put("threshold", v2.threshold());
    config.put("positive_class", "fraud");
    config.put("label", "label");
    config.set("features", json.valueToTree(List.of(
        "amount", "transaction.merchant_category", "transaction.channel", "transaction.hour", "features.amount_zscore",
        "features.log_distance_km", "features.new_device", "features.is_night")));
    config.set("segments", json.valueToTree(List.of("model_version", "tags.segment")));
    config.putObject("reference").put("from", start.toString()).put("to", deploy.toString());
    call(serverUrl, "PUT", "/v1/endpoints/" + ENDPOINT + "/monitoring", config);
    out.printf("== Monitoring: %s, the traffic before the deploy as reference%n", config);

    // The rule's window reaches back to the deploy from its first evaluation, a second after it is
    // put: measured now, not when monitoring began (setting monitoring up takes seconds, and a
    // window measured then would have slid past the deploy's traffic by the first evaluation).
    long seconds = java.time.Duration.between(deploy, java.time.Instant.now()).toSeconds() + 2;
    ObjectNode rule = json.createObjectNode();
    rule.put("endpoint", ENDPOINT);
    rule.put("metric", "drifted_share");
    rule.put("window", "PT" + seconds + "S");
    rule.put("op", ">");
    rule.put("threshold", 0.3);
    rule.put("every", "PT1S");
    rule.putObject("labels").put("severity", "page");
    rule.putObject("annotations").put("summary", "More than 30 % of fraud-model's inputs drifted");
    call(serverUrl, "PUT", "/v1/alerts/rules/input-drift", rule);
    out.printf("== Alert rule 'input-drift': drifted_share over the last %d s > 0.3, evaluated every second%n%n", seconds);

    drift =
        call(serverUrl, "GET", "/v1/endpoints/" + ENDPOINT + "/drift?from=" + deploy + "&to=" + now + "&reference_from="
            + start + "&reference_to=" + deploy, null);
    out.printf("== Drift after the deploy (%,d rows) against before it (%,d rows)%n",
        drift.path("current").path("rows").asLong(), drift.path("reference").path("rows").asLong());
    ObjectNode table = json.createObjectNode();
    var cols = table.putArray("columns");
    for (String c : List.of("feature", "method", "statistic", "p_value", "drifted")) {
      cols.addObject().put("name", c);
    }
    var rows = table.putArray("rows");
    for (JsonNode c : drift.path("columns")) {
      rows.addArray().add(c.path("column").asText()).add(c.path("method").asText()).add(round(c.path("statistic")))
          .add(round(c.path("p_value"))).add(c.path("drifted").asBoolean());
    }
    QueryCommand.printTable(table, out);
    out.printf("%.0f %% of the features drifted; dataset drift: %s%n%n",
        100 * drift.path("drifted_share").asDouble(), drift.path("dataset_drift").asBoolean());

    evaluation =
        call(serverUrl, "GET", "/v1/endpoints/" + ENDPOINT + "/evaluation?from=" + start + "&to=" + now + "&by=model_version", null);
    out.println("== Quality by model version: estimated from the scores alone (CBPE) next to the ground truth that arrived");
    ObjectNode quality = json.createObjectNode();
    var qcols = quality.putArray("columns");
    for (String c : List.of("model_version", "rows", "labeled", "estimated_accuracy", "accuracy", "estimated_roc_auc", "roc_auc")) {
      qcols.addObject().put("name", c);
    }
    var qrows = quality.putArray("rows");
    for (JsonNode g : evaluation.path("groups")) {
      qrows.addArray().add(g.path("group").path("model_version").asText()).add(g.path("rows").asLong())
          .add(g.path("labeled").asLong()).add(round(g.path("estimated").path("accuracy")))
          .add(round(g.path("realized").path("accuracy"))).add(round(g.path("estimated").path("roc_auc")))
          .add(round(g.path("realized").path("roc_auc")));
    }
    QueryCommand.printTable(quality, out);
    out.println();

    long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
    do {
      Thread.sleep(250);
      alert = call(serverUrl, "GET", "/v1/alerts/rules/input-drift", null);
    } while (!alert.path("state").asText().equals("firing") && System.nanoTime() < deadline);
    out.printf("== Alert 'input-drift' is %s: drifted_share = %s since %s%n", alert.path("state").asText(),
        round(alert.path("value")), alert.path("since").asText());
    // The change is an event, in the lake within the flush interval.
    String sql = "SELECT ts, rule, from_state, to_state, value FROM alerts WHERE endpoint = ? ORDER BY ts";
    JsonNode history = query(serverUrl, sql, List.of(ENDPOINT));
    long visibleBy = System.nanoTime() + Duration.ofSeconds(10).toNanos();
    while (history.path("rows").isEmpty() && System.nanoTime() < visibleBy) {
      Thread.sleep(100);
      history = query(serverUrl, sql, List.of(ENDPOINT));
    }
    QueryCommand.printTable(history, out);
    out.println("(every change is a row of the SQL table alerts and an event on the endpoint's timeline)");

    HttpResponse<byte[]> html =
        http.send(
            HttpRequest.newBuilder(URI.create(serverUrl + "/v1/endpoints/" + ENDPOINT + "/report?from=" + start + "&to=" + now))
                .timeout(Duration.ofSeconds(60)).build(),
            HttpResponse.BodyHandlers.ofByteArray());
    report = dataDir.resolve(ENDPOINT + "-report.html").toAbsolutePath().normalize();
    java.nio.file.Files.write(report, html.body());
    out.printf("%n== Report: %s (one HTML file: traffic, drift with both distributions, quality, events)%n%n", report);
  }

  private static JsonNode round(JsonNode v) {
    return v == null || v.isMissingNode() || v.isNull()
        ? com.fasterxml.jackson.databind.node.NullNode.getInstance()
        : com.fasterxml.jackson.databind.node.DoubleNode.valueOf(Math.round(v.asDouble() * 10_000) / 10_000.0);
  }

  private JsonNode call(String serverUrl, String method, String path, JsonNode body) throws Exception {
    HttpRequest.Builder b =
        HttpRequest.newBuilder(URI.create(serverUrl + path))
            .timeout(Duration.ofSeconds(60))
            .header("Content-Type", "application/json")
            .method(method, body == null ? HttpRequest.BodyPublishers.noBody()
                : HttpRequest.BodyPublishers.ofByteArray(json.writeValueAsBytes(body)));
    HttpResponse<String> resp = http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    if (resp.statusCode() != 200) {
      throw new IOException(method + " " + path + " answered " + resp.statusCode() + ": " + resp.body());
    }
    return json.readTree(resp.body());
  }

  // ---- questions -------------------------------------------------------------------------------

  /** Waits (up to 10 s) until every prediction of this run answers a query. */
  private void awaitVisible(String serverUrl, String runPrefix, int expected) throws Exception {
    long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
    while (true) {
      JsonNode r =
          query(serverUrl, "SELECT count(*) FROM predictions WHERE endpoint = ? AND starts_with(prediction_id, ?)",
              List.of(ENDPOINT, runPrefix));
      long n = r.path("rows").path(0).path(0).asLong();
      if (n >= expected || System.nanoTime() > deadline) {
        if (n < expected) {
          out.printf("(only %,d of %,d predictions are queryable yet)%n", n, expected);
        }
        return;
      }
      Thread.sleep(100);
    }
  }

  private void ask(String serverUrl, String question, String sql, List<Object> params, boolean oneRecord)
      throws Exception {
    JsonNode result = query(serverUrl, sql, params);
    answers.add(new Answer(question, sql, params, result));
    out.println("== " + question);
    out.println(inline(sql, params));
    QueryCommand.printTable(oneRecord ? transposed(result) : result, out);
    out.println();
  }

  private JsonNode query(String serverUrl, String sql, List<Object> params) throws Exception {
    ObjectNode body = json.createObjectNode();
    body.put("sql", sql);
    body.set("params", json.valueToTree(params));
    HttpRequest req =
        HttpRequest.newBuilder(URI.create(serverUrl + "/v1/query"))
            .timeout(Duration.ofSeconds(60))
            .header("Content-Type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofByteArray(json.writeValueAsBytes(body)))
            .build();
    HttpResponse<String> resp = http.send(req, HttpResponse.BodyHandlers.ofString());
    if (resp.statusCode() != 200) {
      throw new IOException("query failed with " + resp.statusCode() + ": " + resp.body());
    }
    return json.readTree(resp.body());
  }

  /** The SQL as a user would type it, with the parameters written in. */
  private static String inline(String sql, List<Object> params) {
    StringBuilder sb = new StringBuilder();
    Iterator<Object> it = params.iterator();
    for (char c : sql.toCharArray()) {
      if (c == '?' && it.hasNext()) {
        sb.append('\'').append(String.valueOf(it.next()).replace("'", "''")).append('\'');
      } else {
        sb.append(c);
      }
    }
    return sb.toString();
  }

  /**
   * One record as a two-column table, objects spread out one key a row, so a whole prediction
   * reads top to bottom instead of as one very wide line.
   */
  private JsonNode transposed(JsonNode result) {
    ObjectNode t = json.createObjectNode();
    ArrayNode columns = t.putArray("columns");
    columns.addObject().put("name", "field").put("type", "VARCHAR");
    columns.addObject().put("name", "value").put("type", "VARCHAR");
    ArrayNode rows = t.putArray("rows");
    JsonNode row = result.path("rows").path(0);
    JsonNode cols = result.path("columns");
    for (int i = 0; i < cols.size() && !row.isMissingNode(); i++) {
      String name = cols.get(i).path("name").asText();
      JsonNode v = row.get(i);
      JsonNode parsed = v != null && v.isTextual() ? parseObject(v.asText()) : v;
      if (parsed != null && parsed.isObject()) {
        parsed.fields().forEachRemaining(e -> rows.addArray().add(name + "." + e.getKey()).add(cell(e.getValue())));
      } else {
        rows.addArray().add(name).add(cell(v));
      }
    }
    t.put("truncated", result.path("truncated").asBoolean());
    t.put("elapsed_ms", result.path("elapsed_ms").asLong());
    return t;
  }

  private JsonNode parseObject(String s) {
    if (!s.startsWith("{")) {
      return null;
    }
    try {
      return json.readTree(s);
    } catch (IOException notJson) {
      return null;
    }
  }

  private static String cell(JsonNode v) {
    return v == null || v.isNull() ? "NULL" : v.isTextual() ? v.asText() : v.toString();
  }

  private void explore(String serverUrl, int serverPort) {
    String server = serverPort == DEFAULT_PORT ? "" : " --server " + serverUrl;
    out.println("Explore further:");
    out.printf("  ./hindsight query%s \"SELECT decision, count(*) FROM predictions GROUP BY 1\"%n", server);
    out.printf(
        "  ./hindsight query%s \"SELECT kind, ts, text, data FROM events WHERE endpoint = '%s'\"%n", server, ENDPOINT);
    out.printf("  curl %s/v1/endpoints/%s/predictions/%s%n", serverUrl, ENDPOINT, explainedId);
    out.printf("  curl %s/v1/endpoints/%s/schema%n", serverUrl, ENDPOINT);
    out.printf(
        "  Parquet files for Spark, DuckDB or pandas: %s%n",
        dataDir.toAbsolutePath().normalize().resolve("lake/predictions/endpoint=" + ENDPOINT));
    if (!keepRunning) {
      out.printf(
          "  (the server stops now: rerun with --keep-running, or serve this data with"
              + " ./hindsight serve --data-dir %s)%n",
          dataDir);
    }
  }

  private static void awaitShutdown(HindsightServer server, FraudService service, Hindsight hindsight)
      throws InterruptedException {
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  service.close();
                  hindsight.close(Duration.ofSeconds(5));
                  server.close();
                  stopped.countDown();
                },
                "hindsight-demo-shutdown"));
    stopped.await();
  }
}
