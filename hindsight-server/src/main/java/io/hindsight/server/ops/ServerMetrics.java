package io.hindsight.server.ops;

import io.hindsight.server.schema.Table;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.binder.jvm.ClassLoaderMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.FileDescriptorMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Timer;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Supplier;

/** The server's metrics, exposed at {@code GET /metrics} in Prometheus text format. */
public final class ServerMetrics {
  private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
  private final Health health = new Health();

  public ServerMetrics() {
    gauge("hindsight_health_problems", "Problems GET /health reports now (0: ok)", () -> health.problems().size());
    // Counters without tags exist from the start, so rate() over them is 0, not absent.
    registry.counter("hindsight_idempotent_replays");
    registry.counter("hindsight_backpressure_refusals");
    registry.counter("hindsight_storage_failures");
    queriesKilled();
    // What operators expect of any JVM service, under the names Micrometer gives them everywhere.
    new ClassLoaderMetrics().bindTo(registry);
    new JvmMemoryMetrics().bindTo(registry);
    new JvmGcMetrics().bindTo(registry);
    new JvmThreadMetrics().bindTo(registry);
    new ProcessorMetrics().bindTo(registry);
    new UptimeMetrics().bindTo(registry);
    new FileDescriptorMetrics().bindTo(registry);
  }

  /** The checks behind {@code GET /health}; parts of the server add theirs. */
  public Health health() {
    return health;
  }

  public PrometheusMeterRegistry registry() {
    return registry;
  }

  /** Records acknowledged (durable), with the time spent waiting for the log's fsync. */
  public void acked(Table table, String endpoint, int records, long ackNanos) {
    Counter.builder("hindsight_records_accepted")
        .description("Records accepted and durable")
        .tag("table", table.dirName())
        .tag("endpoint", endpoint)
        .register(registry)
        .increment(records);
    ackTimer().record(ackNanos, TimeUnit.NANOSECONDS);
  }

  private Timer ackTimer() {
    return Timer.builder("hindsight_ack_latency")
        .description("Time from handing records to the log to their fsync")
        .publishPercentiles(0.5, 0.99)
        .publishPercentileHistogram()
        .minimumExpectedValue(Duration.ofMillis(1))
        .maximumExpectedValue(Duration.ofSeconds(10))
        .register(registry);
  }

  public void rejected(Table table, String reason) {
    Counter.builder("hindsight_records_rejected")
        .description("Records rejected, by reason")
        .tag("table", table.dirName())
        .tag("reason", reason == null ? "unknown" : reason)
        .register(registry)
        .increment();
  }

  public void conflict(Table table, String endpoint) {
    Counter.builder("hindsight_schema_conflicts")
        .description("Values kept in _conflicts because their type contradicted the schema")
        .tag("table", table.dirName())
        .tag("endpoint", endpoint)
        .register(registry)
        .increment();
  }

  public void requestRefused(int status) {
    Counter.builder("hindsight_requests_refused")
        .description("Requests answered with an error status")
        .tag("status", Integer.toString(status))
        .register(registry)
        .increment();
  }

  /**
   * A request stopped by one of the guards that keep hostile clients from hurting the server
   * (deadlines, route access, idempotency scope, fail-closed keys, body limits), by guard.
   */
  public void guardHit(String guard) {
    Counter.builder("hindsight_guard_refusals")
        .description("Requests stopped by a guard against hostile or broken clients, by guard")
        .tag("guard", guard)
        .register(registry)
        .increment();
  }

  public void idempotentReplay() {
    registry.counter("hindsight_idempotent_replays").increment();
  }

  public void backpressure() {
    registry.counter("hindsight_backpressure_refusals").increment();
  }

  public void storageFailure() {
    registry.counter("hindsight_storage_failures").increment();
  }

  /** A query stopped at query.timeout by killing its worker process. */
  public void queryKilled() {
    queriesKilled().increment();
  }

  private Counter queriesKilled() {
    return Counter.builder("hindsight_queries_killed")
        .description("Queries stopped at query.timeout by killing their worker process")
        .register(registry);
  }

  public Timer queryTimer() {
    return Timer.builder("hindsight_query_latency")
        .description("Time to run a query and send its result")
        .publishPercentiles(0.5, 0.99)
        .publishPercentileHistogram()
        .minimumExpectedValue(Duration.ofMillis(1))
        .maximumExpectedValue(Duration.ofSeconds(60))
        .register(registry);
  }

  /** A value that goes up and down (a backlog, a size). */
  public void gauge(String name, String description, Supplier<Number> value) {
    Gauge.builder(name, value).description(description).register(registry);
  }

  /**
   * A count since start kept by the part of the server that does the counting; shown as
   * {@code <name>_total}, so {@code rate()} and {@code increase()} treat it right.
   */
  public void counter(String name, String description, Supplier<Number> count) {
    // A function counter holds its object weakly: without this reference the supplier (often a
    // method reference made on the spot) is collected and the counter freezes.
    counted.add(count);
    FunctionCounter.builder(name, count, c -> c.get().doubleValue()).description(description).register(registry);
  }

  /** A count since start with one label, e.g. one part of a job's time; see {@link #counter(String, String, Supplier)}. */
  public void counter(String name, String description, String label, String value, Supplier<Number> count) {
    counted.add(count);
    FunctionCounter.builder(name, count, c -> c.get().doubleValue()).description(description).tag(label, value).register(registry);
  }

  private final List<Supplier<Number>> counted = new CopyOnWriteArrayList<>();

  public String scrape() {
    return registry.scrape();
  }
}
