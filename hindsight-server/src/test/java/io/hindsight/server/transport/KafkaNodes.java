package io.hindsight.server.transport;

import io.hindsight.server.ChildServer;
import io.hindsight.server.HindsightServer;
import io.hindsight.server.Role;
import io.hindsight.server.ServerConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Servers of the Kafka tests: their settings, a server of a role in a JVM of its own (killable
 * with {@code kill -9}), and the lake's rows counted by id with DuckDB straight from its files.
 */
final class KafkaNodes {
  private KafkaNodes() {}

  /** A server of {@code role} on {@code broker}, with settings that keep tests quick. */
  static void configure(ServerConfig c, Role role, String bootstrapServers, String topic) {
    c.port = 0;
    c.role = role;
    c.transport.type = "kafka";
    c.transport.bootstrapServers = bootstrapServers;
    c.transport.topic = topic;
    c.transport.partitions = 4;
    c.transport.ackTimeout = Duration.ofSeconds(2);
    // A killed writer's partitions move to another one after this, instead of Kafka's default 45 s.
    c.transport.client.put("session.timeout.ms", "6000");
    c.transport.client.put("heartbeat.interval.ms", "1000");
    c.lake.flushInterval = Duration.ofMillis(200);
    // Writers merge files while they are killed and take partitions over.
    c.lake.compactionInterval = Duration.ofSeconds(1);
  }

  /** As {@link #configure}, with the lake of record at {@code lakeUri} in the store at {@code s3Endpoint}. */
  static void configure(ServerConfig c, Role role, String bootstrapServers, String topic, String s3Endpoint, String lakeUri) {
    configure(c, role, bootstrapServers, topic);
    c.lake.uri = lakeUri;
    c.lake.s3.endpoint = s3Endpoint;
    c.lake.s3.pathStyle = true;
    c.lake.s3.region = "us-east-1";
    c.lake.s3.accessKey = io.hindsight.server.objects.LocalS3.ACCESS_KEY;
    c.lake.s3.secretKey = io.hindsight.server.objects.LocalS3.SECRET_KEY;
  }

  /**
   * Runs a server in its own JVM. Args: the data folder, a file to write the port to, the role, the
   * bootstrap servers, the topic and, for a lake on object storage, the store's URL and the lake's URI.
   */
  public static final class Main {
    public static void main(String[] args) throws Exception {
      ServerConfig c = new ServerConfig();
      c.dataDir = Path.of(args[0]);
      if (args.length > 5) {
        configure(c, Role.of(args[2]), args[3], args[4], args[5], args[6]);
      } else {
        configure(c, Role.of(args[2]), args[3], args[4]);
      }
      HindsightServer s = HindsightServer.start(c);
      // SIGTERM ({@link Child#stop}) closes the server as `hindsight serve` does: a merge in progress ends.
      Runtime.getRuntime().addShutdownHook(new Thread(s::close, "hindsight-shutdown"));
      Files.writeString(Path.of(args[1]), Integer.toString(s.port()));
      // The test holds this process's stdin: when the test's JVM ends, however it ends, so does this one.
      while (System.in.read() >= 0) {
        // Nothing is sent; only the end counts.
      }
      Runtime.getRuntime().halt(1);
    }
  }

  /** A server in a JVM of its own, and where it says its port. */
  record Child(Process process, Path data, Path log) {
    /** Waits (at most 60 s) until the server listens, and returns its port. */
    int awaitPort() throws IOException, InterruptedException {
      Path portFile = portFile(data);
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
      while (!Files.exists(portFile) || Files.readString(portFile).isBlank()) {
        if (!process.isAlive() || System.nanoTime() > deadline) {
          process.destroyForcibly();
          List<String> lines = Files.readAllLines(log);
          throw new AssertionError(
              "child server did not start:\n" + String.join("\n", lines.subList(Math.max(0, lines.size() - 30), lines.size())));
        }
        Thread.sleep(50);
      }
      return Integer.parseInt(Files.readString(portFile).trim());
    }

    /** {@code kill -9}. */
    void kill() throws InterruptedException {
      process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
    }

    /** SIGTERM, and {@code kill -9} if the server has not stopped within 30 s. */
    void stop() throws InterruptedException {
      process.destroy();
      if (!process.waitFor(30, TimeUnit.SECONDS)) {
        kill();
      }
    }
  }

