package io.hindsight.server.web;

import static org.assertj.core.api.Assertions.assertThat;

import io.hindsight.server.TestServer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import io.hindsight.server.ops.ManualScheduler;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.Keys;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.support.ui.ExpectedConditions;

/**
 * The web UI doing each page's main job as a user would, on a real server holding predictions
 * logged over HTTP: find one by id, filter and open, follow a shared link, SQL with CSV download,
 * and hostile logged values shown as text.
 */
class WebUiTest extends BrowserTest {
  @TempDir static Path dir;
  static TestServer server;
  static final Instant NOW = Instant.now().truncatedTo(ChronoUnit.SECONDS);
  static final ManualScheduler time = new ManualScheduler(NOW);
  static final String HOSTILE = "<script>window.pwned = 1</script>";

  @BeforeAll
  static void logPredictions() throws Exception {
    if (browser == null) {
      return;
    }
    server = new TestServer(dir, c -> {}, time);
    StringBuilder sb = new StringBuilder("[");
    for (int i = 0; i < 30; i++) {
      sb.append(i == 0 ? "" : ",")
          .append(
              String.format(
                  "{\"prediction_id\": \"txn-%03d\", \"ts\": \"%s\", \"model_version\": \"%s\", \"tags\": {\"segment\": \"%s\"},"
                      + " \"data\": {\"amount\": %d, \"decision\": \"%s\", \"probabilities\": [%s, %s],"
                      + " \"features\": {\"txn_count_7d\": %d}, \"reasons\": [{\"code\": \"R%d\", \"text\": \"high amount\"}]}}",
                  i, NOW.minusSeconds(60L * (30 - i)), i % 2 == 0 ? "v1" : "v2", i % 3 == 0 ? "high_value" : "standard",
                  i * 10, i % 4 == 0 ? "declined" : "approved", 1 - i / 30.0, i / 30.0, i, i));
    }
    sb.append(",{\"prediction_id\": \"evil-1\", \"ts\": \"").append(NOW.minusSeconds(30))
        .append("\", \"model_version\": \"v1\", \"tags\": {\"segment\": \"<img src=x onerror=window.pwned=1>\"},")
        .append(" \"data\": {\"amount\": 1, \"decision\": \"").append(HOSTILE.replace("\"", "\\\""))
        .append("\", \"homepage\": \"javascript:window.pwned=1\", \"reasons\": [{\"code\": \"<b>bold</b>\", \"text\": \"javascript:alert(1)\"}]}}]");
    assertThat(server.predictions("fraud", sb.toString()).status()).isEqualTo(200);
    assertThat(server.postJson("/v1/endpoints/fraud/feedback", "[{\"prediction_id\": \"txn-004\", \"data\": {\"label\": \"fraud\"}}]").status())
        .isEqualTo(200);
    assertThat(server.postJson("/v1/endpoints/fraud/events", "{\"kind\": \"deploy\", \"text\": \"v2 rolled out\", \"ts\": \"" + NOW.minusSeconds(900) + "\"}").status())
        .isEqualTo(200);
    assertThat(server.predictions("fraud", background()).status()).isEqualTo(200);
    assertThat(
            server.putJson(
                    "/v1/endpoints/fraud/monitoring",
                    "{\"task\": \"binary_classification\", \"score\": \"probabilities[1]\", \"label\": \"label\","
                        + " \"positive_class\": \"fraud\", \"features\": [\"amount\"], \"segments\": [\"model_version\"]}")
                .status())
        .isEqualTo(200);
    server.flush();
    time.advance(Duration.ofMinutes(2));
  }

  /** Two days of hourly traffic of two older versions, so the metric store has series to draw. */
  private static String background() {
    StringBuilder sb = new StringBuilder("[");
    for (int i = 0; i < 48 * 4; i++) {
      int hour = i / 4;
      sb.append(i == 0 ? "" : ",")
          .append(
              String.format(
                  "{\"prediction_id\": \"bg-%04d\", \"ts\": \"%s\", \"model_version\": \"%s\", \"latency_ms\": %d,"
                      + " \"data\": {\"amount\": %d, \"decision\": \"approved\", \"probabilities\": [0.9, 0.1]}}",
                  i, NOW.minus(Duration.ofHours(49 - hour)).plusSeconds(i % 4 * 600), hour % 3 == 0 ? "v0-canary" : "v0",
                  5 + hour % 7, 20 + (hour * 37) % 50));
    }
    return sb.append("]").toString();
  }

  @AfterAll
  static void stopServer() {
    if (server != null) {
      server.close();
    }
  }

