package io.hindsight.server.web;

import java.time.Instant;
import java.util.List;
import java.util.Locale;

/** Small inline SVG charts: lines over time with event markers, and paired bars of two distributions. */
final class Svg {
  static final int WIDTH = 720;
  static final int HEIGHT = 200;
  private static final int LEFT = 56;
  private static final int RIGHT = 12;
  /** Room above the plot for the unit and the legend, so neither covers a tick or a line. */
  private static final int TOP = 28;
  private static final int BOTTOM = 28;
  static final String[] COLORS = {"#2563eb", "#dc2626", "#16a34a", "#9333ea"};

  private Svg() {}

  /** One named series of a line chart: a value per time (null for a gap). */
  record Series(String name, List<Instant> times, List<Double> values) {}

  /** An event drawn as a vertical marker. */
  record Marker(Instant at, String label) {}

  static String lines(String title, Instant from, Instant to, List<Series> series, List<Marker> markers, String unit) {
    double max = 0;
    double min = 0;
    for (Series s : series) {
      for (Double v : s.values()) {
        if (v != null && Double.isFinite(v)) {
          max = Math.max(max, v);
          min = Math.min(min, v);
        }
      }
    }
    if (max == min) {
      max = min + 1;
    }
    StringBuilder sb = open(title);
    axes(sb, min, max, unit, from, to);
    double span = Math.max(1, to.toEpochMilli() - from.toEpochMilli());
    for (Marker m : markers) {
      double x = x(m.at(), from, span);
      sb.append(String.format(Locale.ROOT, "<line x1='%.1f' y1='%d' x2='%.1f' y2='%d' class='marker'><title>%s</title></line>",
          x, TOP, x, HEIGHT - BOTTOM, Html.escape(m.label())));
    }
    for (int k = 0; k < series.size(); k++) {
      Series s = series.get(k);
      StringBuilder path = new StringBuilder();
      boolean pen = false;
      for (int i = 0; i < s.times().size(); i++) {
        Double v = s.values().get(i);
        if (v == null || !Double.isFinite(v)) {
          pen = false;
          continue;
        }
        double x = x(s.times().get(i), from, span);
        double y = y(v, min, max);
        path.append(String.format(Locale.ROOT, "%s%.1f %.1f ", pen ? "L" : "M", x, y));
        pen = true;
        sb.append(String.format(Locale.ROOT, "<circle cx='%.1f' cy='%.1f' r='2' fill='%s'><title>%s %s: %s</title></circle>",
            x, y, COLORS[k % COLORS.length], Html.escape(s.name()), s.times().get(i), number(v)));
      }
      sb.append("<path d='").append(path).append("' fill='none' stroke='").append(COLORS[k % COLORS.length])
          .append("' stroke-width='1.5'/>");
    }
    legend(sb, series.stream().map(Series::name).toList());
    return sb.append("</svg>").toString();
  }

  /** Two distributions side by side, as shares per bin. */
  static String bars(String title, List<String> bins, double[] reference, double[] current) {
    double max = 0;
    for (int i = 0; i < bins.size(); i++) {
      max = Math.max(max, Math.max(reference[i], current[i]));
    }
    if (max == 0) {
      max = 1;
    }
    StringBuilder sb = open(title);
    axes(sb, 0, max, "share", null, null);
    double step = plotWidth() / Math.max(1, bins.size());
    for (int i = 0; i < bins.size(); i++) {
      double x = LEFT + i * step;
      bar(sb, x + step * 0.1, step * 0.4, reference[i], max, COLORS[0], "reference " + bins.get(i));
      bar(sb, x + step * 0.5, step * 0.4, current[i], max, COLORS[1], "current " + bins.get(i));
      if (bins.size() <= 10 || i % Math.max(1, bins.size() / 5) == 0) {
        sb.append(String.format(Locale.ROOT, "<text x='%.1f' y='%d' class='tick'>%s</text>", x + step * 0.1, HEIGHT - 12,
            Html.escape(shorten(bins.get(i)))));
      }
    }
    legend(sb, List.of("reference", "current"));
    return sb.append("</svg>").toString();
  }