  private static Path portFile(Path data) {
    return data.resolveSibling(data.getFileName() + ".port");
  }

  /** Starts a server of {@code role} in a JVM of its own; {@link Child#awaitPort} waits until it listens. */
  static Child startChild(Path data, Role role, String bootstrapServers, String topic, String... lakeStore) throws IOException {
    Files.deleteIfExists(portFile(data));
    Path log = data.resolveSibling(data.getFileName() + ".log");
    String java = ProcessHandle.current().info().command().orElse("java");
    List<String> command = new java.util.ArrayList<>(List.of(
        java, ChildServer.ADD_OPENS, "-Xmx256m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-cp", System.getProperty("java.class.path"),
        Main.class.getName(), data.toString(), portFile(data).toString(), role.publicName(), bootstrapServers, topic));
    command.addAll(List.of(lakeStore));
    Process p =
        new ProcessBuilder(command)
            .redirectErrorStream(true)
            .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
            .start();
    return new Child(p, data, log);
  }

  /**
   * Each prediction id in the lake under {@code lakeRoot} with how often it is there; read again
   * when a merge removed a file between the listing and the read.
   */
  static Map<String, Integer> idsInLake(Path lakeRoot) throws SQLException, IOException {
    for (int attempt = 1; ; attempt++) {
      try {
        return idsInLakeOnce(lakeRoot);
      } catch (SQLException e) {
        if (attempt == 20 || !e.getMessage().contains("No such file")) {
          throw e;
        }
      }
    }
  }

  private static Map<String, Integer> idsInLakeOnce(Path lakeRoot) throws SQLException, IOException {
    Map<String, Integer> counts = new HashMap<>();
    Path predictions = lakeRoot.resolve("predictions");
    try (Connection c = DriverManager.getConnection("jdbc:duckdb:");
        Statement st = c.createStatement()) {
      String glob = predictions.toRealPath() + "/*/*/part-*.parquet";
      try (ResultSet rs =
          st.executeQuery(
              "SELECT prediction_id, count(*) FROM read_parquet('" + glob + "', hive_partitioning = true, union_by_name = true)"
                  + " GROUP BY 1")) {
        while (rs.next()) {
          counts.put(rs.getString(1), rs.getInt(2));
        }
      } catch (SQLException e) {
        if (e.getMessage().contains("No files found")) {
          return counts;
        }
        throw e;
      }
    }
    return counts;
  }

  /** The lake files that hold each of {@code ids}, for a failure to name. */
  static Map<String, List<String>> filesHolding(Path lakeRoot, List<String> ids) throws SQLException, IOException {
    Map<String, List<String>> out = new java.util.TreeMap<>();
    String glob = lakeRoot.resolve("predictions").toRealPath() + "/*/*/part-*.parquet";
    try (Connection c = DriverManager.getConnection("jdbc:duckdb:");
        Statement st = c.createStatement();
        ResultSet rs = st.executeQuery(
            "SELECT prediction_id, filename FROM read_parquet('" + glob + "', filename = true, union_by_name = true)"
                + " WHERE prediction_id IN (" + String.join(", ", ids.stream().map(id -> "'" + id + "'").toList()) + ")")) {
      while (rs.next()) {
        out.computeIfAbsent(rs.getString(1), k -> new java.util.ArrayList<>()).add(lakeRoot.relativize(Path.of(rs.getString(2))).toString());
      }
    }
    return out;
  }

  /** Waits (at most {@code timeout}) until every id of {@code expected} is in the lake. */
  static Map<String, Integer> awaitInLake(Path lakeRoot, java.util.Collection<String> expected, Duration timeout)
      throws SQLException, IOException, InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (true) {
      Map<String, Integer> counts = idsInLake(lakeRoot);
      if (counts.keySet().containsAll(expected) || System.nanoTime() > deadline) {
        return counts;
      }
      Thread.sleep(200);
    }
  }

  /** A JSON array of predictions with these ids. */
  static String batch(List<String> ids) {
    StringBuilder body = new StringBuilder("[");
    for (int i = 0; i < ids.size(); i++) {
      body.append(i == 0 ? "" : ",")
          .append("{\"prediction_id\": \"").append(ids.get(i)).append("\", \"data\": {\"score\": ").append(i)
          .append(", \"payload\": \"").append("z".repeat(100)).append("\"}}");
    }
    return body.append("]").toString();
  }
}
