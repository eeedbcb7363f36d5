package io.hindsight.bench.server;

import java.nio.file.Path;
import java.util.Map;
import java.util.Set;

/**
 * Restart after a shutdown that left a backlog in the write-ahead log (bench/shutdown.sh): starts
 * the server on the data folder, then reports when it answered {@code /health}, when it took a
 * record again (it reads the log first, answering 503 meanwhile; another endpoint's record, resent
 * after each 503 as the SDK does) and when SQL counted every expected record of the endpoint.
 */
public final class RestartBenchmark {
  private RestartBenchmark() {}

  public static void main(String[] args) throws Exception {
    Flags f = new Flags(args, Set.of("--data-dir", "--endpoint", "--expect", "--server-jvm-opts"), Set.of());
    Path dataDir = Path.of(f.string("--data-dir", null));
    String endpoint = f.string("--endpoint", "bench-fraud");
    long expect = f.longValue("--expect", 0);
    long started = System.nanoTime();
    try (ServerProcess server = ServerProcess.start(dataDir, LoadGenerator.jvmOptions(f.string("--server-jvm-opts", "")), null)) {
      System.out.printf("restart: answering /health after %.2f s%n", (System.nanoTime() - started) / 1e9);
      HindsightHttp http = new HindsightHttp(server.url());
      byte[] probe = "[{\"prediction_id\": \"restart-probe\", \"data\": {\"x\": 1}}]".getBytes(java.nio.charset.StandardCharsets.UTF_8);
      HindsightHttp.Answer taken = http.ingest("bench-restart-probe", probe, probe.length, false);
      System.out.printf("restart: a record taken (%d) after %.2f s%n", taken.status(), (System.nanoTime() - started) / 1e9);
      long count = -1;
      while (count < expect) {
        HindsightHttp.Answer a = http.query("SELECT count(*) AS n FROM predictions WHERE endpoint = ?", endpoint);
        count = a.status() == 200 ? a.json().get("rows").get(0).get(0).asLong() : -1;
        if (count < expect) {
          Thread.sleep(200);
        }
      }
      System.out.printf("restart: all %,d records in SQL after %.2f s%n", count, (System.nanoTime() - started) / 1e9);
    }
  }
}
