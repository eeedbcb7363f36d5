package io.hindsight.cli;

import java.net.URI;
import java.net.http.HttpRequest;
import picocli.CommandLine.Option;

/** Where the commands that talk to a running server find it, and the key they show it. */
final class ServerOptions {
  @Option(
      names = "--server",
      defaultValue = "${HINDSIGHT_URL:-http://127.0.0.1:7070}",
      description = "Server URL (default: HINDSIGHT_URL, else http://127.0.0.1:7070).")
  String server;

  @Option(
      names = "--api-key",
      description =
          "API key, when the server requires one (or HINDSIGHT_API_KEY): query and report need the read scope,"
              + " ingest and import the write scope, backup admin.")
  String apiKey = System.getenv("HINDSIGHT_API_KEY");

  /** {@code path} (starting with /) on the server. */
  URI uri(String path) {
    return URI.create(server.replaceAll("/+$", "") + path);
  }

  /** A request to {@code path} with the key, when there is one. */
  HttpRequest.Builder request(String path) {
    HttpRequest.Builder b = HttpRequest.newBuilder(uri(path));
    if (apiKey != null && !apiKey.isBlank()) {
      b.header("Authorization", "Bearer " + apiKey);
    }
    return b;
  }
}
