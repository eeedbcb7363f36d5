package io.hindsight.server.monitor;

import io.hindsight.server.schema.SqlText;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;

/**
 * The figures of a window that need no reference and no model task (DESIGN §10): volume, error
 * rate, latency percentiles, feedback and labels, and per feature missing share, conflicts,
 * mean, std, min, max, median and distinct count — for all rows and per value of every segment,
 * in one scan of the window (GROUPING SETS).
 */
final class BaseMetrics {
  private BaseMetrics() {}

  /**
   * @param label the feedback key holding the truth, or null
   * @param labelReadable whether the feedback view has that key yet
   */
  static List<MetricValue> compute(
      Connection conn,
      Slice window,
      List<SegmentColumn> segments,
      List<Features.Feature> features,
      String label,
      boolean labelReadable)
      throws SQLException {
    StringBuilder inner =
        new StringBuilder("SELECT p.status, p.latency_ms, f.feedback_n, f.label_value");
    for (int i = 0; i < segments.size(); i++) {
      inner.append(", CAST(").append(segments.get(i).sql()).append(" AS VARCHAR) AS s").append(i);
    }
    for (int i = 0; i < features.size(); i++) {
      Features.Feature f = features.get(i);
      inner.append(", ").append(f.sql()).append(" AS f").append(i);
      inner.append(", ").append(conflictOf(f)).append(" AS c").append(i);
    }
    inner.append(LabeledRows.withFeedback(window.endpoint(), labelReadable ? label : null))
        .append(" WHERE ").append(window.where("p"));
    StringBuilder select = new StringBuilder("SELECT ");
    List<String> sets = new ArrayList<>();
    sets.add("()");
    for (int i = 0; i < segments.size(); i++) {
      select.append("GROUPING(s").append(i).append(") AS g").append(i).append(", s").append(i).append(", ");
      sets.add("(s" + i + ")");
    }
    select.append(
        "count(*) AS volume, avg(CASE WHEN status = 'error' THEN 1.0 ELSE 0.0 END) AS error_rate,"
            + " count(latency_ms) AS latency_n, quantile_cont(latency_ms, [0.5, 0.95, 0.99]) AS latency_q,"
            + " coalesce(sum(feedback_n), 0) AS feedback_count, count(label_value) AS labeled");
    for (int i = 0; i < features.size(); i++) {
      String f = "f" + i;
      select.append(", count(").append(f).append(") AS n").append(i);
      select.append(", count_if(c").append(i).append(") AS conflicts").append(i);
      select.append(", approx_count_distinct(").append(f).append(") AS distinct").append(i);
      if (features.get(i).numeric()) {
        select.append(", avg(").append(f).append(") AS mean").append(i);
        select.append(", stddev_pop(").append(f).append(") AS std").append(i);
        select.append(", min(").append(f).append(") AS min").append(i);
        select.append(", max(").append(f).append(") AS max").append(i);
        select.append(", quantile_cont(").append(f).append(", 0.5) AS p50_").append(i);
      }
    }
    select.append(" FROM (").append(inner).append(")");
    if (!segments.isEmpty()) {
      select.append(" GROUP BY GROUPING SETS (").append(String.join(", ", sets)).append(")");
    }
    List<MetricValue> out = new ArrayList<>();
    try (Statement st = conn.createStatement();
        ResultSet rs = st.executeQuery(select.toString())) {
      while (rs.next()) {
        String segment = segmentOf(rs, segments);
        long volume = rs.getLong("volume");
        if (volume == 0) {
          continue;
        }
        out.add(new MetricValue("volume", null, segment, volume, volume));
        out.add(new MetricValue("error_rate", null, segment, rs.getDouble("error_rate"), volume));
        long latencyN = rs.getLong("latency_n");
        if (latencyN > 0) {
          Object[] q = (Object[]) rs.getArray("latency_q").getArray();
          out.add(new MetricValue("latency_p50", null, segment, ((Number) q[0]).doubleValue(), latencyN));
          out.add(new MetricValue("latency_p95", null, segment, ((Number) q[1]).doubleValue(), latencyN));
          out.add(new MetricValue("latency_p99", null, segment, ((Number) q[2]).doubleValue(), latencyN));
        }
        out.add(new MetricValue("feedback_count", null, segment, rs.getLong("feedback_count"), volume));
        if (label != null) {
          out.add(new MetricValue("labeled_share", null, segment, (double) rs.getLong("labeled") / volume, volume));
        }
        for (int i = 0; i < features.size(); i++) {
          Features.Feature f = features.get(i);
          long n = rs.getLong("n" + i);
          out.add(new MetricValue("missing_share", f.name(), segment, (double) (volume - n) / volume, volume));
          out.add(new MetricValue("conflict_count", f.name(), segment, rs.getLong("conflicts" + i), volume));
          out.add(new MetricValue("distinct_count", f.name(), segment, rs.getLong("distinct" + i), n));
          if (f.numeric() && n > 0) {
            out.add(new MetricValue("mean", f.name(), segment, rs.getDouble("mean" + i), n));
            out.add(new MetricValue("std", f.name(), segment, rs.getDouble("std" + i), n));
            out.add(new MetricValue("min", f.name(), segment, rs.getDouble("min" + i), n));
            out.add(new MetricValue("max", f.name(), segment, rs.getDouble("max" + i), n));
            out.add(new MetricValue("p50", f.name(), segment, rs.getDouble("p50_" + i), n));
          }
        }
      }
    }
    return out;
  }

  /** '' for the all-rows set, else the one segment this row groups by. */
  private static String segmentOf(ResultSet rs, List<SegmentColumn> segments) throws SQLException {
    for (int i = 0; i < segments.size(); i++) {
      if (rs.getInt("g" + i) == 0) {
        return segments.get(i).label(rs.getString("s" + i));
      }
    }
    return "";
  }

  /** Whether a record kept a value of this key in {@code _conflicts}: only logged keys can conflict. */
  static String conflictOf(Features.Feature f) {
    if (!f.name().matches("[A-Za-z][A-Za-z0-9_]*") || ColumnReferences.SYSTEM_FIELDS.contains(f.name())) {
      return "false";
    }
    return "coalesce(json_exists(p._conflicts, " + SqlText.string("$.\"" + f.name() + "\"") + "), false)";
  }
}
