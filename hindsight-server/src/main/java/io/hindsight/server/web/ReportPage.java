package io.hindsight.server.web;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.hindsight.server.monitor.ReportData;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;


/**
 * A monitoring report as one self-contained HTML page (inline CSS and SVG, no script, nothing
 * fetched): traffic, latency and errors per hour with events marked, drift per feature with both
 * distributions, quality per version and segment with the estimate next to the truth. It opens
 * offline, so it can be attached to an incident review.
 */
public final class ReportPage {
  private static final String STYLE =
      "body{font:14px/1.45 system-ui,-apple-system,Segoe UI,sans-serif;color:#111827;max-width:1000px;margin:24px auto;padding:0 16px}"
          + "h1{font-size:22px;margin-bottom:4px}h2{font-size:17px;margin-top:32px;border-bottom:1px solid #e5e7eb;padding-bottom:4px}"
          + "h3{font-size:14px;margin:16px 0 4px}.meta{color:#6b7280}table{border-collapse:collapse;margin:8px 0;width:100%}"
          + "th,td{border-bottom:1px solid #e5e7eb;padding:4px 8px;text-align:right}th:first-child,td:first-child{text-align:left}"
          + "th{background:#f9fafb}.drifted{color:#b91c1c;font-weight:600}.ok{color:#15803d}.note{background:#fefce8;padding:8px;border-radius:4px}"
          + "svg{width:100%;height:auto;margin:4px 0 12px}.axis{stroke:#9ca3af}.grid{stroke:#f3f4f6}.tick{font-size:10px;fill:#6b7280}"
          + ".marker{stroke:#f59e0b;stroke-dasharray:4 3}";

  private ReportPage() {}

  public static String render(ReportData d) {
    StringBuilder h = new StringBuilder("<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'><title>");
    h.append(Html.escape("Hindsight report: " + d.endpoint())).append("</title><style>").append(STYLE).append("</style></head><body>");
    h.append("<h1>").append(Html.escape(d.endpoint())).append("</h1><p class='meta'>").append(d.from()).append(" to ").append(d.to())
        .append(" · generated ").append(d.generatedAt()).append(d.config() == null ? " · no monitoring config (defaults)" : " · task "
            + Html.escape(d.config().task().wireName())).append("</p>");
    traffic(h, d);
    events(h, d);
    drift(h, d);
    quality(h, d);
    return h.append("</body></html>").toString();
  }

  private static void traffic(StringBuilder h, ReportData d) {
    h.append("<h2>Traffic</h2>");
    if (d.hours().isEmpty()) {
      h.append("<p class='note'>No predictions in this period.</p>");
      return;
    }
    long total = d.hours().stream().mapToLong(ReportData.Hour::volume).sum();
    double errors = d.hours().stream().mapToDouble(x -> x.errorRate() * x.volume()).sum();
    h.append("<p>").append(total).append(" predictions, ").append(Svg.number(100.0 * errors / total)).append(" % errors.</p>");
    List<Instant> times = d.hours().stream().map(ReportData.Hour::start).toList();
    List<Svg.Marker> markers = d.events().stream().map(e -> new Svg.Marker(e.ts(), e.kind() + ": " + e.text())).toList();
    h.append("<h3>Volume per hour</h3>")
        .append(Svg.lines("volume", d.from(), d.to(),
            List.of(new Svg.Series("predictions", times, d.hours().stream().map(x -> (double) x.volume()).toList())), markers, "records"));
    h.append("<h3>Latency</h3>")
        .append(Svg.lines("latency", d.from(), d.to(),
            List.of(
                new Svg.Series("p50", times, d.hours().stream().map(ReportData.Hour::latencyP50).toList()),
                new Svg.Series("p95", times, d.hours().stream().map(ReportData.Hour::latencyP95).toList()),
                new Svg.Series("p99", times, d.hours().stream().map(ReportData.Hour::latencyP99).toList())),
            markers, "ms"));
    h.append("<h3>Error rate</h3>")
        .append(Svg.lines("errors", d.from(), d.to(),
            List.of(new Svg.Series("error rate", times, d.hours().stream().map(ReportData.Hour::errorRate).toList())), markers, "share"));
  }

  private static void events(StringBuilder h, ReportData d) {
    if (d.events().isEmpty()) {
      return;
    }
    h.append("<h2>Events</h2><table><tr><th>time</th><th>kind</th><th style='text-align:left'>text</th></tr>");
    for (ReportData.Event e : d.events()) {
      h.append("<tr><td>").append(e.ts()).append("</td><td>").append(Html.escape(e.kind())).append("</td><td style='text-align:left'>")
          .append(Html.escape(e.text())).append("</td></tr>");
    }
    h.append("</table>");
  }

