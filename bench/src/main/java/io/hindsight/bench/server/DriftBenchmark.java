package io.hindsight.bench.server;

import io.hindsight.server.monitor.ColumnDrift;
import io.hindsight.server.monitor.DriftCalculator;
import io.hindsight.server.monitor.DriftReport;
import io.hindsight.server.monitor.MonitoredColumn;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Set;
import java.util.StringJoiner;

/**
 * Drift of a current window against a reference, both Parquet files read in place by DuckDB
 * (DESIGN §10; target: 3M current rows × 100 numeric features against a 1M-row reference in ≤ 10
 * s).
 *
 * <ol>
 *   <li>Generate (once per size; kept under {@code --data-dir}): feature {@code f<i>} is normal
 *       with mean {@code i} and std {@code 1 + i % 7}; in the current window every fourth feature is
 *       shifted by half a std and every tenth feature has 1 % NULLs.
 *   <li>Measure: {@code --runs} calls of {@link DriftCalculator#compute} over {@code
 *       read_parquet(...)} relations, each on a fresh in-process DuckDB; prints every run and the
 *       median.
 * </ol>
 */
public final class DriftBenchmark {
  private static final double TARGET_SECONDS = 10;

  private DriftBenchmark() {}

  public static void main(String[] args) throws Exception {
    Flags f = new Flags(args, Set.of("--reference-rows", "--current-rows", "--features", "--runs", "--data-dir"), Set.of());
    long referenceRows = f.longValue("--reference-rows", 1_000_000);
    long currentRows = f.longValue("--current-rows", 3_000_000);
    int features = f.integer("--features", 100);
    int runs = f.integer("--runs", 5);
    Path dir = Path.of(f.string("--data-dir", "bench/target/drift-data"));
    Path reference = dir.resolve("reference-" + referenceRows + "x" + features + ".parquet");
    Path current = dir.resolve("current-" + currentRows + "x" + features + ".parquet");
    Files.createDirectories(dir);
    generate(reference, referenceRows, features, false);
    generate(current, currentRows, features, true);

    List<MonitoredColumn> columns = new ArrayList<>();
    for (int i = 0; i < features; i++) {
      columns.add(MonitoredColumn.of("f" + i));
    }
    List<Double> seconds = new ArrayList<>();
    DriftReport report = null;
    for (int run = 1; run <= runs; run++) {
      try (Connection db = DriverManager.getConnection("jdbc:duckdb:")) {
        long start = System.nanoTime();
        report = new DriftCalculator(db).compute(readParquet(reference), readParquet(current), columns, null);
        double s = (System.nanoTime() - start) / 1e9;
        seconds.add(s);
        System.out.printf("run %d: %.2f s%n", run, s);
      }
    }
    Collections.sort(seconds);
    double median = seconds.get(seconds.size() / 2);
    ColumnDrift shifted = report.columns().get(0);
    ColumnDrift same = report.columns().get(1);
    System.out.printf(
        "drift of %,d rows against %,d rows, %d numeric features: median %.2f s over %d runs (min %.2f, max %.2f);"
            + " %.2fx the %.0f s target%n",
        currentRows, referenceRows, features, median, runs, seconds.get(0), seconds.get(seconds.size() - 1),
        median / TARGET_SECONDS, TARGET_SECONDS);
    System.out.printf("  drifted share %.2f (expected %.2f); f0 (shifted) %s %.4f, f1 (same) %s %.4f%n",
        report.driftedShare(), expectedDriftedShare(features), shifted.method(), shifted.statistic(), same.method(),
        same.statistic());
  }

  /** Writes {@code rows} rows of {@code features} normal features unless the file is there. */
  private static void generate(Path file, long rows, int features, boolean current) throws Exception {
    if (Files.exists(file)) {
      return;
    }
    StringJoiner select = new StringJoiner(", ", "SELECT ", " FROM range(" + rows + ") r(i)");
    for (int f = 0; f < features; f++) {
      double std = 1 + f % 7;
      double mean = f + (current && f % 4 == 0 ? std / 2 : 0);
      // Box–Muller from two uniforms
      String normal = String.format("%s + %s * sqrt(-2 * ln(1 - random())) * cos(2 * pi() * random())", mean, std);
      select.add(current && f % 10 == 9
          ? "CASE WHEN random() < 0.01 THEN NULL ELSE " + normal + " END AS f" + f
          : normal + " AS f" + f);
    }
    System.out.printf("generating %s (%,d rows × %d features)...%n", file, rows, features);
    long start = System.nanoTime();
    Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
    try (Connection db = DriverManager.getConnection("jdbc:duckdb:");
        Statement s = db.createStatement()) {
      s.execute("SELECT setseed(" + (current ? 0.2 : 0.1) + ")");
      s.execute("COPY (" + select + ") TO '" + tmp + "' (FORMAT parquet, COMPRESSION zstd)");
    }
    Files.move(tmp, file);
    System.out.printf("  in %.0f s%n", (System.nanoTime() - start) / 1e9);
  }

  private static double expectedDriftedShare(int features) {
    return (double) ((features + 3) / 4) / features;
  }

  private static String readParquet(Path file) {
    return "read_parquet('" + file.toString().replace("'", "''") + "')";
  }
}
