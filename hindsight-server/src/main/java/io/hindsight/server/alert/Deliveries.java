package io.hindsight.server.alert;

import io.hindsight.server.ops.Scheduler;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The notifications on their way out: evaluations queue them and return at once; a task of its own
 * on the scheduler posts the due ones and retries failures (non-2xx, refused connection, timeout)
 * with exponential backoff on the scheduler's clock, a bounded number of times. Each attempt is
 * counted in {@code hindsight_alert_deliveries_total{notifier, outcome}}: {@code sent}, {@code
 * failed} (an attempt that failed), {@code abandoned} (no attempts left), {@code dropped} (queue
 * full).
 */
final class Deliveries implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(Deliveries.class);

  private static final class Delivery {
    final String notifier;
    final URI target;
    final byte[] body;
    final String replaceKey;
    final Instant queuedAt;
    Instant due;
    int attempts;

    Delivery(String notifier, URI target, byte[] body, String replaceKey, Instant queuedAt) {
      this.notifier = notifier;
      this.target = target;
      this.body = body;
      this.replaceKey = replaceKey;
      this.queuedAt = queuedAt;
      this.due = queuedAt;
    }
  }

  private final Clock clock;
  private final MeterRegistry registry;
  private final AlertSettings settings;
  private final HttpClient http;
  private final List<Delivery> queue = new ArrayList<>();
  private final Scheduler.Task pump;

  Deliveries(Scheduler scheduler, MeterRegistry registry, AlertSettings settings) {
    this.clock = scheduler.clock();
    this.registry = registry;
    this.settings = settings;
    this.http =
        HttpClient.newBuilder()
            .connectTimeout(settings.connectTimeout())
            .followRedirects(HttpClient.Redirect.NEVER)
            .build();
    this.pump = scheduler.every("alert-deliveries", settings.deliveryPeriod(), this::deliverDue);
  }

  /**
   * Queues a JSON post to {@code target}; it goes out at the next run of the delivery task. A post
   * queued earlier with the same non-null {@code replaceKey} is replaced: only the newest state of an
   * alert is worth sending.
   */
  synchronized void submit(String notifier, URI target, byte[] body, String replaceKey) {
    Delivery delivery = new Delivery(notifier, target, body, replaceKey, clock.instant());
    if (replaceKey != null) {
      for (int i = 0; i < queue.size(); i++) {
        if (replaceKey.equals(queue.get(i).replaceKey)) {
          queue.set(i, delivery);
          return;
        }
      }
    }
    if (queue.size() >= settings.maxQueuedDeliveries()) {
      count(notifier, "dropped");
      log.warn(
          "Alert notification to '{}' dropped: {} notifications already wait for delivery (the limit)",
          notifier, queue.size());
      return;
    }
    queue.add(delivery);
  }

  /** Posts every due notification, one after the other, and queues the failed ones for a retry. */
  void deliverDue() {
    List<Delivery> due = new ArrayList<>();
    synchronized (this) {
      Instant now = clock.instant();
      queue.removeIf(d -> !d.due.isAfter(now) && due.add(d));
    }
    for (Delivery d : due) {
      String failure = post(d);
      if (failure == null) {
        count(d.notifier, "sent");
      } else {
        count(d.notifier, "failed");
        retryOrGiveUp(d, failure);
      }
    }
  }

  private synchronized void retryOrGiveUp(Delivery d, String failure) {
    d.attempts++;
    Instant now = clock.instant();
    boolean superseded =
        d.replaceKey != null && queue.stream().anyMatch(q -> d.replaceKey.equals(q.replaceKey));
    if (superseded) {
      return;
    }
    if (d.attempts >= settings.maxAttempts()
        || !now.isBefore(d.queuedAt.plus(settings.giveUpAfter()))) {
      count(d.notifier, "abandoned");
      log.warn("Alert notification to '{}' given up after {} attempts: {}", d.notifier, d.attempts, failure);
      return;
    }
    Duration backoff = settings.firstRetryAfter().multipliedBy(1L << Math.min(d.attempts - 1, 20));
    d.due = now.plus(backoff);
    queue.add(d);
    log.warn(
        "Alert notification to '{}' failed (attempt {} of {}), retried in {}: {}",
        d.notifier, d.attempts, settings.maxAttempts(), backoff, failure);
  }

  /** Posts one notification; returns why it failed, or null when the receiver took it (2xx). */
  private String post(Delivery d) {
    HttpRequest request =
        HttpRequest.newBuilder(d.target)
            .timeout(settings.requestTimeout())
            .header("Content-Type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofByteArray(d.body))
            .build();
    try {
      HttpResponse<Void> response = http.send(request, HttpResponse.BodyHandlers.discarding());
      int status = response.statusCode();
      return status / 100 == 2 ? null : "HTTP " + status + " from " + d.target;
    } catch (IOException e) {
      return Objects.toString(e.getMessage(), e.getClass().getSimpleName()) + " (" + d.target + ")";
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return "interrupted while the server stops";
    }
  }

  private static final List<String> OUTCOMES = List.of("sent", "failed", "abandoned", "dropped");

  /** Makes a notifier's counters exist at 0, so a rate over them is 0 rather than absent. */
  void countersFor(String notifier) {
    OUTCOMES.forEach(outcome -> counter(notifier, outcome));
  }

  private void count(String notifier, String outcome) {
    counter(notifier, outcome).increment();
  }

  private Counter counter(String notifier, String outcome) {
    return Counter.builder("hindsight_alert_deliveries")
        .description("Alert notifications by notifier and outcome (sent, failed attempt, abandoned, dropped)")
        .tag("notifier", notifier)
        .tag("outcome", outcome)
        .register(registry);
  }

  /** Notifications waiting to be sent or retried. */
  synchronized int queued() {
    return queue.size();
  }

  @Override
  public void close() {
    pump.cancel();
  }
}
