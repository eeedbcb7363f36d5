package io.hindsight.server.ops;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assumptions.assumeThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.hindsight.server.TestServer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Grafana dashboard shipped in docs/grafana reads only metrics a running server exposes, and
 * its PromQL parses ({@code promtool}, when installed).
 */
class GrafanaDashboardTest {
  private static final Path DASHBOARD = Path.of("..", "docs", "grafana", "hindsight-server.json");
  private static final Pattern METRIC = Pattern.compile("\\b((?:hindsight|jvm|process|system)_[a-z_]+)\\b");

  @TempDir Path dir;

  private static List<String> expressions() throws Exception {
    JsonNode dashboard = TestServer.JSON.readTree(DASHBOARD.toFile());
    List<String> exprs = new ArrayList<>();
    dashboard.findValues("expr").forEach(e -> exprs.add(e.asText()));
    return exprs;
  }

  @Test
  void everyMetricTheDashboardReadsIsExposedByTheServer() throws Exception {
    Set<String> wanted = new TreeSet<>();
    for (String e : expressions()) {
      Matcher m = METRIC.matcher(e);
      while (m.find()) {
        wanted.add(m.group(1));
      }
    }
    assertThat(wanted).hasSizeGreaterThan(20);
    try (TestServer s = new TestServer(dir, c -> c.query.maxBodyBytes = 100)) {
      s.predictions("e1", "[{\"data\": {\"x\": 1}}, {\"data\": {\"_bad\": 1}}]");
      s.flush();
      s.query("SELECT count(*) FROM predictions");
      // A refused request and a guard's refusal, whose counters carry the status and the guard.
      assertThat(s.postJson("/v1/query", "{\"sql\": \"" + "x".repeat(200) + "\"}").status()).isEqualTo(413);
      // Alert figures exist per notifier and rule.
      assertThat(s.putJson("/v1/alerts/notifiers/ops", "{\"type\": \"webhook\", \"url\": \"http://127.0.0.1:9/hook\"}").status())
          .isEqualTo(200);
      assertThat(
              s.putJson(
                      "/v1/alerts/rules/r",
                      "{\"endpoint\": \"e1\", \"metric\": \"volume\", \"op\": \">\", \"threshold\": 1, \"notify\": [\"ops\"]}")
                  .status())
          .isEqualTo(200);
      // GC pauses are timed from the first collection on; any running server has had one.
      System.gc();
      String scrape = s.get("/metrics").body();
      for (int i = 0; i < 50 && !scrape.contains("jvm_gc_pause_seconds_sum"); i++) {
        Thread.sleep(100);
        scrape = s.get("/metrics").body();
      }
      Set<String> exposed = new TreeSet<>();
      Matcher m = Pattern.compile("(?m)^([a-z_]+)[{ ]").matcher(scrape);
      while (m.find()) {
        exposed.add(m.group(1));
      }
      assertThat(exposed).containsAll(wanted);
    }
  }

  @Test
  void theDashboardsPromQlParses() throws Exception {
    Path promtool = Path.of("/usr/bin/promtool");
    assumeThat(Files.isExecutable(promtool)).as("promtool (Debian package prometheus) is not installed").isTrue();
    StringBuilder rules = new StringBuilder("groups:\n- name: dashboard\n  rules:\n");
    int i = 0;
    for (String e : expressions()) {
      String expr = e.replace("$instance", ".*");
      rules.append("  - record: dashboard:expr").append(i++).append("\n    expr: ")
          .append(TestServer.JSON.writeValueAsString(expr)).append('\n');
    }
    Path file = dir.resolve("rules.yml");
    Files.writeString(file, rules, StandardCharsets.UTF_8);
    Process p = new ProcessBuilder(promtool.toString(), "check", "rules", file.toString()).redirectErrorStream(true).start();
    assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.exitValue()).as(out).isZero();
    assertThat(out).contains("SUCCESS: " + i + " rules found");
  }
}
