package io.hindsight.cli;

import io.hindsight.server.connect.ImportProgress;
import java.io.PrintStream;
import java.util.Locale;

/**
 * A run's progress on stderr: on a terminal one line redrawn in place ({@code [#####.....] 48%
 * 1,234,567 rows 210,000 rows/s ETA 0:12}); otherwise a plain line every {@link #PLAIN_EVERY_NANOS}.
 */
final class ProgressBar {
  private static final int WIDTH = 30;
  private static final long REDRAW_NANOS = 200_000_000L;
  static final long PLAIN_EVERY_NANOS = 5_000_000_000L;

  private final PrintStream err;
  private final boolean terminal;
  private final long start = System.nanoTime();
  private long lastDrawn;
  private boolean drawn;

  ProgressBar(PrintStream err, boolean terminal) {
    this.err = err;
    this.terminal = terminal;
    this.lastDrawn = start;
  }

  void update(ImportProgress p) {
    long now = System.nanoTime();
    if (now - lastDrawn < (terminal ? REDRAW_NANOS : PLAIN_EVERY_NANOS)) {
      return;
    }
    lastDrawn = now;
    draw(p, now);
  }

  /** Clears the bar so that other lines print cleanly. */
  void clear() {
    if (terminal && drawn) {
      err.print("\r\033[K");
      drawn = false;
    }
  }

  private void draw(ImportProgress p, long now) {
    double seconds = Math.max(1e-3, (now - start) / 1e9);
    double f = p.fraction();
    int filled = (int) Math.round(f * WIDTH);
    String eta = f <= 0 ? "?" : clock(seconds * (1 - f) / f);
    String line = String.format(Locale.ROOT, "[%s%s] %3.0f%% %,d rows %,.0f rows/s ETA %s",
        "#".repeat(filled), ".".repeat(WIDTH - filled), f * 100, p.rowsRead(), p.rowsRead() / seconds, eta);
    if (terminal) {
      err.print("\r\033[K" + line);
      drawn = true;
    } else {
      err.println(line);
    }
    err.flush();
  }

  private static String clock(double seconds) {
    long s = Math.round(seconds);
    return s >= 3600
        ? String.format(Locale.ROOT, "%d:%02d:%02d", s / 3600, s / 60 % 60, s % 60)
        : String.format(Locale.ROOT, "%d:%02d", s / 60, s % 60);
  }
}
