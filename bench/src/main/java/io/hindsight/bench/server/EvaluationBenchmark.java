package io.hindsight.bench.server;

import io.hindsight.server.monitor.EvaluationSpec;
import io.hindsight.server.monitor.Evaluator;
import io.hindsight.server.monitor.GroupEvaluation;
import io.hindsight.server.monitor.Task;
import com.sun.management.OperatingSystemMXBean;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * Binary evaluation (every realized metric with ROC AUC and average precision, plus the CBPE
 * estimate) over {@code --rows} labeled rows in a Parquet file, in the server's code on an
 * in-process DuckDB. The file is generated once under {@code --data-dir}: uniform scores (all
 * distinct, the costliest case for exact ranking metrics; {@code --score-digits N} rounds them to N
 * decimals, as models that emit floats or rounded scores do), labels drawn from them, two groups. The
 * evaluation runs {@code --runs} times without a reference and with a 1,000,000-row labeled
 * reference (isotonic calibration); the median wall time of each is printed, with the process's
 * CPU time per run (on a shared machine the wall time also measures the neighbours).
 */
public final class EvaluationBenchmark {
  private EvaluationBenchmark() {}

  public static void main(String[] args) throws Exception {
    Flags f = new Flags(args, Set.of("--rows", "--runs", "--data-dir", "--score-digits"), Set.of());
    long rows = f.longValue("--rows", 10_000_000);
    int runs = f.integer("--runs", 5);
    Path dir = Path.of(f.string("--data-dir", "bench/target/evaluation-data"));
    int digits = f.integer("--score-digits", -1);
    String rounding = digits < 0 ? "" : "-" + digits + "digits";
    Files.createDirectories(dir);
    try (Connection db = DriverManager.getConnection("jdbc:duckdb:")) {
      String window = generate(db, dir.resolve("window-" + rows + rounding + ".parquet"), rows, digits, 42);
      String reference = generate(db, dir.resolve("reference-1000000" + rounding + ".parquet"), 1_000_000, digits, 7);
      Evaluator evaluator = new Evaluator(db);
      OperatingSystemMXBean os = (OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
      for (String ref : new String[] {null, reference}) {
        List<Double> seconds = new ArrayList<>();
        List<Double> cpuSeconds = new ArrayList<>();
        List<GroupEvaluation> result = null;
        for (int i = 0; i < runs; i++) {
          long start = System.nanoTime();
          long cpuStart = os.getProcessCpuTime();
          result = evaluator.evaluate(Task.BINARY_CLASSIFICATION, window, ref, EvaluationSpec.DEFAULTS);
          seconds.add(Math.round((System.nanoTime() - start) / 1e7) / 100.0);
          cpuSeconds.add(Math.round((os.getProcessCpuTime() - cpuStart) / 1e7) / 100.0);
        }
        System.out.printf(
            "%,d rows, %s: median %.2f s over %d runs, wall %s s, CPU %s s (%d cores, load average %.1f)%n",
            rows, ref == null ? "no reference" : "calibrated on a 1M-row reference", median(seconds), runs, seconds,
            cpuSeconds, os.getAvailableProcessors(), os.getSystemLoadAverage());
        for (GroupEvaluation g : result) {
          System.out.printf("  %s: realized %s%n  estimated %s%n", g.group(), g.realized(), g.estimated());
        }
      }
    }
  }

  /** The Parquet file's FROM-item, writing it first when missing. */
  private static String generate(Connection db, Path file, long rows, int digits, int seed) throws Exception {
    if (!Files.exists(file)) {
      System.out.printf("generating %,d rows into %s%n", rows, file);
      Path partial = file.resolveSibling(file.getFileName() + ".partial");
      try (Statement st = db.createStatement()) {
        st.execute("SELECT setseed(" + seed / 100.0 + ")");
        st.execute(
            "COPY (SELECT grp, score, NULL::VARCHAR AS predicted,"
                + " CASE WHEN random() < score THEN 'true' ELSE 'false' END AS label"
                + " FROM (SELECT CASE WHEN i % 2 = 0 THEN 'v1' ELSE 'v2' END AS grp, "
                + (digits < 0 ? "random()" : "round(random(), " + digits + ")")
                + " AS score FROM range("
                + rows
                + ") t(i))) TO '"
                + partial
                + "' (FORMAT parquet)");
      }
      Files.move(partial, file);
    }
    return "read_parquet('" + file + "')";
  }

  private static double median(List<Double> values) {
    List<Double> sorted = values.stream().sorted().toList();
    int n = sorted.size();
    return n % 2 == 1 ? sorted.get(n / 2) : (sorted.get(n / 2 - 1) + sorted.get(n / 2)) / 2;
  }
}
