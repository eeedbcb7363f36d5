package io.hindsight.server.alert;

import io.hindsight.server.monitor.MetricNames;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Duration;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Pattern;

/**
 * An alert rule (DESIGN §11): every {@code every}, compare {@code metric} of {@code endpoint} over
 * the last {@code window} with {@code threshold}; a condition true for {@code forDuration} fires and
 * tells the notifiers named in {@code notify} ({@link #notifierNames}).
 *
 * @param name the rule's name, also the {@code alertname} label
 * @param column the feature a per-column metric is about; null for the endpoint's metrics
 * @param segment {@code ""} for all rows, else {@code model_version=v2} or {@code tags.segment=high_value}
 * @param noData what a window without rows means: {@code ok} (condition false) or {@code alert} (true)
 */
public record AlertRule(
    String name,
    String endpoint,
    String metric,
    String column,
    String segment,
    Duration window,
    Comparison op,
    double threshold,
    Duration forDuration,
    Duration keepFiringFor,
    Duration every,
    NoData noData,
    Map<String, String> labels,
    Map<String, String> annotations,
    List<String> notifierNames) {

  /** What a window without rows means for the condition. */
  public enum NoData {
    OK,
    ALERT;

    String jsonName() {
      return name().toLowerCase(Locale.ROOT);
    }
  }

  /** Rule and notifier names: they appear in URLs and as the {@code alertname} label. */
  private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_.-]{0,127}");

  /** Endpoint names (DESIGN §2). */
  private static final Pattern ENDPOINT = Pattern.compile("[a-z0-9][a-z0-9_-]{0,63}");

  /** Labels the engine sets itself on every alert. */
  static final Set<String> RESERVED_LABELS = Set.of("alertname", "endpoint");

  private static final Set<String> FIELDS =
      Set.of(
          "endpoint", "metric", "column", "segment", "window", "op", "threshold", "for", "keep_firing_for",
          "every", "no_data", "labels", "annotations", "notify");

  static final Duration DEFAULT_WINDOW = Duration.ofHours(1);
  static final Duration DEFAULT_EVERY = Duration.ofMinutes(1);
  static final Duration MIN_EVERY = Duration.ofSeconds(1);

  public AlertRule {
    labels = Collections.unmodifiableMap(new TreeMap<>(labels));
    annotations = Collections.unmodifiableMap(new TreeMap<>(annotations));
    notifierNames = List.copyOf(notifierNames);
  }

  /**
   * Reads a rule as written in {@code PUT /v1/alerts/rules/{name}} or the config file's {@code
   * alerts.rules}, with the defaults of DESIGN §11 (window PT1H, for PT0S, keep_firing_for PT0S,
   * every PT1M, no_data ok, segment ''). Whether the notifiers exist is the engine's check.
   *
   * @throws IllegalArgumentException naming the field that is wrong and what it must be
   */
  public static AlertRule fromJson(String name, JsonNode json) {
    checkName("rule", name);
    JsonFields f = new JsonFields("alert rule '" + name + "'", json, FIELDS);
    String endpoint = f.requiredText("endpoint");
    if (!ENDPOINT.matcher(endpoint).matches()) {
      throw new IllegalArgumentException(
          "alert rule '" + name + "': endpoint '" + endpoint + "' is not an endpoint name (" + ENDPOINT.pattern() + ")");
    }
    String metric = f.requiredText("metric");
    String column = f.optionalText("column", null);
    checkMetric(name, metric, column);
    String segment = f.optionalText("segment", "");
    if (!segment.isEmpty() && segment.indexOf('=') < 1) {
      throw new IllegalArgumentException(
          "alert rule '" + name + "': segment must be '' (all rows) or column=value such as"
              + " model_version=v2 or tags.segment=high_value, got '" + segment + "'");
    }
    Duration window = f.duration("window", DEFAULT_WINDOW, Duration.ofSeconds(1));
    Comparison op = Comparison.ofSymbolIn("alert rule '" + name + "'", f.requiredText("op"));
    double threshold = f.requiredNumber("threshold");
    Duration forDuration = f.duration("for", Duration.ZERO, Duration.ZERO);
    Duration keepFiringFor = f.duration("keep_firing_for", Duration.ZERO, Duration.ZERO);
    Duration every = f.duration("every", DEFAULT_EVERY, MIN_EVERY);
    String noData = f.optionalText("no_data", "ok");
    if (!noData.equals("ok") && !noData.equals("alert")) {
      throw new IllegalArgumentException(
          "alert rule '" + name + "': no_data must be 'ok' or 'alert', got '" + noData + "'");
    }
    Map<String, String> labels = f.labelMap("labels");
    for (String reserved : RESERVED_LABELS) {
      if (labels.containsKey(reserved)) {
        throw new IllegalArgumentException(
            "alert rule '" + name + "': labels may not set '" + reserved + "'; the rule sets it itself");
      }
    }
    return new AlertRule(
        name, endpoint, metric, column, segment, window, op, threshold, forDuration, keepFiringFor, every,
        NoData.valueOf(noData.toUpperCase(Locale.ROOT)), labels, f.labelMap("annotations"),
        f.textList("notify"));
  }

  private static void checkMetric(String name, String metric, String column) {
    if (!MetricNames.known(metric)) {
      throw new IllegalArgumentException(
          "alert rule '" + name + "': unknown metric '" + metric + "'; metrics are those of the metric"
              + " store (volume, error_rate, latency_p95, missing_share, drift, drifted_share, accuracy,"
              + " estimated_accuracy, ...)");
    }
    boolean perColumn = MetricNames.perColumn(metric);
    if (perColumn && (column == null || column.isEmpty())) {
      throw new IllegalArgumentException(
          "alert rule '" + name + "': metric '" + metric + "' is computed per column; set 'column' to a"
              + " feature such as \"amount\"");
    }
    if (!perColumn && column != null) {
      throw new IllegalArgumentException(
          "alert rule '" + name + "': metric '" + metric + "' is not per column; leave 'column' null");
    }
  }

  /** Checks a rule or notifier name. */
  static void checkName(String kind, String name) {
    if (name == null || !NAME.matcher(name).matches()) {
      throw new IllegalArgumentException(
          kind + " name '" + name + "' must match " + NAME.pattern() + " (letters, digits, _ . -)");
    }
  }

  /** The rule in the shape {@link #fromJson} reads (without its name), every default written out. */
  public ObjectNode toJson() {
    ObjectNode json = JsonNodeFactory.instance.objectNode();
    json.put("endpoint", endpoint);
    json.put("metric", metric);
    json.put("column", column);
    json.put("segment", segment);
    json.put("window", window.toString());
    json.put("op", op.symbol());
    json.put("threshold", threshold);
    json.put("for", forDuration.toString());
    json.put("keep_firing_for", keepFiringFor.toString());
    json.put("every", every.toString());
    json.put("no_data", noData.jsonName());
    labels.forEach(json.putObject("labels")::put);
    annotations.forEach(json.putObject("annotations")::put);
    notifierNames.forEach(json.putArray("notify")::add);
    return json;
  }
}
