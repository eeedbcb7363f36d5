package io.hindsight.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.PrintStream;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code hindsight query "SQL"}: runs SQL on a server and prints a table, CSV or JSON. */
@Command(name = "query", mixinStandardHelpOptions = true, description = "Run a SQL query against a Hindsight server.")
final class QueryCommand implements Callable<Integer> {
  enum Format {
    table,
    csv,
    json
  }

  @Parameters(index = "0", description = "The SQL, e.g. \"SELECT count(*) FROM predictions\".")
  String sql;

  @Option(names = "--format", description = "table, csv or json (default: table).")
  Format format = Format.table;

  @Mixin ServerOptions target;

  @Option(names = "--limit", description = "Most rows to return (default: the server's, 10000).")
  Integer limit;

  private final ObjectMapper json = new ObjectMapper();

  @Override
  public Integer call() throws Exception {
    Map<String, Object> body = limit == null ? Map.of("sql", sql) : Map.of("sql", sql, "limit", limit);
    HttpRequest.Builder req =
        target.request("/v1/query")
            .timeout(Duration.ofMinutes(5))
            .header("Content-Type", "application/json")
            .header("Accept", format == Format.csv ? "text/csv" : "application/json")
            .POST(HttpRequest.BodyPublishers.ofByteArray(json.writeValueAsBytes(body)));
    HttpResponse<String> resp;
    try {
      resp = HttpClient.newHttpClient().send(req.build(), HttpResponse.BodyHandlers.ofString());
    } catch (java.net.ConnectException e) {
      System.err.println("cannot reach a Hindsight server at " + target.server + "; start one with ./hindsight serve");
      return 2;
    }
    if (resp.statusCode() != 200) {
      JsonNode err = parseOrNull(resp.body());
      System.err.println("error " + resp.statusCode() + ": " + (err != null && err.has("error") ? err.get("error").asText() : resp.body()));
      return 1;
    }
    PrintStream out = System.out;
    if (format != Format.table) {
      out.print(resp.body());
      if (!resp.body().endsWith("\n")) {
        out.println();
      }
      return 0;
    }
    printTable(json.readTree(resp.body()), out);
    return 0;
  }

  private JsonNode parseOrNull(String s) {
    try {
      return json.readTree(s);
    } catch (Exception e) {
      return null;
    }
  }

  static void printTable(JsonNode result, PrintStream out) {
    List<String> names = new ArrayList<>();
    result.get("columns").forEach(c -> names.add(c.get("name").asText()));
    List<String[]> rows = new ArrayList<>();
    for (JsonNode r : result.get("rows")) {
      String[] cells = new String[names.size()];
      for (int i = 0; i < cells.length; i++) {
        JsonNode v = r.get(i);
        cells[i] = v == null || v.isNull() ? "NULL" : v.isTextual() ? v.asText() : v.toString();
      }
      rows.add(cells);
    }
    int[] width = new int[names.size()];
    for (int i = 0; i < width.length; i++) {
      width[i] = names.get(i).length();
      for (String[] r : rows) {
        width[i] = Math.min(60, Math.max(width[i], r[i].length()));
      }
    }
    StringBuilder sep = new StringBuilder("+");
    for (int w : width) {
      sep.append("-".repeat(w + 2)).append('+');
    }
    out.println(sep);
    out.println(line(names.toArray(new String[0]), width));
    out.println(sep);
    for (String[] r : rows) {
      out.println(line(r, width));
    }
    out.println(sep);
    out.println(rows.size() + (rows.size() == 1 ? " row" : " rows")
        + (result.path("truncated").asBoolean() ? " (truncated; raise --limit)" : "")
        // Tables the command line composes itself (the demo's) took no query time to tell.
        + (result.has("elapsed_ms") ? " in " + result.get("elapsed_ms").asLong() + " ms" : ""));
  }

  private static String line(String[] cells, int[] width) {
    StringBuilder sb = new StringBuilder("|");
    for (int i = 0; i < cells.length; i++) {
      String c = cells[i].length() > width[i] ? cells[i].substring(0, width[i] - 1) + "…" : cells[i];
      sb.append(' ').append(c).append(" ".repeat(width[i] - c.length())).append(" |");
    }
    return sb.toString();
  }
}
