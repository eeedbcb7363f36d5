package io.hindsight.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.hindsight.server.ingest.HostileCorpusGenerator;
import io.hindsight.server.ingest.HostileCorpusGenerator.Kind;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * DESIGN §4 and §8 against a real server: every body of {@code src/test/resources/hostile-corpus/}
 * (written by {@link HostileCorpusGenerator}) is refused as a whole with the 4xx its file name
 * states and a JSON error that says what was wrong; the server stays up and stores nothing.
 */
class HostileCorpusTest {
  private static final Pattern NAME = Pattern.compile("(.+?)-(\\d{4})-(\\d{3})-(.+)\\.bin");
  private static final String[] TABLES = {"predictions", "predictions", "feedback", "predictions", "events"};

  @TempDir Path dir;

  @Test
  void everyHostileBodyIsRefusedAndNothingIsStored() throws Exception {
    List<Path> corpus = corpusFiles();
    assertThat(corpus).as("the committed corpus").hasSizeGreaterThanOrEqualTo(1_000);
    List<String> problems = new ArrayList<>();
    Map<Integer, Integer> byStatus = new HashMap<>();
    try (TestServer s = new TestServer(dir, c -> c.ingest.maxBodyBytes = HostileCorpusGenerator.MAX_BODY_BYTES)) {
      for (int i = 0; i < corpus.size(); i++) {
        Path file = corpus.get(i);
        String name = file.getFileName().toString();
        Matcher m = NAME.matcher(name);
        if (!m.matches()) {
          problems.add(name + ": the name does not say <kind>-<nnnn>-<status>-<what>.bin");
          continue;
        }
        Kind kind = Kind.ofFileName(name);
        int expected = Integer.parseInt(m.group(3));
        Map<String, String> headers = new HashMap<>();
        if (kind.contentEncoding != null) {
          headers.put("Content-Encoding", kind.contentEncoding);
        }
        String path = "/v1/endpoints/hostile/" + TABLES[i % TABLES.length];
        TestServer.Response r;
        try {
          r = s.post(path, kind.contentType, Files.readAllBytes(file), headers);
        } catch (UncheckedIOException e) {
          problems.add(name + ": no answer (" + e.getCause() + ")");
          continue;
        }
        byStatus.merge(r.status(), 1, Integer::sum);
        String problem = judge(r, expected);
        if (problem != null) {
          problems.add(name + " to " + path + ": " + problem);
        }
      }
      assertThat(problems).as("bodies not refused as DESIGN §4 says").isEmpty();
      assertThat(s.get("/health").status()).isEqualTo(200);
      s.flush();
      assertThat(s.scalar("SELECT count(*) FROM predictions").asLong()).isZero();
    }
    try (Stream<Path> files = Files.walk(dir)) {
      assertThat(files.filter(p -> p.toString().endsWith(".parquet")).map(dir::relativize))
          .as("Parquet files under the data folder")
          .isEmpty();
    }
    assertThat(byStatus.keySet()).as("statuses seen").contains(400, 413, 415);
  }

  /** What is wrong with an answer, or null when it is the expected refusal. */
  private static String judge(TestServer.Response r, int expected) {
    if (r.status() != expected) {
      return "expected " + expected + " but got " + r.status() + ": " + abbreviate(r.body());
    }
    JsonNode body;
    try {
      body = r.json();
    } catch (UncheckedIOException e) {
      return "the " + r.status() + " answer is not JSON: " + abbreviate(r.body());
    }
    JsonNode error = body.get("error");
    if (error == null || !error.isTextual() || error.asText().isBlank()) {
      return "the " + r.status() + " answer has no error message: " + abbreviate(r.body());
    }
    return null;
  }

  private static List<Path> corpusFiles() throws IOException, URISyntaxException {
    Path folder = Path.of(HostileCorpusTest.class.getResource("/hostile-corpus").toURI());
    try (Stream<Path> files = Files.list(folder)) {
      return files.filter(p -> p.toString().endsWith(".bin")).sorted().toList();
    }
  }

  private static String abbreviate(String s) {
    return s.length() <= 300 ? s : s.substring(0, 297) + "...";
  }
}
