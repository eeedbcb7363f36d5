package io.hindsight.compat;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.hindsight.server.ServerConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Kubernetes manifests of docs/DEPLOY.md parse, and each workload has what the guide promises:
 * probes on {@code /health}, 30 s of grace after SIGTERM, volumes and config maps that exist, and
 * Services that select pods. The single node's configuration is one the server accepts.
 */
class DeployManifestsTest {
  private static final Path MANIFESTS = Path.of("..", "deploy", "kubernetes");
  private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());

  @Test
  void everyDocumentNamesItsKind() throws IOException {
    List<JsonNode> docs = documents();

    assertThat(docs).extracting(d -> d.path("kind").asText())
        .contains("ConfigMap", "Service", "StatefulSet", "Deployment");
    for (JsonNode d : docs) {
      assertThat(d.path("apiVersion").asText()).as("apiVersion of %s", d).isNotEmpty();
      assertThat(d.path("metadata").path("name").asText()).as("name of %s", d).isNotEmpty();
    }
  }

  @Test
  void everyWorkloadIsProbedOnHealthAndStopsWithinItsGrace() throws IOException {
    List<JsonNode> workloads = workloads(documents());

    assertThat(workloads).extracting(w -> w.path("metadata").path("name").asText())
        .containsExactlyInAnyOrder("hindsight", "hindsight-ingest", "hindsight-writer", "hindsight-query",
            "hindsight-monitor");
    for (JsonNode w : workloads) {
      JsonNode pod = w.path("spec").path("template").path("spec");
      String name = w.path("metadata").path("name").asText();
      assertThat(pod.path("terminationGracePeriodSeconds").asInt()).as(name).isEqualTo(30);
      for (JsonNode c : pod.path("containers")) {
        for (String probe : List.of("startupProbe", "livenessProbe", "readinessProbe")) {
          assertThat(c.path(probe).path("httpGet").path("path").asText()).as("%s %s", name, probe).isEqualTo("/health");
          assertThat(c.path(probe).path("httpGet").path("port").asText()).as("%s %s", name, probe).isEqualTo("http");
        }
        assertThat(c.path("ports").get(0).path("name").asText()).isEqualTo("http");
        assertThat(c.path("ports").get(0).path("containerPort").asInt()).isEqualTo(7070);
      }
    }
  }

  @Test
  void everyVolumeAndConfigMapAWorkloadUsesExists() throws IOException {
    List<JsonNode> docs = documents();
    Set<String> configMaps = new HashSet<>();
    for (JsonNode d : docs) {
      if (d.path("kind").asText().equals("ConfigMap")) {
        configMaps.add(d.path("metadata").path("name").asText());
      }
    }
    for (JsonNode w : workloads(docs)) {
      JsonNode pod = w.path("spec").path("template").path("spec");
      Set<String> volumes = new HashSet<>();
      pod.path("volumes").forEach(v -> volumes.add(v.path("name").asText()));
      w.path("spec").path("volumeClaimTemplates").forEach(v -> volumes.add(v.path("metadata").path("name").asText()));
      pod.path("volumes").forEach(v -> {
        if (v.has("configMap")) {
          assertThat(configMaps).contains(v.path("configMap").path("name").asText());
        }
      });
      for (JsonNode c : pod.path("containers")) {
        c.path("volumeMounts").forEach(m -> assertThat(volumes).as(w.path("metadata").path("name").asText())
            .contains(m.path("name").asText()));
      }
      assertThat(labels(w.path("spec").path("template").path("metadata").path("labels")))
          .containsAll(labels(w.path("spec").path("selector").path("matchLabels")));
    }
  }

  @Test
  void everyServiceSelectsTheHttpPortOfAWorkload() throws IOException {
    List<JsonNode> docs = documents();
    List<Set<String>> podLabels = new ArrayList<>();
    for (JsonNode w : workloads(docs)) {
      podLabels.add(labels(w.path("spec").path("template").path("metadata").path("labels")));
    }
    for (JsonNode s : docs) {
      if (s.path("kind").asText().equals("Service")) {
        Set<String> selector = labels(s.path("spec").path("selector"));
        assertThat(podLabels).as(s.path("metadata").path("name").asText()).anyMatch(l -> l.containsAll(selector));
        assertThat(s.path("spec").path("ports").get(0).path("targetPort").asText()).isEqualTo("http");
      }
    }
  }

  @Test
  void theSingleNodeConfigurationIsOneTheServerAcceptsAndStopsWithinTheGrace(@TempDir Path dir) throws IOException {
    Path file = dir.resolve("hindsight.yaml");
    Files.writeString(file, configMap("hindsight-single").path("data").path("hindsight.yaml").asText());

    ServerConfig config = ServerConfig.load(file).validate();

    assertThat(config.host).isEqualTo("0.0.0.0");
    assertThat(config.shutdownTimeout).isLessThan(Duration.ofSeconds(30));
  }

  /** The roles' configuration (its settings are being built) parses and says what the guide says. */
  @Test
  void theRolesConfigurationNamesKafkaAndTheObjectStore() throws IOException {
    JsonNode common = YAML.readTree(configMap("hindsight-config").path("data").path("common.yaml").asText());

    assertThat(common.path("transport").path("type").asText()).isEqualTo("kafka");
    assertThat(common.path("transport").path("bootstrap-servers").asText()).isNotEmpty();
    assertThat(common.path("lake").path("uri").asText()).startsWith("s3://");
    assertThat(Duration.parse(common.path("shutdown-timeout").asText())).isLessThan(Duration.ofSeconds(30));
  }

  private static JsonNode configMap(String name) throws IOException {
    return documents().stream()
        .filter(d -> d.path("kind").asText().equals("ConfigMap") && d.path("metadata").path("name").asText().equals(name))
        .findFirst()
        .orElseThrow(() -> new AssertionError("no ConfigMap " + name + " in " + MANIFESTS));
  }

  private static List<JsonNode> workloads(List<JsonNode> docs) {
    return docs.stream().filter(d -> Set.of("Deployment", "StatefulSet").contains(d.path("kind").asText())).toList();
  }

  private static Set<String> labels(JsonNode map) {
    Set<String> out = new HashSet<>();
    if (map instanceof ObjectNode o) {
      o.fields().forEachRemaining(e -> out.add(e.getKey() + "=" + e.getValue().asText()));
    }
    return out;
  }

  /** Every YAML document of every manifest. */
  private static List<JsonNode> documents() throws IOException {
    List<JsonNode> docs = new ArrayList<>();
    List<Path> files;
    try (Stream<Path> s = Files.walk(MANIFESTS)) {
      files = s.filter(p -> p.toString().endsWith(".yaml")).sorted().toList();
    }
    assertThat(files).as("manifests under %s", MANIFESTS.toAbsolutePath()).isNotEmpty();
    for (Path f : files) {
      try (var parser = YAML.getFactory().createParser(f.toFile())) {
        for (var it = YAML.readValues(parser, JsonNode.class); it.hasNext(); ) {
          JsonNode d = it.next();
          if (d != null && !d.isMissingNode() && !d.isNull()) {
            docs.add(d);
          }
        }
      }
    }
    return docs;
  }
}
