package io.hindsight.bench.server;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A Hindsight server in a child JVM for one benchmark run: realistic (clients and server do not
 * share a heap, GC or JIT) and easy to observe ({@code top -H -p <pid>}, {@code jcmd <pid>
 * Thread.print}). Its output goes to a log file next to the data folder.
 */
public final class ServerProcess implements AutoCloseable {
  private final Process process;
  private final int port;
  private final Path logFile;

  private ServerProcess(Process process, int port, Path logFile) {
    this.process = process;
    this.port = port;
    this.logFile = logFile;
  }

  /** Starts the server on a free loopback port and returns once {@code /health} answers. */
  public static ServerProcess start(Path dataDir, List<String> jvmOptions, Path config) throws IOException, InterruptedException {
    int port;
    try (ServerSocket s = new ServerSocket(0)) {
      port = s.getLocalPort();
    }
    Path abs = dataDir.toAbsolutePath();
    Files.createDirectories(abs.getParent());
    Path logFile = abs.resolveSibling(abs.getFileName() + ".server.log");
    List<String> cmd = new ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    // As the launcher and the jar's manifest give it: the lake writer's Arrow encoder needs it.
    cmd.add("--add-opens=java.base/java.nio=ALL-UNNAMED");
    cmd.addAll(jvmOptions);
    cmd.add("-cp");
    cmd.add(System.getProperty("java.class.path"));
    cmd.add(ServerMain.class.getName());
    cmd.add("--data-dir");
    cmd.add(abs.toString());
    cmd.add("--port");
    cmd.add(Integer.toString(port));
    if (config != null) {
      cmd.add("--config");
      cmd.add(config.toAbsolutePath().toString());
    }
    Process p =
        new ProcessBuilder(cmd)
            .redirectErrorStream(true)
            .redirectOutput(ProcessBuilder.Redirect.appendTo(logFile.toFile()))
            .start();
    ServerProcess server = new ServerProcess(p, port, logFile);
    server.awaitHealthy(Duration.ofMinutes(10));
    System.out.printf("server pid %d on port %d, data %s, log %s%n", p.pid(), port, abs, logFile);
    return server;
  }

  private void awaitHealthy(Duration timeout) throws IOException, InterruptedException {
    HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    long deadline = System.nanoTime() + timeout.toNanos();
    while (System.nanoTime() < deadline) {
      if (!process.isAlive()) {
        throw new IOException("the server exited with " + process.exitValue() + "; see " + logFile);
      }
      try {
        HttpResponse<String> r =
            http.send(HttpRequest.newBuilder(URI.create(url() + "/health")).build(), HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() == 200) {
          return;
        }
      } catch (IOException notYet) {
        // still starting (recovery replays the log before listening)
      }
      Thread.sleep(200);
    }
    close();
    throw new IOException("the server did not answer /health within " + timeout + "; see " + logFile);
  }

  public String url() {
    return "http://127.0.0.1:" + port;
  }

  public long pid() {
    return process.pid();
  }

  /** SIGTERM, then waits for the server to stop; prints how long that took. */
  @Override
  public void close() {
    long started = System.nanoTime();
    process.destroy();
    try {
      if (process.waitFor(5, TimeUnit.MINUTES)) {
        System.out.printf("server stopped %.2f s after SIGTERM%n", (System.nanoTime() - started) / 1e9);
      } else {
        System.err.println("server did not stop within 5 minutes; killing it");
        process.destroyForcibly().waitFor();
      }
    } catch (InterruptedException e) {
      process.destroyForcibly();
      Thread.currentThread().interrupt();
    }
  }
}
