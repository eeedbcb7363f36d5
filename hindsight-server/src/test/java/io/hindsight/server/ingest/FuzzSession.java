package io.hindsight.server.ingest;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.platform.engine.discovery.DiscoverySelectors;
import org.junit.platform.launcher.LauncherDiscoveryRequest;
import org.junit.platform.launcher.core.LauncherDiscoveryRequestBuilder;
import org.junit.platform.launcher.core.LauncherFactory;
import org.junit.platform.launcher.listeners.SummaryGeneratingListener;
import org.junit.platform.launcher.listeners.TestExecutionSummary;

/**
 * Runs one {@link IngestFuzzTest} target in fuzzing mode in a child JVM, so that a bounded
 * session can be part of the ordinary test run without an environment variable on the build and
 * without turning every other fuzz test of the surefire JVM into a fuzzing run.
 *
 * <p>The child's Jazzer base directory is {@code target/fuzz/<method>}: the generated corpus
 * ({@code .cifuzz-corpus/}) and any crashing input ({@code crash-<sha1>}) are written there, not
 * into the source tree. To keep a finding as a regression case, copy the crash file into the
 * target's seed folder under {@code src/test/resources} (see {@code docs/FUZZING.md}).
 */
final class FuzzSession {
  private FuzzSession() {}

  record Result(String method, int exitCode, Path workDir, String log) {
    String logTail() {
      String[] lines = log.split("\n");
      return String.join("\n", java.util.Arrays.copyOfRange(lines, Math.max(0, lines.length - 60), lines.length));
    }
  }

  /** Fuzzes each target for {@code seconds} in its own child JVM; the children run side by side. */
  static Result[] runAll(int seconds, String... methods) throws IOException, InterruptedException {
    Path root = Path.of("target", "fuzz").toAbsolutePath();
    List<Process> processes = new ArrayList<>();
    List<Path> logs = new ArrayList<>();
    for (String method : methods) {
      Path work = root.resolve(method);
      Files.createDirectories(work);
      Path log = work.resolve("session.log");
      String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
      ProcessBuilder pb =
          new ProcessBuilder(
                  java,
                  "-Xmx512m",
                  "-XX:+UseSerialGC",
                  "-Djazzer.max_duration=" + seconds + "s",
                  "-Djazzer.instrument=" + System.getProperty("hindsight.fuzz.instrument", "io.hindsight.server.**"),
                  "-cp",
                  System.getProperty("java.class.path"),
                  FuzzSession.class.getName(),
                  method,
                  work.toString())
              .directory(work.toFile())
              .redirectErrorStream(true)
              .redirectOutput(log.toFile());
      pb.environment().put("JAZZER_FUZZ", "1");
      processes.add(pb.start());
      logs.add(log);
    }
    Result[] results = new Result[methods.length];
    for (int i = 0; i < methods.length; i++) {
      Process p = processes.get(i);
      if (!p.waitFor(seconds + 90L, TimeUnit.SECONDS)) {
        p.destroyForcibly().waitFor();
      }
      String log = Files.readString(logs.get(i), StandardCharsets.UTF_8);
      results[i] = new Result(methods[i], p.exitValue(), logs.get(i).getParent(), log);
    }
    return results;
  }

  /** Child JVM entry: {@code <fuzz test method> <jazzer base dir>}; exits 0 when nothing was found. */
  public static void main(String[] args) {
    LauncherDiscoveryRequest request =
        LauncherDiscoveryRequestBuilder.request()
            .selectors(DiscoverySelectors.selectMethod(IngestFuzzTest.class, args[0], "byte[]"))
            .configurationParameter("jazzer.internal.basedir", args[1])
            .build();
    SummaryGeneratingListener listener = new SummaryGeneratingListener();
    LauncherFactory.create().execute(request, listener);
    TestExecutionSummary summary = listener.getSummary();
    PrintWriter out = new PrintWriter(System.out, true, StandardCharsets.UTF_8);
    summary.printTo(out);
    summary.printFailuresTo(out, 40);
    out.flush();
    boolean ok = summary.getTotalFailureCount() == 0 && summary.getTestsSucceededCount() > 0;
    System.exit(ok ? 0 : 1);
  }
}
