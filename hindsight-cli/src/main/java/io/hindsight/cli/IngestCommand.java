package io.hindsight.cli;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.MappingIterator;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.csv.CsvMapper;
import com.fasterxml.jackson.dataformat.csv.CsvSchema;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code hindsight ingest FILE...}: uploads the records of offline scoring jobs (a JSON array,
 * NDJSON, or CSV with a header row) in batches, with progress and a final count. Each batch
 * carries an {@code Idempotency-Key} made from the file's content and the batch's position, so
 * running the same job again after a failure stores nothing twice.
 */
@Command(name = "ingest", mixinStandardHelpOptions = true, description = "Upload JSON, NDJSON or CSV records to an endpoint.")
final class IngestCommand implements Callable<Integer> {
  /** CSV columns that are fields of a record rather than keys of its data, per kind. */
  private static final Map<String, Set<String>> TOP_LEVEL =
      Map.of(
          "predictions", Set.of("prediction_id", "ts", "model_version", "request_id"),
          "feedback", Set.of("prediction_id", "ts"),
          "events", Set.of("ts", "kind", "text"));

  @Parameters(arity = "1..*", description = "Files: .json (an array or one object), .ndjson/.jsonl, or .csv.")
  List<Path> files;

  @Option(names = "--endpoint", required = true, description = "The endpoint the records belong to.")
  String endpoint;

  @Option(names = "--kind", description = "predictions, feedback or events (default: predictions).")
  String kind = "predictions";

  @Option(names = "--batch", description = "Records per request (default: 1000).")
  int batch = 1000;

  @Option(names = "--server", description = "Server URL (default: http://127.0.0.1:7070).")
  String server = "http://127.0.0.1:7070";

  @Option(names = "--api-key", description = "API key with the write scope (or HINDSIGHT_API_KEY).")
  String apiKey = System.getenv("HINDSIGHT_API_KEY");

  private final ObjectMapper json = new ObjectMapper();
  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
  private long accepted;
  private long rejected;
  private long warnings;
  private int shownRejections;

  @Override
  public Integer call() throws Exception {
    if (!Set.of("predictions", "feedback", "events").contains(kind)) {
      throw new IllegalArgumentException("--kind must be predictions, feedback or events");
    }
    for (Path f : files) {
      if (!Files.isRegularFile(f)) {
        throw new IllegalArgumentException("no such file: " + f);
      }
      ingest(f);
    }
    System.out.printf("done: %d accepted, %d rejected, %d warnings%n", accepted, rejected, warnings);
    return rejected == 0 ? 0 : 1;
  }

  private void ingest(Path file) throws Exception {
    String job = digest(file);
    Iterator<ObjectNode> records = records(file);
    int index = 0;
    long sent = 0;
    ArrayNode chunk = json.createArrayNode();
    while (records.hasNext()) {
      chunk.add(records.next());
      if (chunk.size() == batch) {
        send(file, job, index++, chunk);
        sent += chunk.size();
        chunk = json.createArrayNode();
        System.err.printf("%s: %d records sent%n", file.getFileName(), sent);
      }
    }
    if (!chunk.isEmpty()) {
      send(file, job, index, chunk);
      sent += chunk.size();
    }
    System.err.printf("%s: %d records sent%n", file.getFileName(), sent);
  }

  private void send(Path file, String job, int index, ArrayNode chunk) throws Exception {
    HttpRequest.Builder req =
        HttpRequest.newBuilder(URI.create(server.replaceAll("/+$", "") + "/v1/endpoints/" + endpoint + "/" + kind))
            .timeout(Duration.ofMinutes(2))
            .header("Content-Type", "application/json")
            .header("Idempotency-Key", "ingest-" + job + "-" + index)
            .POST(HttpRequest.BodyPublishers.ofByteArray(json.writeValueAsBytes(chunk)));
    if (apiKey != null && !apiKey.isBlank()) {
      req.header("Authorization", "Bearer " + apiKey);
    }
    HttpResponse<String> r = null;
    for (int attempt = 1; attempt <= 5; attempt++) {
      try {
        r = http.send(req.build(), HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() != 503) {
          break;
        }
      } catch (java.net.ConnectException e) {
        if (attempt == 5) {
          throw new IOException("cannot reach a Hindsight server at " + server + "; start one with ./hindsight serve");
        }
      }
      Thread.sleep(500L << attempt);
    }
    if (r == null || r.statusCode() != 200) {
      throw new IOException(
          file.getFileName() + " batch " + index + ": the server answered " + (r == null ? "nothing" : r.statusCode() + " " + r.body()));
    }
    JsonNode answer = json.readTree(r.body());
    accepted += answer.path("accepted").asLong();
    warnings += answer.path("warnings").size();
    for (JsonNode rej : answer.path("rejected")) {
      rejected++;
      if (shownRejections++ < 10) {
        System.err.printf(
            "%s record %d rejected: %s%n", file.getFileName(), (long) index * batch + rej.path("index").asInt(), rej.path("error").asText());
      }
    }
  }

  /** Records of a file, read one at a time, so a large file never sits in memory. */
  private Iterator<ObjectNode> records(Path file) throws IOException {
    String name = file.getFileName().toString().toLowerCase(java.util.Locale.ROOT);
    if (name.endsWith(".csv")) {
      CsvMapper csv = new CsvMapper();
      MappingIterator<Map<String, String>> rows =
          csv.readerForMapOf(String.class).with(CsvSchema.emptySchema().withHeader()).readValues(file.toFile());
      return new Iterator<>() {
        @Override
        public boolean hasNext() {
          return rows.hasNext();
        }

        @Override
        public ObjectNode next() {
          return fromCsv(rows.next());
        }
      };
    }
    InputStream in = new BufferedInputStream(Files.newInputStream(file));
    JsonParser p = json.getFactory().createParser(in);
    JsonToken first = p.nextToken();
    if (first == JsonToken.START_ARRAY) {
      p.nextToken();
    }
    MappingIterator<ObjectNode> it = json.readerFor(ObjectNode.class).readValues(p);
    return it;
  }

  /** A CSV row: system columns at the top, the rest typed (number, boolean, text) in data. */
  private ObjectNode fromCsv(Map<String, String> row) {
    ObjectNode record = json.createObjectNode();
    ObjectNode data = record.putObject("data");
    for (Map.Entry<String, String> e : row.entrySet()) {
      String v = e.getValue();
      if (v == null || v.isEmpty()) {
        continue;
      }
      if (TOP_LEVEL.get(kind).contains(e.getKey())) {
        record.put(e.getKey(), v);
      } else if (v.equals("true") || v.equals("false")) {
        data.put(e.getKey(), Boolean.parseBoolean(v));
      } else if (v.matches("-?(0|[1-9][0-9]{0,17})")) {
        data.put(e.getKey(), Long.parseLong(v));
      } else if (v.matches("-?[0-9]+(\\.[0-9]+)?([eE][-+]?[0-9]+)?")) {
        data.put(e.getKey(), Double.parseDouble(v));
      } else {
        data.put(e.getKey(), v);
      }
    }
    return record;
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
