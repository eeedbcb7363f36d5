package io.hindsight.server.alert;

import io.hindsight.server.ops.Scheduler;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.function.Consumer;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Evaluates the alert rules (DESIGN §11) and tells the notifiers. Each rule runs every {@code every}
 * on the server's {@link Scheduler}: its metric over {@code [now - window, now)} from the {@link
 * MetricSource}, compared with the threshold ({@code no_data} decides an empty window), steps the
 * rule's {@link AlertState} as Prometheus does. Every state change goes to the transition listener;
 * firing and resolution are queued for the rule's notifiers unless the rule is silenced (an
 * evaluation never waits for a receiver). Rules, notifiers and silences survive a restart in
 * JSON files under the engine's folder; evaluation counts are in {@code
 * hindsight_alert_evaluations_total{rule, outcome}}.
 */
public final class AlertEngine implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(AlertEngine.class);

  /**
   * Prometheus's default resend delay: a pushed firing alert stays valid for four times the longer of
   * this and the rule's {@code every}, so two missed evaluations or pushes do not resolve it.
   */
  private static final Duration MIN_RESEND_INTERVAL = Duration.ofMinutes(1);

  private final Scheduler scheduler;
  private final Clock clock;
  private final MetricSource metrics;
  private final Consumer<AlertTransition> transitions;
  private final MeterRegistry registry;
  private final AlertStore store;
  private final AlertPayloads payloads;
  private final Deliveries deliveries;
  private final Map<String, Notifier> notifiers = new ConcurrentSkipListMap<>();
  private final Map<String, ScheduledRule> rules = new ConcurrentSkipListMap<>();
  private final Map<String, Instant> silences = new ConcurrentHashMap<>();

  /** A rule, its alert and its schedule. Its alert is stepped and read under its own lock. */
  private static final class ScheduledRule {
    volatile AlertRule rule;
    final AlertLifecycle alert = new AlertLifecycle();
    Scheduler.Task task;
    /** Whether the notifiers were told it fires, so they are told when it resolves. */
    boolean announced;
    boolean deleted;

    ScheduledRule(AlertRule rule) {
      this.rule = rule;
    }
  }

  /**
   * Loads the rules, notifiers and silences kept in {@code dir} (created when missing) and schedules
   * the rules.
   *
   * @param transitions told of every state change, on the evaluating thread
   * @param registry where the evaluation and delivery counters go
   * @throws IOException when {@code dir} cannot be created or a file in it cannot be read
   */
  public AlertEngine(
      Path dir,
      Scheduler scheduler,
      MetricSource metrics,
      Consumer<AlertTransition> transitions,
      MeterRegistry registry,
      AlertSettings settings)
      throws IOException {
    this.scheduler = scheduler;
    this.clock = scheduler.clock();
    this.metrics = metrics;
    this.transitions = transitions;
    this.registry = registry;
    this.store = new AlertStore(dir);
    this.payloads = new AlertPayloads(settings.externalUrl());
    notifiers.putAll(store.loadNotifiers());
    Map<String, AlertRule> loaded = store.loadRules();
    for (AlertRule rule : loaded.values()) {
      try {
        checkNotifiersExist(rule);
      } catch (IllegalArgumentException e) {
        throw new IOException("cannot load the alert rules in " + dir + ": " + e.getMessage(), e);
      }
    }
    Instant now = clock.instant();
    store.loadSilences().forEach((rule, until) -> {
      if (loaded.containsKey(rule) && until.isAfter(now)) {
        silences.put(rule, until);
      }
    });
    this.deliveries = new Deliveries(scheduler, registry, settings);
    notifiers.keySet().forEach(deliveries::countersFor);
    loaded.values().forEach(rule -> schedule(new ScheduledRule(rule)));
  }

  /**
   * Adds or replaces a rule and (re)schedules it; a replaced rule keeps its alert's state, which its
   * next evaluation re-judges against the new condition.
   *
   * @throws IllegalArgumentException when {@code notify} names a notifier that does not exist
   * @throws IOException when the rules cannot be written (nothing changed then)
   */
  public synchronized RuleStatus putRule(AlertRule rule) throws IOException {
    checkNotifiersExist(rule);
    Map<String, AlertRule> next = currentRules();
    next.put(rule.name(), rule);
    store.saveRules(next.values());
    ScheduledRule scheduled = rules.get(rule.name());
    if (scheduled == null) {
      scheduled = new ScheduledRule(rule);
      schedule(scheduled);
    } else {
      Duration every = scheduled.rule.every();
      scheduled.rule = rule;
      if (!every.equals(rule.every())) {
        scheduled.task.cancel();
        schedule(scheduled);
      }
    }
    return status(scheduled);
  }

  /** A rule with its state, as {@code GET /v1/alerts} shows it. */
  public Optional<RuleStatus> rule(String name) {
    return Optional.ofNullable(rules.get(name)).map(this::status);
  }

  /** Every rule with its state, by name. */
  public List<RuleStatus> rules() {
    return rules.values().stream().map(this::status).toList();
  }

  /**
   * Removes a rule and its silence. A rule that was firing resolves: its notifiers hear so (as
   * they would of any resolved alert) and the history records the change.
   *
   * @return false when there was no such rule
   */
  public synchronized boolean deleteRule(String name) throws IOException {
    if (!rules.containsKey(name)) {
      return false;
    }
    Map<String, AlertRule> next = currentRules();
    next.remove(name);
    store.saveRules(next.values());
    ScheduledRule removed = rules.remove(name);
    removed.task.cancel();
    Instant now = clock.instant();
    AlertTransition resolved = null;
    synchronized (removed) {
      removed.deleted = true;
      if (removed.alert.state() == AlertState.FIRING) {
        Double last = removed.alert.value();
        queueNotices(removed, removed.rule, AlertState.FIRING, AlertState.INACTIVE, last, now, "the rule was deleted");
        resolved = AlertTransition.of(removed.rule, AlertState.FIRING, AlertState.INACTIVE, last, now);
      }
    }
    if (silences.remove(name) != null) {
      store.saveSilences(silences);
    }
    if (resolved != null) {
      transitions.accept(resolved);
    }
    return true;
  }

  /** Adds or replaces a notifier; rules naming it use the new one from their next notification. */
  public synchronized Notifier putNotifier(Notifier notifier) throws IOException {
    Map<String, Notifier> next = new TreeMap<>(notifiers);
    next.put(notifier.name(), notifier);
    store.saveNotifiers(next.values());
    notifiers.put(notifier.name(), notifier);
    deliveries.countersFor(notifier.name());
    return notifier;
  }

  public Optional<Notifier> notifier(String name) {
    return Optional.ofNullable(notifiers.get(name));
  }

  /** Every notifier, by name. */
  public List<Notifier> notifiers() {
    return List.copyOf(notifiers.values());
  }

  /**
   * Removes a notifier no rule uses.
   *
   * @return false when there was no such notifier
   * @throws IllegalArgumentException when rules still notify it
   */
  public synchronized boolean deleteNotifier(String name) throws IOException {
    if (!notifiers.containsKey(name)) {
      return false;
    }
    List<String> users =
        rules.values().stream().map(r -> r.rule).filter(r -> r.notifierNames().contains(name)).map(AlertRule::name).toList();
    if (!users.isEmpty()) {
      throw new IllegalArgumentException(
          "notifier '" + name + "' is used by alert rules " + users + "; remove it from their notify first");
    }
    Map<String, Notifier> next = new TreeMap<>(notifiers);
    next.remove(name);
    store.saveNotifiers(next.values());
    notifiers.remove(name);
    return true;
  }

  /**
   * Mutes a rule's notifications until {@code until}; its state is still tracked. A rule still firing
   * when its silence ends is announced at its next evaluation. A new silence replaces the old one.
   *
   * @throws IllegalArgumentException when there is no such rule or {@code until} is not in the future
   */
  public synchronized Silence silence(String rule, Instant until) throws IOException {
    if (!rules.containsKey(rule)) {
      throw new IllegalArgumentException("no alert rule named '" + rule + "' to silence");
    }
    Instant now = clock.instant();
    if (!until.isAfter(now)) {
      throw new IllegalArgumentException(
          "a silence of '" + rule + "' must end in the future; until " + until + " is not after " + now);
    }
    Map<String, Instant> next = new TreeMap<>(silences);
    next.put(rule, until);
    store.saveSilences(next);
    silences.put(rule, until);
    return new Silence(rule, until);
  }

  /** The silences in force now, by rule; ended ones are forgotten. */
  public List<Silence> silences() {
    Instant now = clock.instant();
    silences.values().removeIf(until -> !until.isAfter(now));
    return new TreeMap<>(silences).entrySet().stream().map(e -> new Silence(e.getKey(), e.getValue())).toList();
  }

  private void checkNotifiersExist(AlertRule rule) {
    for (String name : rule.notifierNames()) {
      if (!notifiers.containsKey(name)) {
        throw new IllegalArgumentException(
            "alert rule '" + rule.name() + "': notify names unknown notifier '" + name + "'; known notifiers: "
                + notifiers.keySet() + " (create it first)");
      }
    }
  }

  private Map<String, AlertRule> currentRules() {
    return rules.values().stream()
        .map(r -> r.rule)
        .collect(Collectors.toMap(AlertRule::name, r -> r, (a, b) -> a, TreeMap::new));
  }

  private void schedule(ScheduledRule scheduled) {
    rules.put(scheduled.rule.name(), scheduled);
    evaluationCounter(scheduled.rule, "ok");
    evaluationCounter(scheduled.rule, "error");
    scheduled.task = scheduler.every("alert-rule-" + scheduled.rule.name(), scheduled.rule.every(), () -> evaluate(scheduled));
  }

  private RuleStatus status(ScheduledRule scheduled) {
    synchronized (scheduled) {
      return scheduled.alert.status(scheduled.rule, silencedUntil(scheduled.rule.name(), clock.instant()));
    }
  }

  private Instant silencedUntil(String rule, Instant now) {
    Instant until = silences.get(rule);
    return until != null && until.isAfter(now) ? until : null;
  }

  /** One evaluation of a rule: its metric, its condition, its alert's next state, its notices. */
  private void evaluate(ScheduledRule scheduled) {
    AlertRule rule = scheduled.rule;
    Instant now = clock.instant();
    OptionalDouble metric;
    try {
      metric = metrics.value(rule, now.minus(rule.window()), now);
    } catch (Exception e) {
      synchronized (scheduled) {
        scheduled.alert.failed(now, e.getMessage() == null ? e.toString() : e.getMessage());
      }
      countEvaluation(rule, "error");
      log.warn("Alert rule '{}' could not read {} of {}: {}", rule.name(), rule.metric(), rule.endpoint(), e.toString());
      return;
    }
    countEvaluation(rule, "ok");
    // A metric that is not a number (precision without positives) says as little as an empty window.
    Double value = metric.isPresent() && !Double.isNaN(metric.getAsDouble()) ? metric.getAsDouble() : null;
    boolean condition = value == null ? rule.noData() == AlertRule.NoData.ALERT : rule.op().holds(value, rule.threshold());
    AlertTransition transition = null;
    synchronized (scheduled) {
      if (scheduled.deleted) {
        return;
      }
      AlertState from = scheduled.alert.observe(condition, value, now, rule.forDuration(), rule.keepFiringFor());
      AlertState to = scheduled.alert.state();
      if (from != to) {
        transition = AlertTransition.of(rule, from, to, value, now);
      }
      queueNotices(scheduled, rule, from, to, value, now);
    }
    if (transition != null) {
      try {
        transitions.accept(transition);
      } catch (RuntimeException e) {
        log.error("Recording the alert state change {} failed", transition, e);
      }
    }
  }

  /**
   * Webhooks hear of an alert when it fires and when it resolves; an Alertmanager gets it pushed at
   * every evaluation while it fires and once when it resolves, as Prometheus does.
   */
  private void queueNotices(ScheduledRule scheduled, AlertRule rule, AlertState from, AlertState to, Double value, Instant now) {
    queueNotices(scheduled, rule, from, to, value, now, null);
  }

  /** @param reason why a firing alert resolved when not by its metric, else null */
  private void queueNotices(
      ScheduledRule scheduled, AlertRule rule, AlertState from, AlertState to, Double value, Instant now, String reason) {
    boolean muted = silencedUntil(rule.name(), now) != null;
    Instant validUntil = now.plus(max(rule.every(), MIN_RESEND_INTERVAL).multipliedBy(4));
    if (to == AlertState.FIRING) {
      if (muted) {
        return;
      }
      Notice firing = new Notice(rule, false, value, scheduled.alert.firedAt(), now, null);
      for (Notifier notifier : notifiersOf(rule)) {
        if (notifier.type() == Notifier.Type.ALERTMANAGER || !scheduled.announced) {
          send(notifier, firing, validUntil);
        }
      }
      scheduled.announced = true;
    } else if (from == AlertState.FIRING) {
      if (scheduled.announced && !muted) {
        Notice resolved = new Notice(rule, true, value, scheduled.alert.firedAt(), now, reason);
        notifiersOf(rule).forEach(n -> send(n, resolved, validUntil));
      }
      scheduled.announced = false;
    }
  }

  private List<Notifier> notifiersOf(AlertRule rule) {
    List<Notifier> list = new ArrayList<>();
    for (String name : rule.notifierNames()) {
      Notifier n = notifiers.get(name);
      if (n != null) {
        list.add(n);
      }
    }
    return list;
  }

  private void send(Notifier notifier, Notice notice, Instant validUntil) {
    // A newer push of an alert to an Alertmanager makes a queued older one pointless.
    String replaceKey = notifier.type() == Notifier.Type.ALERTMANAGER ? notifier.name() + "\n" + notice.rule().name() : null;
    deliveries.submit(notifier.name(), notifier.target(), payloads.body(notifier, notice, validUntil), replaceKey);
  }

  private void countEvaluation(AlertRule rule, String outcome) {
    evaluationCounter(rule, outcome).increment();
  }

  /** Registered when a rule is scheduled, so its counters exist at 0 from the start. */
  private Counter evaluationCounter(AlertRule rule, String outcome) {
    return Counter.builder("hindsight_alert_evaluations")
        .description("Alert rule evaluations by rule and outcome (ok, error: the metric could not be read)")
        .tag("rule", rule.name())
        .tag("outcome", outcome)
        .register(registry);
  }

  private static Duration max(Duration a, Duration b) {
    return a.compareTo(b) >= 0 ? a : b;
  }

  /**
   * Where alerts link back to (a server on port 0 knows its address only once it listens);
   * the address given at construction until then.
   */
  public void externalUrl(java.net.URI url) {
    payloads.linkTo(url);
  }

  /** Stops the evaluations and the deliveries; queued notifications are not sent. */
  @Override
  public synchronized void close() {
    rules.values().forEach(r -> r.task.cancel());
    deliveries.close();
  }
}
