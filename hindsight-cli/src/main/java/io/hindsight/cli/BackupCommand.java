package io.hindsight.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.ConnectException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code hindsight backup --to DIR}: asks the running server for a consistent copy of its data
 * folder (written by the server into DIR, a folder on its machine) and follows the job to its end.
 */
@Command(name = "backup", mixinStandardHelpOptions = true, description = "Copy a running server's data folder, consistently, while it keeps ingesting.")
final class BackupCommand implements Callable<Integer> {
  @Option(
      names = "--to",
      required = true,
      description = "An absolute folder on the server's machine, or s3://bucket/prefix of the store the server's backup.s3 names; missing or empty.")
  String to;

  @Mixin ServerOptions target;

  private final ObjectMapper json = new ObjectMapper();
  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();

  @Override
  public Integer call() throws Exception {
    String destination = to.startsWith("s3://") ? to : Path.of(to).toAbsolutePath().normalize().toString();
    String body = json.writeValueAsString(json.createObjectNode().put("to", destination));
    HttpResponse<String> started;
    try {
      started = http.send(
          target.request("/v1/backups").header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)).build(),
          HttpResponse.BodyHandlers.ofString());
    } catch (ConnectException e) {
      System.err.println("no server at " + target.server + " (start one with 'hindsight serve', or pass --server)");
      return 2;
    }
    if (started.statusCode() != 202) {
      System.err.println("backup refused (" + started.statusCode() + "): " + message(started.body()));
      return 1;
    }
    String id = json.readTree(started.body()).path("id").asText();
    // On a terminal one line redrawn in place; in a log, only the outcome.
    boolean terminal = System.console() != null;
    while (true) {
      JsonNode job = json.readTree(http.send(target.request("/v1/jobs/" + id).GET().build(), HttpResponse.BodyHandlers.ofString()).body());
      String state = job.path("state").asText();
      if (terminal) {
        System.err.printf("\rbackup %s: %s, %.0f %%", id, state, 100 * job.path("progress").asDouble());
      }
      boolean ended = state.equals("done") || state.equals("failed") || state.equals("cancelled");
      if (terminal && ended) {
        System.err.println();
      }
      if (state.equals("done")) {
        System.out.printf("backed up %,d files (%,d bytes) into %s%n", job.path("counts").path("files").asLong(),
            job.path("counts").path("bytes").asLong(), destination);
        return 0;
      }
      if (ended) {
        System.err.println("backup " + state + ": " + job.path("error").asText(""));
        return 1;
      }
      Thread.sleep(500);
    }
  }

  private String message(String body) {
    try {
      return json.readTree(body).path("error").asText(body);
    } catch (IOException e) {
      return body;
    }
  }
}
