package io.hindsight.server.alert;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.ConnectException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A real Prometheus Alertmanager (Debian package {@code prometheus-alertmanager}) on a free loopback
 * port, storing in a temporary folder, without clustering, routing every alert to a receiver that
 * sends nothing.
 */
final class AlertmanagerProcess implements AutoCloseable {
  static final Path BINARY = Path.of("/usr/bin/prometheus-alertmanager");
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
  private static final Duration STARTUP = Duration.ofSeconds(30);

  private final Process process;
  private final URI url;
  private final Path log;

  static boolean installed() {
    return Files.isExecutable(BINARY);
  }

  private AlertmanagerProcess(Process process, URI url, Path log) {
    this.process = process;
    this.url = url;
    this.log = log;
  }

  /** Starts Alertmanager in {@code dir} and returns once it answers {@code /-/ready}. */
  static AlertmanagerProcess start(Path dir) throws IOException, InterruptedException {
    Path config = dir.resolve("alertmanager.yml");
    Files.writeString(config, "route:\n  receiver: nobody\nreceivers:\n  - name: nobody\n");
    int port;
    try (ServerSocket s = new ServerSocket(0)) {
      port = s.getLocalPort();
    }
    Path log = dir.resolve("alertmanager.log");
    Process process =
        new ProcessBuilder(
                List.of(
                    BINARY.toString(),
                    "--config.file=" + config,
                    "--storage.path=" + dir.resolve("data"),
                    "--web.listen-address=127.0.0.1:" + port,
                    "--cluster.listen-address="))
            .redirectErrorStream(true)
            .redirectOutput(log.toFile())
            .start();
    AlertmanagerProcess am = new AlertmanagerProcess(process, URI.create("http://127.0.0.1:" + port), log);
    try {
      am.awaitReady();
    } catch (IOException | InterruptedException | RuntimeException e) {
      am.close();
      throw e;
    }
    return am;
  }

  private void awaitReady() throws IOException, InterruptedException {
    long deadline = System.nanoTime() + STARTUP.toNanos();
    while (System.nanoTime() < deadline) {
      if (!process.isAlive()) {
        throw new IOException("Alertmanager exited with " + process.exitValue() + ":\n" + Files.readString(log));
      }
      try {
        HttpResponse<Void> ready =
            HTTP.send(HttpRequest.newBuilder(url.resolve("/-/ready")).build(), HttpResponse.BodyHandlers.discarding());
        if (ready.statusCode() == 200) {
          return;
        }
      } catch (ConnectException notYetListening) {
        // Still starting.
      }
      Thread.sleep(100);
    }
    throw new IOException("Alertmanager not ready within " + STARTUP + ":\n" + Files.readString(log));
  }

  URI url() {
    return url;
  }

  /** {@code GET /api/v2/alerts}: the alerts Alertmanager holds and has not seen resolved. */
  JsonNode alerts() throws IOException, InterruptedException {
    HttpResponse<String> answer =
        HTTP.send(HttpRequest.newBuilder(url.resolve("/api/v2/alerts")).build(), HttpResponse.BodyHandlers.ofString());
    if (answer.statusCode() != 200) {
      throw new IOException("GET /api/v2/alerts answered " + answer.statusCode() + ": " + answer.body());
    }
    return JSON.readTree(answer.body());
  }

  /**
   * The alerts once {@code done} holds for them, or as they are at the deadline. One run in about
   * thirty once read a resolved alert as still active right after the push was answered; reading
   * again for a few seconds tells a late store from a lost push.
   */
  JsonNode alertsWithin(Duration deadline, java.util.function.Predicate<JsonNode> done)
      throws IOException, InterruptedException {
    long end = System.nanoTime() + deadline.toNanos();
    JsonNode alerts = alerts();
    while (!done.test(alerts) && System.nanoTime() < end) {
      Thread.sleep(100);
      alerts = alerts();
    }
    return alerts;
  }

  /** What Alertmanager printed so far, for a failing test's message. */
  String log() throws IOException {
    return Files.readString(log);
  }

  @Override
  public void close() throws InterruptedException {
    process.destroy();
    if (!process.waitFor(10, TimeUnit.SECONDS)) {
      process.destroyForcibly().waitFor();
    }
  }
}