  private static void bar(StringBuilder sb, double x, double w, double v, double max, String color, String label) {
    double y = y(v, 0, max);
    sb.append(String.format(Locale.ROOT, "<rect x='%.1f' y='%.1f' width='%.1f' height='%.1f' fill='%s'><title>%s: %s</title></rect>",
        x, y, w, HEIGHT - BOTTOM - y, color, Html.escape(label), number(v)));
  }

  private static StringBuilder open(String title) {
    return new StringBuilder()
        .append("<svg xmlns='http://www.w3.org/2000/svg' viewBox='0 0 ").append(WIDTH).append(' ').append(HEIGHT)
        .append("' role='img' aria-label='").append(Html.escape(title)).append("'>");
  }

  private static void axes(StringBuilder sb, double min, double max, String unit, Instant from, Instant to) {
    sb.append(String.format(Locale.ROOT, "<line x1='%d' y1='%d' x2='%d' y2='%d' class='axis'/>", LEFT, HEIGHT - BOTTOM, WIDTH - RIGHT, HEIGHT - BOTTOM));
    for (int i = 0; i <= 4; i++) {
      double v = min + (max - min) * i / 4;
      double y = y(v, min, max);
      sb.append(String.format(Locale.ROOT, "<line x1='%d' y1='%.1f' x2='%d' y2='%.1f' class='grid'/><text x='4' y='%.1f' class='tick'>%s</text>",
          LEFT, y, WIDTH - RIGHT, y, y + 4, number(v)));
    }
    sb.append(String.format(Locale.ROOT, "<text x='4' y='12' class='tick'>%s</text>", Html.escape(unit)));
    if (from != null) {
      sb.append(String.format(Locale.ROOT, "<text x='%d' y='%d' class='tick'>%s</text><text x='%d' y='%d' class='tick' text-anchor='end'>%s</text>",
          LEFT, HEIGHT - 8, from, WIDTH - RIGHT, HEIGHT - 8, to));
    }
  }

  private static void legend(StringBuilder sb, List<String> names) {
    int x = LEFT + 8;
    for (int k = 0; k < names.size(); k++) {
      sb.append(String.format(Locale.ROOT, "<rect x='%d' y='%d' width='10' height='10' fill='%s'/><text x='%d' y='%d' class='tick'>%s</text>",
          x, 3, COLORS[k % COLORS.length], x + 14, 12, Html.escape(names.get(k))));
      x += 24 + 7 * names.get(k).length();
    }
  }

  /** Where a time falls; a bucket begun before the period (its hour started earlier) is drawn at the start. */
  private static double x(Instant t, Instant from, double span) {
    double share = (t.toEpochMilli() - from.toEpochMilli()) / span;
    return LEFT + Math.max(0, Math.min(1, share)) * plotWidth();
  }

  private static double y(double v, double min, double max) {
    return TOP + (1 - (v - min) / (max - min)) * (HEIGHT - TOP - BOTTOM);
  }

  private static double plotWidth() {
    return WIDTH - LEFT - RIGHT;
  }

  static String number(double v) {
    if (v == Math.rint(v) && Math.abs(v) < 1e12) {
      return String.format(Locale.ROOT, "%.0f", v);
    }
    // Four significant digits without trailing zeros: 2.5, 0.05, 1.234e-05.
    String f = String.format(Locale.ROOT, "%.4g", v);
    String mantissa = f.contains("e") ? f.substring(0, f.indexOf('e')) : f;
    String exponent = f.contains("e") ? f.substring(f.indexOf('e')) : "";
    if (mantissa.contains(".")) {
      mantissa = mantissa.replaceAll("0+$", "").replaceAll("\\.$", "");
    }
    return mantissa + exponent;
  }

  private static String shorten(String s) {
    return s.length() <= 10 ? s : s.substring(0, 9) + "…";
  }
}
