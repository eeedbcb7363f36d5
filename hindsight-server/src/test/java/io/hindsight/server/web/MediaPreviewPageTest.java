package io.hindsight.server.web;

import static org.assertj.core.api.Assertions.assertThat;

import io.hindsight.server.TestServer;
import io.hindsight.server.media.SampleMedia;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.WebElement;

/**
 * The prediction page previews the media a prediction references, fetched through {@code GET
 * /v1/media} from the configured root: the image drawn, the audio in a player, the start of the
 * text shown as text; a reference the server refuses shows the server's reason.
 */
class MediaPreviewPageTest extends BrowserTest {
  @TempDir static Path dir;
  static TestServer server;

  @BeforeAll
  static void logAPredictionWithMedia() throws Exception {
    if (browser == null) {
      return;
    }
    Path root = dir.resolve("media");
    Path png = SampleMedia.png(root.resolve("scans/42.png"));
    Path wav = SampleMedia.wav(root.resolve("calls/42.wav"));
    Path txt = SampleMedia.text(root.resolve("notes/42.txt"), "caller asked about <b>limits</b>\n" + "x".repeat(6000));
    server = new TestServer(dir.resolve("data"), c -> c.media.roots = List.of(root.toString()));
    String body =
        "{\"prediction_id\": \"p42\", \"data\": {\"score\": 0.91,"
            + " \"scan\": {\"uri\": \"" + png.toUri() + "\", \"content_type\": \"image/png\"},"
            + " \"call\": {\"uri\": \"" + wav + "\", \"content_type\": \"audio/wav\"},"
            + " \"transcript\": {\"uri\": \"" + txt + "\", \"content_type\": \"text/plain\"},"
            + " \"leaked\": {\"uri\": \"file:///etc/passwd\", \"content_type\": \"text/plain\"},"
            + " \"probe\": {\"uri\": \"http://169.254.169.254/latest/meta-data/\", \"content_type\": \"image/png\"}}}";
    assertThat(server.predictions("scans", body).json().get("accepted").asInt()).isEqualTo(1);
    server.flush();
  }

  @AfterAll
  static void stopServer() {
    if (server != null) {
      server.close();
    }
  }

  /** The refused references answer 400 and 403, which the browser reports as failed loads. */
  @Override
  boolean expectedConsoleError(String message) {
    return message.contains("/v1/media") && (message.contains("403") || message.contains("400"));
  }

  @Test
  void showsTheImageTheAudioPlayerAndTheTextExcerpt() {
    open(server, "/endpoints/scans/predictions/p42");
    await(By.id("media"));

    WebElement image = await(By.cssSelector("figure[data-key=scan] img"));
    waiting().until(d -> ((Number) browser.executeScript("return arguments[0].complete && arguments[0].naturalWidth", image)).intValue() > 0);
    assertThat(((Number) browser.executeScript("return arguments[0].naturalWidth", image)).intValue()).isEqualTo(40);
    WebElement audio = browser.findElement(By.cssSelector("figure[data-key=call] audio"));
    assertThat(audio.getAttribute("controls")).isNotNull();
    waiting().until(d -> ((Number) browser.executeScript("return arguments[0].readyState", audio)).intValue() >= 1);
    awaitText(By.cssSelector("figure[data-key=transcript] pre"), "caller asked about <b>limits</b>");
    assertThat(browser.findElements(By.cssSelector("figure[data-key=transcript] b"))).isEmpty();
    assertThat(browser.findElement(By.cssSelector("figure[data-key=transcript] figcaption")).getText()).contains("the first 4096 of");
    waiting().until(d -> !d.findElement(By.id("main")).getText().contains("Loading"));
    browser.executeScript("document.getElementById('media').scrollIntoView()");
    screenshot("prediction-media");
  }

  @Test
  void aReferenceTheServerRefusesShowsItsReason() {
    open(server, "/endpoints/scans/predictions/p42");

    awaitText(By.cssSelector("figure[data-key=leaked]"), "Not shown:");
    assertThat(browser.findElement(By.cssSelector("figure[data-key=leaked] p[role=alert]")).getText())
        .contains("not under a media root")
        .contains("media.roots");
    awaitText(By.cssSelector("figure[data-key=probe]"), "Not shown:");
    assertThat(browser.findElement(By.cssSelector("figure[data-key=probe] p[role=alert]")).getText())
        .contains("never fetched from a network address");
  }
}
