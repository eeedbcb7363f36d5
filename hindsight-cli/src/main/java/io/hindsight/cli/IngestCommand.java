package io.hindsight.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import java.io.IOException;
import java.io.InputStream;
import java.net.ConnectException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code hindsight ingest FILE...}: uploads the records of offline scoring jobs (a JSON array,
 * NDJSON, or CSV with a header row) in batches, with progress and a final count.
 *
 * <p>Data never stops an upload: a line that is not a record, or a record the server refuses, is
 * listed as {@code FILE:LINE: rejected: reason}, server warnings as {@code FILE:LINE: warning: ...},
 * and every other record is sent. A batch the server refuses as a whole (413, or 400 for a body)
 * is split and resent in halves until the record it trips on stands alone and is rejected. Each
 * request carries an {@code Idempotency-Key} made from the file's content and the lines it holds,
 * so running the same job again after a failure stores nothing twice.
 */
@Command(name = "ingest", mixinStandardHelpOptions = true, description = "Upload JSON, NDJSON or CSV records to an endpoint.")
final class IngestCommand implements Callable<Integer> {
  @Parameters(arity = "1..*", description = "Files: .json (an array or objects), .ndjson/.jsonl, or .csv.")
  List<Path> files;

  @Option(names = "--endpoint", required = true, description = "The endpoint the records belong to.")
  String endpoint;

  @Option(names = "--kind", description = "predictions, feedback or events (default: predictions).")
  String kind = "predictions";

  @Option(names = "--batch", description = "Records per request (default: 1000).")
  int batch = 1000;

  @Mixin ServerOptions target;

  @Option(names = "--max-listed", description = "Most rejections and warnings listed one by one (default: 100); all are counted.")
  int maxListed = 100;

  private final ObjectMapper json = new ObjectMapper();
  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
  private long accepted;
  private long rejected;
  private long warnings;
  private long listed;

  @Override
  public Integer call() throws Exception {
    if (!FlatRecords.isKind(kind)) {
      throw new IllegalArgumentException("--kind must be predictions, feedback or events");
    }
    // A request-level 400 must never be taken for a bad record (batches are split on 400).
    if (!endpoint.matches("[a-z0-9][a-z0-9_-]{0,63}")) {
      throw new IllegalArgumentException(
          "--endpoint '" + endpoint + "' is not an endpoint name: lower-case letters, digits, '_' and '-', at most 64");
    }
    if (batch < 1) {
      throw new IllegalArgumentException("--batch must be at least 1");
    }
    for (Path f : files) {
      if (!Files.isRegularFile(f)) {
        throw new IllegalArgumentException("no such file: " + f);
      }
    }
    for (Path f : files) {
      ingest(f);
    }
    System.out.printf(
        "done: %d accepted, %d rejected, %d warnings%s%n",
        accepted, rejected, warnings,
        listed > maxListed ? " (" + (listed - maxListed) + " not listed; raise --max-listed)" : "");
    return rejected == 0 ? 0 : 1;
  }

  private void ingest(Path file) throws Exception {
    String job = digest(file);
    long sent = 0;
    List<RecordFile.Item> chunk = new ArrayList<>();
    try (RecordFile in = RecordFile.open(file, kind)) {
      for (RecordFile.Item item = in.next(); item != null; item = in.next()) {
        if (item.error() != null) {
          reject(file, item.line(), item.error());
          continue;
        }
        chunk.add(item);
        if (chunk.size() == batch) {
          send(file, job, chunk);
          sent += chunk.size();
          chunk = new ArrayList<>();
          System.err.printf("%s: %d records sent%n", file.getFileName(), sent);
        }
      }
    }
    if (!chunk.isEmpty()) {
      send(file, job, chunk);
      sent += chunk.size();
    }
    System.err.printf("%s: %d records sent%n", file.getFileName(), sent);
  }

  private void send(Path file, String job, List<RecordFile.Item> records) throws Exception {
    ArrayNode body = json.createArrayNode();
    records.forEach(r -> body.add(r.record()));
    long first = records.get(0).line();
    long last = records.get(records.size() - 1).line();
    HttpResponse<String> r = post(json.writeValueAsBytes(body), "ingest-" + job + "-" + first + "-" + last);
    if (r.statusCode() == 413 || r.statusCode() == 400) {
      if (records.size() == 1) {
        reject(file, first, "the server refused it: " + error(r));
      } else {
        int half = records.size() / 2;
        send(file, job, records.subList(0, half));
        send(file, job, records.subList(half, records.size()));
      }
      return;
    }
    if (r.statusCode() != 200) {
      throw new IOException(file + " lines " + first + "-" + last + ": the server answered " + r.statusCode() + ": " + error(r));
    }
    JsonNode answer = json.readTree(r.body());
    accepted += answer.path("accepted").asLong();
    for (JsonNode w : answer.path("warnings")) {
      warnings++;
      list(file, records.get(w.path("index").asInt()).line(), "warning", w.path("warning").asText());
    }
    for (JsonNode rej : answer.path("rejected")) {
      reject(file, records.get(rej.path("index").asInt()).line(), rej.path("error").asText());
    }
  }

  private HttpResponse<String> post(byte[] body, String idempotencyKey) throws Exception {
    HttpRequest.Builder req =
        target.request("/v1/endpoints/" + endpoint + "/" + kind)
            .timeout(Duration.ofMinutes(2))
            .header("Content-Type", "application/json")
            .header("Idempotency-Key", idempotencyKey)
            .POST(HttpRequest.BodyPublishers.ofByteArray(body));
    for (int attempt = 1; ; attempt++) {
      try {
        HttpResponse<String> r = http.send(req.build(), HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() != 503 || attempt == 5) {
          return r;
        }
      } catch (ConnectException e) {
        if (attempt == 5) {
          throw new IOException("cannot reach a Hindsight server at " + target.server + "; start one with ./hindsight serve, or set --server or HINDSIGHT_URL");
        }
      }
      Thread.sleep(500L << attempt);
    }
  }

  private void reject(Path file, long line, String reason) {
    rejected++;
    list(file, line, "rejected", reason);
  }

  private void list(Path file, long line, String what, String text) {
    if (listed++ < maxListed) {
      System.err.printf("%s:%d: %s: %s%n", file, line, what, text);
    }
  }

  private String error(HttpResponse<String> r) {
    try {
      JsonNode e = json.readTree(r.body());
      if (e.hasNonNull("error")) {
        return e.get("error").asText();
      }
    } catch (IOException notJson) {
      // fall through to the body as it is
    }
    return r.body();
  }

  private static String digest(Path file) throws Exception {
    MessageDigest d = MessageDigest.getInstance("SHA-256");
    try (InputStream in = Files.newInputStream(file)) {
      byte[] buf = new byte[1 << 16];
      int n;
      while ((n = in.read(buf)) > 0) {
        d.update(buf, 0, n);
      }
    }
    return HexFormat.of().formatHex(d.digest(), 0, 12);
  }
}
