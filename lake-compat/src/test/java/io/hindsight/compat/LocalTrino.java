package io.hindsight.compat;

import io.hindsight.server.objects.LocalS3;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.time.Duration;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.TimeUnit;

/**
 * A single-node Trino server (coordinator and worker) in its own JVM, with one Hive catalog,
 * {@code lake}, over an S3-compatible store and a file metastore kept in that store. Built from
 * the {@code trino-server-core} tarball and the {@code trino-hive} plugin that the {@code trino}
 * Maven profile unpacks; Trino needs Java 24 or later, given by {@code trino.java}.
 */
final class LocalTrino implements AutoCloseable {
  private static final Duration START_TIMEOUT = Duration.ofMinutes(3);

  private final Process process;
  private final Path log;
  private final int port;

  private LocalTrino(Process process, Path log, int port) {
    this.process = process;
    this.log = log;
    this.port = port;
  }

  /** Starts Trino with its configuration and data under {@code workDir}; returns once it serves queries. */
  static LocalTrino start(Path workDir, LocalS3 store, String metastoreLocation) throws Exception {
    Path home = Path.of(required("trino.home"));
    int port = freePort();
    Path etc = Files.createDirectories(workDir.resolve("etc"));
    Files.createDirectories(etc.resolve("catalog"));
    Files.writeString(etc.resolve("config.properties"), String.join("\n",
        "coordinator=true",
        "node-scheduler.include-coordinator=true",
        "http-server.http.port=" + port,
        "discovery.uri=http://127.0.0.1:" + port,
        "query.max-memory=256MB",
        "query.max-memory-per-node=256MB",
        ""));
    // The recipe docs/DEPLOY.md ("Trino") gives, with this store's endpoint and keys.
    Files.writeString(etc.resolve("catalog/lake.properties"), String.join("\n",
        "connector.name=hive",
        "hive.metastore=file",
        "hive.metastore.catalog.dir=" + metastoreLocation,
        "hive.timestamp-precision=MICROSECONDS",
        "fs.native-s3.enabled=true",
        "s3.endpoint=" + store.endpoint(),
        "s3.region=" + LocalS3.REGION,
        "s3.path-style-access=true",
        "s3.aws-access-key=" + LocalS3.ACCESS_KEY,
        "s3.aws-secret-key=" + LocalS3.SECRET_KEY,
        ""));
    Path log = workDir.resolve("trino.log");
    Process process = new ProcessBuilder(List.of(
            required("trino.java"),
            "-Xmx1g",
            "-XX:+UseSerialGC",
            "-XX:TieredStopAtLevel=1",
            // Stores other than AWS refuse the SDK's newer default checksums.
            "-Daws.requestChecksumCalculation=WHEN_REQUIRED",
            "-Daws.responseChecksumValidation=WHEN_REQUIRED",
            "-Dnode.environment=test",
            "-Dnode.id=lake-compat",
            "-Dnode.data-dir=" + workDir.resolve("data"),
            "-Dconfig=" + etc.resolve("config.properties"),
            "-Dcatalog.config-dir=" + etc.resolve("catalog"),
            "-Dplugin.dir=" + home.resolve("plugin"),
            "-cp", home.resolve("lib") + "/*",
            "io.trino.server.TrinoServer"))
        .directory(workDir.toFile()) // Trino writes its request log (var/log) below its working folder.
        .redirectErrorStream(true)
        .redirectOutput(log.toFile())
        .start();
    LocalTrino trino = new LocalTrino(process, log, port);
    try {
      trino.awaitStarted();
    } catch (Exception e) {
      trino.close();
      throw e;
    }
    return trino;
  }

  Connection connect() throws SQLException {
    Properties p = new Properties();
    p.setProperty("user", "lake-compat");
    return DriverManager.getConnection("jdbc:trino://127.0.0.1:" + port + "/lake", p);
  }

  private void awaitStarted() throws Exception {
    HttpClient http = HttpClient.newHttpClient();
    ObjectMapper json = new ObjectMapper();
    long deadline = System.nanoTime() + START_TIMEOUT.toNanos();
    while (System.nanoTime() < deadline) {
      if (!process.isAlive()) {
        throw new IllegalStateException("Trino exited with " + process.exitValue() + "; its log: " + tail());
      }
      try {
        HttpResponse<String> info = http.send(
            HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/v1/info"))
                .timeout(Duration.ofSeconds(2)).build(),
            HttpResponse.BodyHandlers.ofString());
        JsonNode body = info.statusCode() == 200 ? json.readTree(info.body()) : null;
        if (body != null && !body.path("starting").asBoolean(true)) {
          return;
        }
      } catch (IOException notYetListening) {
        // The HTTP server comes up part way through the start.
      }
      Thread.sleep(250);
    }
    throw new IllegalStateException("Trino did not start within " + START_TIMEOUT + "; its log: " + tail());
  }

  private String tail() throws IOException {
    List<String> lines = Files.readAllLines(log);
    return String.join("\n", lines.subList(Math.max(0, lines.size() - 40), lines.size()));
  }

  private static String required(String property) {
    String value = System.getProperty(property);
    if (value == null) {
      throw new IllegalStateException(property + " is not set: run these tests with mvn -Ptrino");
    }
    return value;
  }

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }

  @Override
  public void close() throws InterruptedException {
    process.destroy();
    if (!process.waitFor(20, TimeUnit.SECONDS)) {
      process.destroyForcibly().waitFor();
    }
  }
}
