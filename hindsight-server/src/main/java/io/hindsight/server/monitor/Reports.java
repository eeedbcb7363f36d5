package io.hindsight.server.monitor;

import io.hindsight.server.schema.SqlText;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.hindsight.server.ApiException;
import io.hindsight.server.query.QueryEngine;
import java.io.IOException;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Gathers a {@link ReportData}: traffic per hour, drift with both distributions, quality, events. */
public final class Reports {
  /** Bins of a numeric feature's histogram; categories shown of a categorical one. */
  static final int BINS = 20;

  static final int MAX_DISTRIBUTIONS = 30;
  static final int MAX_EVENTS = 200;

  private final Monitor monitor;
  private final MetricStore store;
  private final QueryEngine engine;
  private final MonitoringConfigs configs;
  private final java.time.Clock clock;

  public Reports(Monitor monitor, MetricStore store, MonitoringConfigs configs, java.time.Clock clock) {
    this.monitor = monitor;
    this.store = store;
    this.engine = monitor.engine();
    this.configs = configs;
    this.clock = clock;
  }

  public ReportData gather(String endpoint, Instant from, Instant to, ObjectMapper json) throws IOException {
    MonitoringConfig config = configs.get(endpoint);
    ObjectNode drift = null;
    String driftProblem = null;
    try {
      drift = monitor.drift(endpoint, new Monitor.DriftQuery(from, to, null, null, null, null), json);
    } catch (ApiException e) {
      if (e.status() == 404) {
        throw e;
      }
      driftProblem = e.getMessage();
    }
    List<ObjectNode> evaluations = new ArrayList<>();
    String evaluationProblem = null;
    try {
      evaluations.add(monitor.evaluation(endpoint, new Monitor.EvaluationQuery(from, to, "model_version"), json));
      if (config != null) {
        for (String segment : config.segments()) {
          if (!segment.equals("model_version")) {
            evaluations.add(monitor.evaluation(endpoint, new Monitor.EvaluationQuery(from, to, segment), json));
          }
        }
      }
    } catch (ApiException e) {
      evaluationProblem = e.getMessage();
    }
    List<ReportData.Distribution> distributions = new ArrayList<>();
    if (drift != null) {
      Instant refFrom = Instant.parse(drift.get("reference").get("from").asText());
      Instant refTo = Instant.parse(drift.get("reference").get("to").asText());
      distributions = distributions(endpoint, Slice.all(endpoint, refFrom, refTo), Slice.all(endpoint, from, to));
    }
    return new ReportData(
        endpoint,
        from,
        to,
        clock.instant(),
        config,
        hours(endpoint, from, to),
        drift,
        driftProblem,
        distributions,
        evaluations,
        evaluationProblem,
        quality(endpoint, from, to, config),
        events(endpoint, from, to));
  }

  private List<ReportData.Hour> hours(String endpoint, Instant from, Instant to) {
    List<ReportData.Hour> out = new ArrayList<>();
    String sql =
        "SELECT date_trunc('hour', ts) AS h, count(*) AS n, avg(CASE WHEN status = 'error' THEN 1.0 ELSE 0.0 END) AS e,"
            + " quantile_cont(latency_ms, 0.5) AS p50, quantile_cont(latency_ms, 0.95) AS p95, quantile_cont(latency_ms, 0.99) AS p99"
            + " FROM predictions WHERE " + Slice.all(endpoint, from, to).where() + " GROUP BY h ORDER BY h";
    for (Map<String, Object> r : engine.select(sql)) {
      out.add(
          new ReportData.Hour(
              instant(r.get("h")), ((Number) r.get("n")).longValue(), ((Number) r.get("e")).doubleValue(),
              number(r.get("p50")), number(r.get("p95")), number(r.get("p99"))));
    }
    return out;
  }

  private List<ReportData.Distribution> distributions(String endpoint, Slice reference, Slice current) throws IOException {
    MonitoringConfig config = configs.get(endpoint);
    return engine.inProcess(
        conn -> {
          List<ReportData.Distribution> out = new ArrayList<>();
          for (Features.Feature f : monitor.view(conn, endpoint, config).features()) {
            if (out.size() == MAX_DISTRIBUTIONS) {
              break;
            }
            out.add(f.numeric() ? histogram(conn, f, reference, current) : categories(conn, f, reference, current));
          }
          return out;
        });
  }

