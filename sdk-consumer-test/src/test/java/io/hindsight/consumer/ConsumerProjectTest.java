package io.hindsight.consumer;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.hindsight.server.HindsightServer;
import io.hindsight.server.ServerConfig;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import javax.xml.parsers.DocumentBuilderFactory;
import javax.xml.xpath.XPathFactory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.w3c.dom.Document;

/**
 * The SDK as a user gets it: a separate project that names only {@code io.hindsight:hindsight-sdk}
 * is built with Maven, offline, against a local repository in which the only Hindsight artifact is
 * the SDK's jar and its (flattened) POM — no parent POM in reach — and then runs against a live
 * server, whose SQL must show its predictions.
 *
 * <p>The local repository is the build's own one (for Maven's plugins; the SDK needs nothing but
 * the JDK) seen through links, with every {@code io.hindsight} artifact left out.
 */
class ConsumerProjectTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String VERSION = System.getProperty("hindsight.version");
  private static final Path SDK_TARGET = Path.of(System.getProperty("sdk.target"));

  @TempDir Path dir;

  @Test
  @Timeout(value = 3, unit = TimeUnit.MINUTES)
  void aProjectWithOnlyTheSdkArtifactBuildsOfflineAndItsPredictionsArrive() throws Exception {
    assertThat(System.getProperty("maven.home")).as("run through Maven: mvn test -pl sdk-consumer-test -am").isNotNull();
    Path jar = SDK_TARGET.resolve("hindsight-sdk-" + VERSION + ".jar");
    Path pom = SDK_TARGET.resolve(".flattened-pom.xml");
    assertThat(jar).as("the SDK jar; run from the root: mvn test -pl sdk-consumer-test -am").isRegularFile();
    assertThat(pom).as("the SDK's flattened POM").isRegularFile();

    Path repo = repositoryWithoutHindsight(dir.resolve("repo"));
    Path installed = repo.resolve("io/hindsight/hindsight-sdk/" + VERSION);
    Files.createDirectories(installed);
    Files.copy(jar, installed.resolve("hindsight-sdk-" + VERSION + ".jar"));
    Files.copy(pom, installed.resolve("hindsight-sdk-" + VERSION + ".pom"));

    Path project = consumerProject(dir.resolve("scoring-job"));
    Process build =
        new ProcessBuilder(
                Path.of(System.getProperty("maven.home"), "bin", "mvn").toString(),
                "-B", "-o", "-q",
                "-s", Files.writeString(dir.resolve("settings.xml"), "<settings/>").toString(),
                "-Dmaven.repo.local=" + repo,
                "compile")
            .directory(project.toFile())
            .redirectErrorStream(true)
            .start();
    String buildLog = output(build, 150);
    assertThat(build.exitValue()).as("the consumer project's build:\n%s", buildLog).isZero();

    ServerConfig config = new ServerConfig();
    config.dataDir = dir.resolve("data");
    config.port = 0;
    try (HindsightServer server = HindsightServer.start(config)) {
      Process job =
          new ProcessBuilder(
                  Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                  "-cp", project.resolve("target/classes") + java.io.File.pathSeparator + installed.resolve("hindsight-sdk-" + VERSION + ".jar"),
                  "com.example.scoring.ScoringJob",
                  "http://127.0.0.1:" + server.port())
              .redirectErrorStream(true)
              .start();
      String jobLog = output(job, 60);
      assertThat(job.exitValue()).as(jobLog).isZero();
      assertThat(jobLog).contains("sdk " + VERSION + " flushed true");

      server.flushLake();
      JsonNode rows =
          query(server, "SELECT p.prediction_id, p.model_version, p.amount, p.decision, f.label"
              + " FROM predictions p LEFT JOIN feedback f USING (prediction_id)"
              + " WHERE p.endpoint = 'consumer-scoring' ORDER BY 1");
      assertThat(rows.toString())
          .isEqualTo("[[\"job-1\",\"v1\",100.0,\"approved\",null],[\"job-2\",\"v1\",200.0,\"approved\",null],"
              + "[\"job-3\",\"v1\",300.0,\"declined\",\"fraud\"]]");
    }
  }

  /** The build's local repository seen through symbolic links, with every io.hindsight artifact left out. */
  private static Path repositoryWithoutHindsight(Path view) throws IOException {
    Path outer = Path.of(System.getProperty("maven.repository"));
    Files.createDirectories(view.resolve("io"));
    try (Stream<Path> top = Files.list(outer); Stream<Path> io = Files.list(outer.resolve("io"))) {
      for (Path p : (Iterable<Path>) top::iterator) {
        if (!p.getFileName().toString().equals("io")) {
          Files.createSymbolicLink(view.resolve(p.getFileName().toString()), p);
        }
      }
      for (Path p : (Iterable<Path>) io::iterator) {
        if (!p.getFileName().toString().equals("hindsight")) {
          Files.createSymbolicLink(view.resolve("io").resolve(p.getFileName().toString()), p);
        }
      }
    }
    return view;
  }

  /** The project from src/test/resources, with the SDK version and the build's own plugin versions filled in. */
  private static Path consumerProject(Path project) throws Exception {
    Path source = Path.of(ConsumerProjectTest.class.getResource("/consumer-project/pom.xml").toURI()).getParent();
    try (Stream<Path> files = Files.walk(source)) {
      for (Path f : (Iterable<Path>) files::iterator) {
        Path target = project.resolve(source.relativize(f).toString());
        if (Files.isDirectory(f)) {
          Files.createDirectories(target);
        } else {
          Files.copy(f, target);
        }
      }
    }
    Path pom = project.resolve("pom.xml");
    Files.writeString(
        pom,
        Files.readString(pom)
            .replace("@hindsight.version@", VERSION)
            .replace("@resources.plugin.version@", managedPluginVersion("maven-resources-plugin"))
            .replace("@compiler.plugin.version@", managedPluginVersion("maven-compiler-plugin")));
    return project;
  }

  /** A plugin version from the root POM's pluginManagement: the build has it in its local repository. */
  private static String managedPluginVersion(String artifactId) throws Exception {
    Document root = DocumentBuilderFactory.newInstance().newDocumentBuilder().parse(SDK_TARGET.resolve("../../pom.xml").toFile());
    String version =
        XPathFactory.newInstance()
            .newXPath()
            .evaluate("/project/build/pluginManagement/plugins/plugin[artifactId='" + artifactId + "']/version", root);
    assertThat(version).as(artifactId + " in the root POM's pluginManagement").isNotBlank();
    return version;
  }

  private static String output(Process p, int timeoutSeconds) throws Exception {
    List<String> lines = new ArrayList<>();
    Thread reader =
        new Thread(
            () -> {
              try (InputStream in = p.getInputStream()) {
                lines.add(new String(in.readAllBytes(), StandardCharsets.UTF_8));
              } catch (IOException ignored) {
                // the process was ended
              }
            });
    reader.start();
    if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
      p.destroyForcibly();
    }
    reader.join(5000);
    return String.join("", lines);
  }

  private static JsonNode query(HindsightServer server, String sql) throws Exception {
    HttpRequest req =
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + "/v1/query"))
            .header("Content-Type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofString(JSON.writeValueAsString(Map.of("sql", sql))))
            .build();
    HttpResponse<String> r = HttpClient.newHttpClient().send(req, HttpResponse.BodyHandlers.ofString());
    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    return JSON.readTree(r.body()).get("rows");
  }
}