  @Test
  void findsAPredictionByIdFromHome() {
    open(server, "/");
    awaitText(By.cssSelector("table.overview"), "fraud");
    assertThat(browser.findElements(By.cssSelector("table.overview svg polyline"))).as("a volume sparkline").hasSize(1);
    screenshot("home");
    WebElement search = browser.findElement(By.id("find-id"));
    search.sendKeys("txn-007", Keys.ENTER);
    awaitText(By.tagName("h1"), "Prediction txn-007");
    assertThat(browser.getCurrentUrl()).endsWith("/endpoints/fraud/predictions/txn-007");
    assertThat(browser.findElement(By.id("main")).getText()).contains("approved", "R7", "txn_count_7d", "v2", "Audit proof");
  }

  @Test
  void saysInWordsWhenNoPredictionHasTheId() {
    open(server, "/");
    await(By.id("find-id")).sendKeys("no-such-id", Keys.ENTER);
    awaitText(By.id("found"), "No prediction has the id \"no-such-id\"");
  }

  @Test
  void filtersTheExplorerAndOpensARow() {
    open(server, "/endpoints/fraud/predictions");
    await(By.cssSelector("#predictions tbody tr"));
    browser.findElement(By.id("f-version")).sendKeys("v1");
    browser.findElement(By.id("f-decision")).sendKeys("declined");
    browser.findElement(By.id("f-tags")).sendKeys("segment=high_value");
    browser.findElement(By.id("f-where")).sendKeys("amount >= 100");
    browser.findElement(By.cssSelector("form.filters button[type=submit]")).click();
    waiting().until(ExpectedConditions.urlContains("decision=declined"));
    // v1 (even), declined (multiple of 4), high_value (multiple of 3), amount >= 100: 12 and 24.
    awaitRows("txn-024", "txn-012");
    screenshot("explorer");
    browser.findElement(By.linkText("txn-012")).click();
    awaitText(By.tagName("h1"), "Prediction txn-012");
    assertThat(browser.findElement(By.id("main")).getText()).contains("declined", "high_value", "No feedback has arrived");
  }

  @Test
  void aSharedLinkRestoresTheFiltersAndPagesByCursor() {
    open(server, "/endpoints/fraud/predictions?version=v2&sort=amount&order=asc&limit=5&feedback=absent");
    await(By.cssSelector("#predictions tbody tr"));
    assertThat(browser.findElement(By.id("f-version")).getAttribute("value")).isEqualTo("v2");
    assertThat(browser.findElement(By.id("f-feedback")).getAttribute("value")).isEqualTo("absent");
    awaitRows("txn-001", "txn-003", "txn-005", "txn-007", "txn-009");
    browser.findElement(By.id("next-page")).click();
    waiting().until(ExpectedConditions.urlContains("after="));
    awaitRows("txn-011", "txn-013", "txn-015", "txn-017", "txn-019");
    // The page's own address, opened fresh, shows the same rows.
    String shared = browser.getCurrentUrl();
    browser.get("about:blank");
    browser.get(shared);
    awaitRows("txn-011", "txn-013", "txn-015", "txn-017", "txn-019");
  }

  @Test
  void exportsTheFilteredRowsAsCsvAndParquet() throws Exception {
    TestServer.Response csv = server.get("/v1/endpoints/fraud/predictions?version=v1&decision=declined&format=csv&columns=amount");
    assertThat(csv.status()).isEqualTo(200);
    assertThat(csv.body().lines().toList()).first().isEqualTo("prediction_id,ts,amount");
    assertThat(csv.body().lines().count()).isEqualTo(1 + 8);
    byte[] parquet =
        java.net.http.HttpClient.newHttpClient()
            .send(
                java.net.http.HttpRequest.newBuilder(
                        java.net.URI.create(server.url("/v1/endpoints/fraud/predictions?version=v1&decision=declined&format=parquet")))
                    .build(),
                java.net.http.HttpResponse.BodyHandlers.ofByteArray())
            .body();
    Path file = Files.write(dir.resolve("export.parquet"), parquet);
    try (Connection db = DriverManager.getConnection("jdbc:duckdb:");
        Statement st = db.createStatement();
        ResultSet rs = st.executeQuery("SELECT count(*), min(decision), typeof(min(ts)) FROM read_parquet('" + file + "')")) {
      rs.next();
      assertThat(rs.getLong(1)).isEqualTo(8);
      assertThat(rs.getString(2)).isEqualTo("declined");
      assertThat(rs.getString(3)).isEqualTo("TIMESTAMP WITH TIME ZONE");
    }
  }

