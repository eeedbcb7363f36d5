package io.hindsight.server.audit;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.hindsight.server.ChildServer;
import io.hindsight.server.ChildServerMain;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * "Acknowledged implies in the audit log": {@code kill -9} of a server under audited load leaves a
 * data folder that verifies clean, before and after the restart that recovers the leaves the hash
 * store had not synced, and every acknowledged record is a leaf.
 */
class AuditCrashTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  @TempDir Path dir;
  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

  private Process start(Path data, Path portFile) throws Exception {
    Files.deleteIfExists(portFile);
    String java = ProcessHandle.current().info().command().orElse("java");
    Process p =
        new ProcessBuilder(java, ChildServer.ADD_OPENS, "-Xmx256m", "-cp", System.getProperty("java.class.path"), ChildServerMain.class.getName(), data.toString(), portFile.toString(), "100")
            .redirectErrorStream(true)
            .redirectOutput(ProcessBuilder.Redirect.appendTo(dir.resolve("child.log").toFile()))
            .start();
    long deadline = System.nanoTime() + 60_000_000_000L;
    while (!Files.exists(portFile) || Files.readString(portFile).isBlank()) {
      if (!p.isAlive() || System.nanoTime() > deadline) {
        throw new AssertionError("child server did not start:\n" + Files.readString(dir.resolve("child.log")));
      }
      Thread.sleep(50);
    }
    return p;
  }

  private int send(int port, String method, String path, String body) throws Exception {
    HttpRequest r =
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
            .timeout(Duration.ofSeconds(10))
            .header("Content-Type", "application/json")
            .method(method, HttpRequest.BodyPublishers.ofString(body))
            .build();
    return http.send(r, HttpResponse.BodyHandlers.discarding()).statusCode();
  }

  @Test
  void killedUnderAuditedLoadEveryAcknowledgedRecordIsALeafAndTheFolderVerifies() throws Exception {
    Path data = dir.resolve("data");
    Path portFile = dir.resolve("port");
    Process child = start(data, portFile);
    final int loadPort = Integer.parseInt(Files.readString(portFile).trim());
    assertThat(send(loadPort, "PUT", "/v1/endpoints/fraud/audit", "{\"enabled\": true}")).isEqualTo(200);
    Set<String> acked = ConcurrentHashMap.newKeySet();
    AtomicInteger batches = new AtomicInteger();
    AtomicBoolean stop = new AtomicBoolean();
    ExecutorService clients = Executors.newFixedThreadPool(3);
    for (int c = 0; c < 3; c++) {
      clients.submit(() -> {
        while (!stop.get()) {
          int b = batches.incrementAndGet();
          StringBuilder body = new StringBuilder("[");
          for (int i = 0; i < 40; i++) {
            body.append(i == 0 ? "" : ",").append("{\"prediction_id\": \"b").append(b).append('-').append(i)
                .append("\", \"data\": {\"score\": ").append(i).append(", \"pad\": \"").append("x".repeat(200)).append("\"}}");
          }
          try {
            if (send(loadPort, "POST", "/v1/endpoints/fraud/predictions", body.append("]").toString()) == 200) {
              for (int i = 0; i < 40; i++) {
                acked.add("b" + b + "-" + i);
              }
            }
          } catch (Exception e) {
            return null; // the server is gone
          }
        }
        return null;
      });
    }
    Thread.sleep(2500);
    child.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
    stop.set(true);
    clients.shutdown();
    assertThat(clients.awaitTermination(20, TimeUnit.SECONDS)).isTrue();
    assertThat(acked).hasSizeGreaterThan(100);

    AuditVerifier.Report down = new AuditVerifier(data, JSON).verify("fraud");
    assertThat(down.lines()).as("verify right after the kill").hasSize(1);
    assertThat(down.ok()).as(String.join("\n", down.lines())).isTrue();

    child = start(data, portFile);
    try {
      int port = Integer.parseInt(Files.readString(portFile).trim());
      HttpRequest cp = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/v1/endpoints/fraud/audit/checkpoint")).build();
      long size = JSON.readTree(http.send(cp, HttpResponse.BodyHandlers.ofString()).body()).get("size").asLong();
      assertThat(size).as("every acknowledged record is a leaf").isGreaterThanOrEqualTo(acked.size());
      AuditVerifier.Report up = new AuditVerifier(data, JSON).verify("fraud");
      assertThat(up.ok()).as(String.join("\n", up.lines())).isTrue();
      assertThat(up.lines().get(0)).startsWith("OK fraud " + size + " records root ");
      for (String id : acked.stream().limit(50).toList()) {
        HttpRequest proof = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/v1/endpoints/fraud/audit/proof/" + id)).build();
        long deadline = System.nanoTime() + 5_000_000_000L;
        int status;
        while ((status = http.send(proof, HttpResponse.BodyHandlers.discarding()).statusCode()) == 404 && System.nanoTime() < deadline) {
          Thread.sleep(100);
        }
        assertThat(status).as("proof of acknowledged %s", id).isEqualTo(200);
      }
    } finally {
      child.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
    }
  }
}