  private static ReportData.Distribution histogram(Connection conn, Features.Feature f, Slice reference, Slice current)
      throws SQLException {
    String values =
        "SELECT 0 AS side, " + f.sql() + " AS v FROM predictions WHERE " + reference.where()
            + " UNION ALL SELECT 1 AS side, " + f.sql() + " AS v FROM predictions WHERE " + current.where();
    String sql =
        "WITH x AS (" + values + "), r AS (SELECT quantile_cont(v, 0.01) AS lo, quantile_cont(v, 0.99) AS hi"
            + " FROM x WHERE isfinite(v))"
            + " SELECT side, least(" + (BINS - 1) + ", greatest(0, CAST(floor((v - lo) / CASE WHEN hi > lo THEN hi - lo ELSE 1 END * "
            + BINS + ") AS INTEGER))) AS bin, count(*) AS n, any_value(lo) AS lo, any_value(hi) AS hi"
            + " FROM x, r WHERE isfinite(v) GROUP BY side, bin";
    double[][] counts = new double[2][BINS];
    double lo = 0;
    double hi = 0;
    try (Statement st = conn.createStatement();
        ResultSet rs = st.executeQuery(sql)) {
      while (rs.next()) {
        counts[rs.getInt(1)][rs.getInt(2)] = rs.getLong(3);
        lo = rs.getDouble(4);
        hi = rs.getDouble(5);
      }
    }
    List<String> bins = new ArrayList<>();
    for (int i = 0; i < BINS; i++) {
      bins.add(String.format(java.util.Locale.ROOT, "%.4g", lo + (hi - lo) * i / BINS));
    }
    return new ReportData.Distribution(f.name(), true, bins, shares(counts[0]), shares(counts[1]));
  }

  private static ReportData.Distribution categories(Connection conn, Features.Feature f, Slice reference, Slice current)
      throws SQLException {
    String sql =
        "WITH x AS (SELECT 0 AS side, CAST(" + f.sql() + " AS VARCHAR) AS v FROM predictions WHERE " + reference.where()
            + " UNION ALL SELECT 1 AS side, CAST(" + f.sql() + " AS VARCHAR) AS v FROM predictions WHERE " + current.where() + ")"
            + " SELECT v, count(*) FILTER (WHERE side = 0) AS r, count(*) FILTER (WHERE side = 1) AS c FROM x"
            + " WHERE v IS NOT NULL GROUP BY v ORDER BY r + c DESC, v LIMIT " + BINS;
    List<String> bins = new ArrayList<>();
    List<double[]> rows = new ArrayList<>();
    try (Statement st = conn.createStatement();
        ResultSet rs = st.executeQuery(sql)) {
      while (rs.next()) {
        bins.add(rs.getString(1));
        rows.add(new double[] {rs.getLong(2), rs.getLong(3)});
      }
    }
    double[] r = new double[bins.size()];
    double[] c = new double[bins.size()];
    for (int i = 0; i < bins.size(); i++) {
      r[i] = rows.get(i)[0];
      c[i] = rows.get(i)[1];
    }
    return new ReportData.Distribution(f.name(), false, bins, shares(r), shares(c));
  }

  private static double[] shares(double[] counts) {
    double total = 0;
    for (double c : counts) {
      total += c;
    }
    double[] out = new double[counts.length];
    for (int i = 0; i < counts.length; i++) {
      out[i] = total == 0 ? 0 : counts[i] / total;
    }
    return out;
  }

  /** Realized and estimated quality per hour from the metric store (accuracy, or mae for regression). */
  private List<ReportData.QualityPoint> quality(String endpoint, Instant from, Instant to, MonitoringConfig config)
      throws IOException {
    List<ReportData.QualityPoint> out = new ArrayList<>();
    if (config == null) {
      return out;
    }
    String metric = config.task() == Task.REGRESSION ? "mae" : "accuracy";
    Map<Instant, Double[]> byHour = new LinkedHashMap<>();
    Instant start = from.truncatedTo(ChronoUnit.HOURS);
    for (MetricStore.Point p : store.series(endpoint, metric, null, "", "1h", start, to)) {
      byHour.computeIfAbsent(p.windowStart(), k -> new Double[2])[0] = p.value();
    }
    for (MetricStore.Point p : store.series(endpoint, "estimated_" + metric, null, "", "1h", start, to)) {
      byHour.computeIfAbsent(p.windowStart(), k -> new Double[2])[1] = p.value();
    }
    byHour.entrySet().stream()
        .sorted(Map.Entry.comparingByKey())
        .forEach(e -> out.add(new ReportData.QualityPoint(e.getKey(), metric, e.getValue()[0], e.getValue()[1])));
    return out;
  }

  private List<ReportData.Event> events(String endpoint, Instant from, Instant to) {
    List<ReportData.Event> out = new ArrayList<>();
    String sql =
        "SELECT ts, kind, text FROM events WHERE endpoint = " + SqlText.string(endpoint)
            + " AND ts >= TIMESTAMPTZ '" + from + "' AND ts < TIMESTAMPTZ '" + to + "' ORDER BY ts LIMIT " + MAX_EVENTS;
    for (Map<String, Object> r : engine.select(sql)) {
      out.add(new ReportData.Event(instant(r.get("ts")), String.valueOf(r.get("kind")), r.get("text") == null ? "" : r.get("text").toString()));
    }
    return out;
  }

  private static Double number(Object v) {
    return v == null ? null : ((Number) v).doubleValue();
  }

  static Instant instant(Object v) {
    if (v instanceof OffsetDateTime o) {
      return o.toInstant();
    }
    if (v instanceof java.sql.Timestamp t) {
      return t.toInstant();
    }
    if (v instanceof Instant i) {
      return i;
    }
    return OffsetDateTime.parse(v.toString().replace(' ', 'T')).toInstant();
  }
}