  private static void drift(StringBuilder h, ReportData d) {
    h.append("<h2>Drift</h2>");
    if (d.drift() == null) {
      h.append("<p class='note'>").append(Html.escape(d.driftProblem())).append("</p>");
      return;
    }
    JsonNode ref = d.drift().get("reference");
    h.append("<p>Against the reference ").append(Html.escape(ref.get("from").asText())).append(" to ")
        .append(Html.escape(ref.get("to").asText())).append(" (").append(ref.get("rows").asLong()).append(" rows): ")
        .append(Svg.number(100 * d.drift().get("drifted_share").asDouble())).append(" % of the features drifted")
        .append(d.drift().get("dataset_drift").asBoolean() ? ", <span class='drifted'>dataset drift</span>" : "").append(".</p>");
    h.append("<table><tr><th>feature</th><th>kind</th><th>method</th><th>statistic</th><th>p-value</th><th>threshold</th>"
        + "<th>missing (ref / cur)</th><th></th></tr>");
    for (JsonNode c : d.drift().get("columns")) {
      boolean drifted = c.get("drifted").asBoolean();
      h.append("<tr><td>").append(Html.escape(c.get("column").asText())).append("</td><td>").append(c.get("kind").asText())
          .append("</td><td>").append(c.get("method").asText()).append("</td><td>").append(value(c.get("statistic")))
          .append("</td><td>").append(value(c.get("p_value"))).append("</td><td>").append(value(c.get("threshold")))
          .append("</td><td>").append(Svg.number(c.get("reference_missing_share").asDouble())).append(" / ")
          .append(Svg.number(c.get("current_missing_share").asDouble())).append("</td><td class='")
          .append(drifted ? "drifted'>drifted" : "ok'>stable").append("</td></tr>");
    }
    h.append("</table>");
    for (ReportData.Distribution dist : d.distributions()) {
      h.append("<h3>").append(Html.escape(dist.column())).append("</h3>")
          .append(Svg.bars(dist.column(), dist.bins(), dist.reference(), dist.current()));
    }
  }

  private static void quality(StringBuilder h, ReportData d) {
    h.append("<h2>Quality</h2>");
    if (d.evaluations().isEmpty()) {
      h.append("<p class='note'>").append(Html.escape(d.evaluationProblem())).append("</p>");
      return;
    }
    for (ObjectNode e : d.evaluations()) {
      List<String> metrics = new ArrayList<>();
      for (JsonNode g : e.get("groups")) {
        for (Iterator<String> it = g.get("realized").fieldNames(); it.hasNext(); ) {
          String m = it.next();
          if (!metrics.contains(m)) {
            metrics.add(m);
          }
        }
      }
      String by = e.get("groups").size() > 0 && e.get("groups").get(0).get("group").fieldNames().hasNext()
          ? e.get("groups").get(0).get("group").fieldNames().next() : "all rows";
      h.append("<h3>By ").append(Html.escape(by)).append("</h3><table><tr><th>").append(Html.escape(by))
          .append("</th><th>rows</th><th>labeled</th>");
      metrics.forEach(m -> h.append("<th>").append(Html.escape(m)).append("</th>"));
      h.append("</tr>");
      for (JsonNode g : e.get("groups")) {
        String name = g.get("group").elements().hasNext() ? g.get("group").elements().next().asText() : "all";
        h.append("<tr><td>").append(Html.escape(name)).append("</td><td>").append(g.get("rows").asLong()).append("</td><td>")
            .append(g.get("labeled").asLong()).append("</td>");
        for (String m : metrics) {
          JsonNode realized = g.get("realized").get(m);
          JsonNode estimated = g.get("estimated").get(m);
          h.append("<td>").append(value(realized));
          if (estimated != null) {
            h.append(" <span class='meta'>(est. ").append(value(estimated)).append(")</span>");
          }
          h.append("</td>");
        }
        h.append("</tr>");
      }
      h.append("</table>");
    }
    if (!d.quality().isEmpty()) {
      String metric = d.quality().get(0).metric();
      List<Instant> times = d.quality().stream().map(ReportData.QualityPoint::start).toList();
      h.append("<h3>Estimated and realized ").append(Html.escape(metric)).append(" per hour</h3>")
          .append(Svg.lines(metric, d.from(), d.to(),
              List.of(
                  new Svg.Series("realized", times, d.quality().stream().map(ReportData.QualityPoint::realized).toList()),
                  new Svg.Series("estimated", times, d.quality().stream().map(ReportData.QualityPoint::estimated).toList())),
              d.events().stream().map(ev -> new Svg.Marker(ev.ts(), ev.kind() + ": " + ev.text())).toList(), metric));
    }
  }

  private static String value(JsonNode v) {
    return v == null || v.isNull() ? "–" : Svg.number(v.asDouble());
  }

}
