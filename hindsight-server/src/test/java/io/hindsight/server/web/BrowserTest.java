package io.hindsight.server.web;

import static org.assertj.core.api.Assertions.assertThat;

import io.hindsight.server.TestServer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.logging.Level;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Timeout;
import org.openqa.selenium.By;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.logging.LogEntry;
import org.openqa.selenium.logging.LogType;
import org.openqa.selenium.logging.LoggingPreferences;
import org.openqa.selenium.support.ui.ExpectedConditions;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * A web UI test: Debian's headless Chromium driven by Selenium against a real server. One browser
 * serves every test of a class. Without Chromium and its driver the test is skipped locally, but
 * fails when the environment variable CI is set, so CI can never pass without running it.
 * {@link #screenshot} writes into target/screenshots, or with {@code -Dscreenshots=docs} into
 * docs/ui/, where the README shows them ({@code mvn test -Dscreenshots=docs -Dtest='*Ui*,SignInTest,
 * AlertsPageTest'}), so an ordinary test run leaves the repository as it was.
 */
@Timeout(120)
abstract class BrowserTest {
  private static final Path CHROMEDRIVER = Path.of("/usr/bin/chromedriver");
  private static final Path CHROMIUM = Path.of("/usr/bin/chromium");
  /** The folder screenshots go to: docs/ui of the repository when asked, else the build's. */
  private static final Path SCREENSHOTS =
      "docs".equals(System.getProperty("screenshots"))
          ? Path.of("").toAbsolutePath().getParent().resolve("docs").resolve("ui")
          : Path.of("target", "screenshots");

  static ChromeDriver browser;
  static Path downloads;

  @BeforeAll
  static void startBrowser() throws IOException {
    boolean present = Files.isExecutable(CHROMEDRIVER) && Files.isExecutable(CHROMIUM);
    if (System.getenv("CI") != null) {
      assertThat(present).as("CI must run the browser tests: install chromium and chromium-driver (.ci/run does)").isTrue();
    }
    Assumptions.assumeTrue(present, "browser tests need chromium and chromium-driver (apt-get install chromium-driver)");
    downloads = Files.createTempDirectory("hindsight-downloads");
    ChromeOptions options = new ChromeOptions();
    options.setBinary(CHROMIUM.toFile());
    options.addArguments("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--window-size=1400,1000");
    options.setExperimentalOption("prefs", Map.of("download.default_directory", downloads.toString(), "download.prompt_for_download", false));
    LoggingPreferences logs = new LoggingPreferences();
    logs.enable(LogType.BROWSER, Level.ALL);
    options.setCapability("goog:loggingPrefs", logs);
    ChromeDriverService service = new ChromeDriverService.Builder().usingDriverExecutable(CHROMEDRIVER.toFile()).usingAnyFreePort().build();
    browser = new ChromeDriver(service, options);
    browser.manage().timeouts().pageLoadTimeout(Duration.ofSeconds(20));
  }

  @AfterAll
  static void stopBrowser() {
    if (browser != null) {
      browser.quit();
      browser = null;
    }
  }

  /** Every page loaded without a script error or a blocked resource (the CSP would say so here). */
  @AfterEach
  void noErrorsInTheConsole() {
    if (browser == null) {
      return;
    }
    List<String> severe =
        browser.manage().logs().get(LogType.BROWSER).getAll().stream()
            .filter(e -> e.getLevel().intValue() >= Level.SEVERE.intValue())
            .map(LogEntry::getMessage)
            .filter(m -> !m.contains("favicon.ico") && !expectedConsoleError(m))
            .toList();
    assertThat(severe).as("errors in the browser console").isEmpty();
  }

  /** Console errors a test provokes on purpose (a refused request). */
  boolean expectedConsoleError(String message) {
    return false;
  }

  static WebDriverWait waiting() {
    return new WebDriverWait(browser, Duration.ofSeconds(15));
  }

  static WebElement await(By by) {
    return waiting().until(ExpectedConditions.visibilityOfElementLocated(by));
  }

  /**
   * Waits for an element with the text. A form's submit replaces the document, and an element
   * found in the old one while the new one loads answers "does not belong to the document":
   * that is a moment of the navigation, looked at again, not a failure.
   */
  static void awaitText(By by, String text) {
    waiting().until(d -> {
      try {
        return ExpectedConditions.textToBePresentInElementLocated(by, text).apply(d);
      } catch (org.openqa.selenium.WebDriverException e) {
        if (e.getMessage() != null && e.getMessage().contains("does not belong to the document")) {
          return false;
        }
        throw e;
      }
    });
  }

  static void open(TestServer server, String path) {
    browser.get(server.url(path));
  }

  /** Saves what the browser shows as {name}.png in {@link #SCREENSHOTS}. */
  static void screenshot(String name) {
    try {
      Files.createDirectories(SCREENSHOTS);
      Path shot = browser.getScreenshotAs(OutputType.FILE).toPath();
      Files.copy(shot, SCREENSHOTS.resolve(name + ".png"), StandardCopyOption.REPLACE_EXISTING);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Waits for a file to appear in the browser's download folder and returns it. */
  static Path downloaded(String name) {
    Path file = downloads.resolve(name);
    waiting().until(d -> Files.exists(file) && !Files.exists(downloads.resolve(name + ".crdownload")));
    return file;
  }
}
