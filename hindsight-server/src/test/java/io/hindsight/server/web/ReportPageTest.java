package io.hindsight.server.web;

import static org.assertj.core.api.Assertions.assertThat;

import io.hindsight.server.TestServer;
import io.hindsight.server.ops.ManualScheduler;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Random;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** GET /v1/endpoints/{e}/report: one self-contained page with every part of a monitoring report. */
class ReportPageTest {
  @TempDir Path dir;

  @Test
  void theReportShowsTrafficDriftQualityAndEventsAndFetchesNothing() throws Exception {
    ManualScheduler time = new ManualScheduler(Instant.parse("2026-11-30T12:00:00Z"));
    try (TestServer s = new TestServer(dir, c -> {}, time)) {
      Random random = new Random(5);
      StringBuilder predictions = new StringBuilder("[");
      StringBuilder feedback = new StringBuilder("[");
      for (int i = 0; i < 2000; i++) {
        boolean today = i >= 1000;
        Instant ts = Instant.parse(today ? "2026-11-30T00:00:00Z" : "2026-11-29T00:00:00Z").plusSeconds((i % 1000) * 40L);
        double p = random.nextDouble();
        predictions.append(i == 0 ? "" : ",").append("{\"prediction_id\": \"r").append(i).append("\", \"ts\": \"").append(ts)
            .append("\", \"model_version\": \"").append(today ? "v2" : "v1").append("\", \"latency_ms\": ").append(5 + random.nextInt(20))
            .append(", \"status\": \"").append(i % 40 == 0 ? "error" : "ok").append("\", \"tags\": {\"segment\": \"")
            .append(i % 2 == 0 ? "retail" : "high_value").append("\"}, \"data\": {\"amount\": ")
            .append(100 + 20 * random.nextGaussian() + (today ? 40 : 0)).append(", \"merchant\": \"")
            .append(new String[] {"grocery", "travel", "online"}[random.nextInt(3)]).append("\", \"score\": ").append(p).append("}}");
        feedback.append(i == 0 ? "" : ",").append("{\"prediction_id\": \"r").append(i).append("\", \"data\": {\"label\": ")
            .append(random.nextDouble() < p ? 1 : 0).append("}}");
      }
      assertThat(s.predictions("fraud", predictions.append("]").toString()).status()).isEqualTo(200);
      assertThat(s.postJson("/v1/endpoints/fraud/feedback", feedback.append("]").toString()).status()).isEqualTo(200);
      assertThat(s.postJson("/v1/endpoints/fraud/events", "{\"ts\": \"2026-11-30T00:00:00Z\", \"kind\": \"deploy\", \"text\": \"deployed v2 <canary>\"}").status())
          .isEqualTo(200);
      assertThat(
              s.putJson(
                      "/v1/endpoints/fraud/monitoring",
                      "{\"score\": \"score\", \"label\": \"label\", \"segments\": [\"tags.segment\"], \"reference\": {\"previous\": \"P1D\"}}")
                  .status())
          .isEqualTo(200);
      time.advance(Duration.ofMinutes(1));

      TestServer.Response r = s.get("/v1/endpoints/fraud/report?from=2026-11-30T00:00:00Z&to=2026-11-30T12:00:00Z");
      assertThat(r.status()).as(r.body()).isEqualTo(200);
      assertThat(r.headers().firstValue("Content-Type")).hasValueSatisfying(v -> assertThat(v).startsWith("text/html"));
      String html = r.body();
      assertThat(html).startsWith("<!DOCTYPE html>").endsWith("</html>");
      // Self-contained: nothing to fetch (the only URL is SVG's namespace name).
      assertThat(html).doesNotContain("<script src", "<link", "<img", "url(", "@import");
      assertThat(html.replace("xmlns='http://www.w3.org/2000/svg'", "")).doesNotContain("http://", "https://");
      assertThat(html).contains("1000 predictions, 2.5 % errors.");
      assertThat(count(html, "<svg")).as("volume, latency, errors, two distributions, quality").isGreaterThanOrEqualTo(6);
      assertThat(html).containsPattern("<tr><td>amount</td><td>numeric</td><td>ks</td>.*?<td class='drifted'>drifted</td>");
      assertThat(html).contains("<h3>merchant</h3>");
      assertThat(html).contains("<h3>By model_version</h3>", "<h3>By tags.segment</h3>", "(est. ");
      assertThat(html).contains("deployed v2 &lt;canary&gt;").doesNotContain("<canary>");
      assertThat(html).contains("Estimated and realized accuracy per hour");
    }
  }

  @Test
  void anEndpointWithoutReferenceOrLabelsStillGetsAReportSayingWhatIsMissing() throws Exception {
    try (TestServer s = new TestServer(dir)) {
      s.predictions("fraud", "{\"data\": {\"amount\": 1}}");
      s.flush();
      TestServer.Response r = s.get("/v1/endpoints/fraud/report");
      assertThat(r.status()).as(r.body()).isEqualTo(200);
      assertThat(r.body()). contains("has no rows of endpoint &#39;fraud&#39;", "PUT it to /v1/endpoints/fraud/monitoring");
      assertThat(s.get("/v1/endpoints/nobody/report").status()).isEqualTo(404);
    }
  }

  private static int count(String s, String part) {
    Matcher m = Pattern.compile(Pattern.quote(part)).matcher(s);
    int n = 0;
    while (m.find()) {
      n++;
    }
    return n;
  }
}
