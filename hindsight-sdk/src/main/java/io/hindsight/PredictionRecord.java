package io.hindsight;

import java.time.Instant;
import java.util.Collections;
import java.util.Locale;
import java.util.Map;

/**
 * A read-only view of a finished prediction: what always-keep predicates decide on and what a
 * {@link LocalContext} collects. Values appear as logged after validation and PII policies
 * (numbers as {@link Long} or {@link Double}, arrays as lists, dropped PII keys absent).
 */
public final class PredictionRecord {
  private final String predictionId;
  private final long tsMicros;
  private final String modelVersion;
  private final String requestId;
  private final Map<String, String> tags;
  private final double latencyMs;
  private final boolean failed;
  private final String error;
  private final double sampleRate;
  private final Map<String, Object> data;

  PredictionRecord(Prediction p) {
    this.predictionId = p.id;
    this.tsMicros = p.tsMicros;
    this.modelVersion = p.modelVersion;
    this.requestId = p.requestId;
    this.tags = Collections.unmodifiableMap(p.tagsView());
    this.latencyMs = p.latencyMs;
    this.failed = p.failed;
    this.error = p.error;
    this.sampleRate = p.sampleRate;
    this.data = Collections.unmodifiableMap(p.dataView());
  }

  public String predictionId() {
    return predictionId;
  }

  /** The event time (microsecond precision). */
  public Instant timestamp() {
    return Instant.ofEpochSecond(Math.floorDiv(tsMicros, 1_000_000L), Math.floorMod(tsMicros, 1_000_000L) * 1_000L);
  }

  public String modelVersion() {
    return modelVersion;
  }

  /** The correlation id, or null. */
  public String requestId() {
    return requestId;
  }

  public Map<String, String> tags() {
    return tags;
  }

  public double latencyMs() {
    return latencyMs;
  }

  /** {@code "ok"} or {@code "error"}. */
  public String status() {
    return failed ? "error" : "ok";
  }

  public boolean isError() {
    return failed;
  }

  /** The error message when {@link #status()} is {@code error}, else null. */
  public String error() {
    return error;
  }

  /** Probability that this record was kept (1.0 unless sampled). */
  public double sampleRate() {
    return sampleRate;
  }

  /** The logged keys in logging order. */
  public Map<String, Object> data() {
    return data;
  }

  /** The value of a key, matched case-insensitively as the server does; null when absent. */
  public Object get(String key) {
    Object v = data.get(key);
    if (v != null || data.containsKey(key)) {
      return v;
    }
    String lower = key.toLowerCase(Locale.ROOT);
    for (Map.Entry<String, Object> e : data.entrySet()) {
      if (e.getKey().toLowerCase(Locale.ROOT).equals(lower)) {
        return e.getValue();
      }
    }
    return null;
  }

  /** The numeric value of a key, or {@link Double#NaN} when it is absent or not a number. */
  public double getDouble(String key) {
    Object v = get(key);
    return v instanceof Number ? ((Number) v).doubleValue() : Double.NaN;
  }

  @Override
  public String toString() {
    return "PredictionRecord{id=" + predictionId + ", status=" + status() + ", data=" + data + "}";
  }
}
