package io.hindsight.server.monitor;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Instant;
import java.util.List;

/**
 * Everything a monitoring report of one endpoint and period shows, gathered from the lake and the
 * metric store; {@code web} draws it. A part that cannot be computed (no reference yet, no
 * labels) carries the reason instead.
 */
public record ReportData(
    String endpoint,
    Instant from,
    Instant to,
    Instant generatedAt,
    MonitoringConfig config,
    List<Hour> hours,
    ObjectNode drift,
    String driftProblem,
    List<Distribution> distributions,
    List<ObjectNode> evaluations,
    String evaluationProblem,
    List<QualityPoint> quality,
    List<Event> events) {

  /** One hour of traffic. */
  public record Hour(Instant start, long volume, double errorRate, Double latencyP50, Double latencyP95, Double latencyP99) {}

  /**
   * A feature's values in the reference and the current window, as shares per bin (numeric, equal
   * width between both windows' 1st and 99th percentiles, the tails counted in the edge bins, so
   * one outlier does not squeeze the rest into a bin) or per category (the most frequent ones).
   */
  public record Distribution(String column, boolean numeric, List<String> bins, double[] reference, double[] current) {}

  /** Realized and estimated accuracy (or the task's first metric) of one hour, from the metric store. */
  public record QualityPoint(Instant start, String metric, Double realized, Double estimated) {}

  /** An event of the endpoint's timeline: a deploy, an alert, a note. */
  public record Event(Instant ts, String kind, String text) {}
}