  @Test
  void runsSqlAndDownloadsCsv() throws Exception {
    open(server, "/sql");
    WebElement editor = await(By.id("sql"));
    editor.clear();
    editor.sendKeys("SELECT prediction_id, amount FROM predictions WHERE amount >= 250 ORDER BY amount");
    browser.findElement(By.id("run")).click();
    awaitText(By.id("sql-result"), "5 rows");
    assertThat(browser.findElement(By.id("sql-result")).getText()).contains("txn-025", "txn-029");
    awaitText(By.cssSelector("aside"), "predictions");
    screenshot("sql");
    browser.findElement(By.id("download-csv")).click();
    Path csv = downloaded("query.csv");
    assertThat(Files.readAllLines(csv)).first().isEqualTo("prediction_id,amount");
    assertThat(Files.readAllLines(csv)).hasSize(6);
    browser.navigate().refresh();
    awaitText(By.cssSelector("ol.history"), "SELECT prediction_id, amount FROM predictions");
  }

  @Test
  void loggedMarkupAndJavascriptUrlsShowAsText() {
    open(server, "/endpoints/fraud/predictions/evil-1");
    awaitText(By.tagName("h1"), "Prediction evil-1");
    String text = browser.findElement(By.id("main")).getText();
    assertThat(text).contains(HOSTILE, "<img src=x onerror=window.pwned=1>", "javascript:window.pwned=1", "<b>bold</b>");
    assertThat(browser.executeScript("return window.pwned === undefined")).isEqualTo(true);
    assertThat(browser.findElements(By.cssSelector("main script, main img, main b"))).isEmpty();
    List<WebElement> links = browser.findElements(By.cssSelector("main a"));
    assertThat(links).allSatisfy(a -> assertThat(a.getAttribute("href")).doesNotStartWith("javascript:"));
    open(server, "/endpoints/fraud/predictions?id=evil");
    awaitText(By.id("result"), HOSTILE);
    assertThat(browser.executeScript("return window.pwned === undefined")).isEqualTo(true);
  }

  @Test
  void showsAPredictionsWholeStory() {
    open(server, "/endpoints/fraud/predictions/txn-004");
    awaitText(By.id("h-similar"), "Similar");
    awaitText(By.cssSelector("section[aria-labelledby=h-events]"), "v2 rolled out");
    String text = browser.findElement(By.id("main")).getText();
    assertThat(text).contains("Decision: declined", "high amount", "fraud", "txn_count_7d");
    waiting().until(d -> d.findElement(By.cssSelector("section[aria-labelledby=h-similar]")).getText().contains("txn-"));
    screenshot("prediction");
  }

  @Test
  void drawsADashboardAndOffersReports() {
    open(server, "/endpoints/fraud?metric=volume&range=P7D&by=model_version");
    await(By.cssSelector("#chart .uplot"));
    assertThat(browser.findElement(By.id("main")).getText()).contains("model_version=v0", "model_version=v0-canary", "1 events marked");
    screenshot("dashboard");
    // A zoomed view is a link too, and resets to its range.
    open(server, "/endpoints/fraud?metric=volume&range=P7D&from=" + NOW.minus(Duration.ofHours(30)) + "&to=" + NOW);
    await(By.cssSelector("#chart .uplot"));
    assertThat(browser.findElement(By.id("main")).getText()).contains(NOW.minus(Duration.ofHours(30)).toString().replace("Z", ".000Z"));
    browser.findElement(By.xpath("//button[text()='Reset zoom']")).click();
    waiting().until(d -> !d.getCurrentUrl().contains("from="));
    await(By.cssSelector("#chart .uplot"));
    open(server, "/reports");
    await(By.id("r-endpoint"));
    screenshot("reports");
  }

  @Test
  void anUnknownPageSaysSo() {
    open(server, "/endpoints/fraud/predictions?where=nosuchkey%20%3D%201");
    awaitText(By.id("result"), "'nosuchkey' (in where) is not a column of endpoint 'fraud'");
  }

  @Override
  boolean expectedConsoleError(String message) {
    return message.contains("400 (Bad Request)");
  }

  /** The ids of the explorer's rows, read in one step (the table may be redrawn meanwhile). */
  @SuppressWarnings("unchecked")
  private static List<String> ids() {
    return (List<String>)
        browser.executeScript(
            "return [...document.querySelectorAll('#predictions tbody tr td:first-child')].map(td => td.textContent)");
  }

  /** Waits until the explorer shows exactly these rows. */
  private static void awaitRows(String... ids) {
    waiting().until(d -> ids().equals(List.of(ids)));
  }
}
