package io.hindsight.server;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A lake file cut short by something outside the server (a failing disk, an unfinished copy) is
 * moved out of the lake once a read fails on it (a query, or the views built at start): queries,
 * lookups and merges over the rest of its table work again, and {@code GET /health} names the file and what
 * to do for as long as it is out.
 */
class DamagedLakeFileTest {
  @TempDir Path dir;

  @Test
  void aFileCutShortIsMovedOutOfTheLakeAndTheRestIsAnsweredWhileHealthNamesIt() throws Exception {
    Path data = dir.resolve("data");
    Path damaged;
    try (TestServer s = new TestServer(data)) {
      for (int batch = 0; batch < 3; batch++) {
        assertThat(s.predictions("e", records(batch)).status()).isEqualTo(200);
        s.flush();
      }
      List<Path> files = lakeFiles(data);
      assertThat(files).hasSize(3);
      damaged = files.get(1);
      cutShort(damaged);

      // The first query over the damaged file may fail on it; it names the file, which is then moved.
      assertThat(countOnceAnswered(s)).as("the two intact files' rows").isEqualTo(20);

      Path moved = data.resolve("damaged").resolve(data.resolve("lake").relativize(damaged));
      assertThat(moved).exists();
      assertThat(damaged).doesNotExist();
      assertThat(s.get("/health").json().toString())
          .contains("\"degraded\"")
          .contains("1 lake file(s) could not be read and were moved to " + data.toAbsolutePath().resolve("damaged"))
          .contains(damaged.getFileName().toString())
          .contains("restore them into the lake from a backup");
      assertThat(s.get("/v1/endpoints/e/predictions/b2-3").status()).isEqualTo(200);
      assertThat(s.get("/v1/endpoints/e/predictions/b1-3").status()).as("a record of the damaged file").isEqualTo(404);
    }

    // Damaged while the server was down: found at start, where the views read every file's footer.
    Path second = lakeFiles(data).get(0);
    cutShort(second);
    try (TestServer s = new TestServer(data)) {
      assertThat(countOnceAnswered(s)).isEqualTo(10);
      assertThat(s.get("/health").json().toString()).contains("2 lake file(s) could not be read");
      s.predictions("e", records(3));
      s.flush();
      assertThat(s.scalar("SELECT count(*) FROM predictions").asLong()).isEqualTo(20);
    }
  }

  /** The predictions' count, asked until a query is answered (one failing on the damaged file may come first). */
  private static long countOnceAnswered(TestServer s) throws InterruptedException {
    long deadline = System.nanoTime() + 20_000_000_000L;
    TestServer.Response r = s.queryResponse("SELECT count(*) AS n FROM predictions");
    while (r.status() != 200 && System.nanoTime() < deadline) {
      Thread.sleep(100);
      r = s.queryResponse("SELECT count(*) AS n FROM predictions");
    }
    assertThat(r.status()).as(r.body()).isEqualTo(200);
    return r.json().path("rows").get(0).get(0).asLong();
  }

  private static String records(int batch) {
    StringBuilder body = new StringBuilder("[");
    for (int i = 0; i < 10; i++) {
      body.append(i == 0 ? "" : ",").append("{\"prediction_id\": \"b").append(batch).append('-').append(i)
          .append("\", \"data\": {\"x\": ").append(i).append("}}");
    }
    return body.append(']').toString();
  }

  private static List<Path> lakeFiles(Path data) throws Exception {
    try (Stream<Path> s = Files.walk(data.resolve("lake").resolve("predictions"))) {
      return s.filter(p -> p.getFileName().toString().startsWith("part-")).sorted().toList();
    }
  }

  private static void cutShort(Path file) throws Exception {
    try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "rw")) {
      f.setLength(f.length() / 2);
    }
  }
}
