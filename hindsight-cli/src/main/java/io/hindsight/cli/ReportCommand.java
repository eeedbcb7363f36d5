package io.hindsight.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code hindsight report --endpoint E}: a monitoring report as one HTML file that opens offline. */
@Command(
    name = "report",
    mixinStandardHelpOptions = true,
    description = "Write an endpoint's monitoring report (traffic, drift, quality, events) as one self-contained HTML file.")
final class ReportCommand implements Callable<Integer> {
  @Option(names = "--endpoint", required = true, description = "The endpoint to report on.")
  String endpoint;

  @Option(names = "--from", description = "Start, ISO-8601 UTC (default: a day before --to).")
  String from;

  @Option(names = "--to", description = "End, ISO-8601 UTC (default: now).")
  String to;

  @Option(names = "--out", description = "The HTML file to write (default: <endpoint>-report.html; - for standard output).")
  String out;

  @Mixin ServerOptions target;

  @Override
  public Integer call() throws Exception {
    StringBuilder query = new StringBuilder();
    if (from != null) {
      query.append("from=").append(URLEncoder.encode(from, StandardCharsets.UTF_8));
    }
    if (to != null) {
      query.append(query.length() == 0 ? "" : "&").append("to=").append(URLEncoder.encode(to, StandardCharsets.UTF_8));
    }
    HttpRequest.Builder req =
        target.request(
                "/v1/endpoints/" + URLEncoder.encode(endpoint, StandardCharsets.UTF_8) + "/report"
                    + (query.length() == 0 ? "" : "?" + query))
            .timeout(Duration.ofMinutes(5))
            .GET();
    HttpResponse<byte[]> resp;
    try {
      resp = HttpClient.newHttpClient().send(req.build(), HttpResponse.BodyHandlers.ofByteArray());
    } catch (java.net.ConnectException e) {
      System.err.println("cannot reach a Hindsight server at " + target.server + "; start one with ./hindsight serve");
      return 2;
    }
    if (resp.statusCode() != 200) {
      String body = new String(resp.body(), StandardCharsets.UTF_8);
      String message = body;
      try {
        JsonNode err = new ObjectMapper().readTree(body);
        if (err.has("error")) {
          message = err.get("error").asText();
        }
      } catch (java.io.IOException notJson) {
        // The body as it came.
      }
      System.err.println("error " + resp.statusCode() + ": " + message);
      return 1;
    }
    if ("-".equals(out)) {
      System.out.write(resp.body());
      System.out.flush();
      return 0;
    }
    Path file = Path.of(out == null ? endpoint + "-report.html" : out);
    Files.write(file, resp.body());
    System.out.println("wrote " + file.toAbsolutePath() + " (" + resp.body().length + " bytes)");
    return 0;
  }
}
