package io.hindsight.server.web;

import static org.assertj.core.api.Assertions.assertThat;

import io.hindsight.server.TestServer;
import io.hindsight.server.ops.ManualScheduler;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;

/** A rule set over the API goes pending and then firing as time steps, and the alerts page shows it. */
class AlertsPageTest extends BrowserTest {
  @TempDir Path dir;

  @Test
  void showsARuleFiringAndSilencesIt() throws Exception {
    Instant now = Instant.now().truncatedTo(java.time.temporal.ChronoUnit.SECONDS);
    ManualScheduler time = new ManualScheduler(now);
    try (TestServer server = new TestServer(dir, c -> {}, time)) {
      StringBuilder sb = new StringBuilder("[");
      for (int i = 0; i < 10; i++) {
        sb.append(i == 0 ? "" : ",").append("{\"prediction_id\": \"a").append(i).append("\", \"ts\": \"")
            .append(now.minusSeconds(300 - i)).append("\", \"data\": {\"amount\": 200}}");
      }
      assertThat(server.predictions("fraud", sb.append("]").toString()).status()).isEqualTo(200);
      TestServer.Response rule =
          server.putJson(
              "/v1/alerts/rules/big-amounts",
              "{\"endpoint\": \"fraud\", \"metric\": \"mean\", \"column\": \"amount\", \"window\": \"PT1H\", \"op\": \">\","
                  + " \"threshold\": 150, \"for\": \"PT2M\", \"every\": \"PT1M\", \"annotations\": {\"summary\": \"Large amounts on fraud\"}}");
      assertThat(rule.status()).as(rule.body()).isEqualTo(200);
      server.flush();

      time.advance(Duration.ofMinutes(1));
      open(server, "/alerts");
      awaitText(By.cssSelector("#rules tr[data-rule=big-amounts]"), "pending");

      time.advance(Duration.ofMinutes(2));
      server.flush();
      browser.navigate().refresh();
      awaitText(By.cssSelector("#rules tr[data-rule=big-amounts]"), "firing");
      awaitText(By.cssSelector("section[aria-labelledby=h-history]"), "firing");
      assertThat(browser.findElement(By.cssSelector("#rules tr[data-rule=big-amounts]")).getText())
          .contains("Large amounts on fraud", "mean(amount) > 150", "200");
      screenshot("alerts");

      open(server, "/");
      awaitText(By.cssSelector("table.overview"), "1 firing: big-amounts");

      open(server, "/alerts");
      await(By.cssSelector("#rules tr[data-rule=big-amounts] form button")).click();
      awaitText(By.cssSelector("#rules tr[data-rule=big-amounts]"), "until ");
      assertThat(server.get("/v1/alerts/silences").json().get("silences").get(0).get("rule").asText()).isEqualTo("big-amounts");
    }
  }
}
