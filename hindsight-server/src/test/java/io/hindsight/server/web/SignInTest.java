package io.hindsight.server.web;

import static org.assertj.core.api.Assertions.assertThat;

import io.hindsight.server.TestServer;
import io.hindsight.server.auth.ApiKeys;
import io.hindsight.server.auth.Scope;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.Cookie;

/** With API keys in force, the UI opens only after signing in with a key that may read. */
class SignInTest extends BrowserTest {
  @TempDir Path dir;

  @Test
  void signsInWithAKeyAndIsRefusedWithoutOne() throws Exception {
    ApiKeys keys = new ApiKeys(dir, List.of());
    String reader = keys.create("reader", EnumSet.of(Scope.READ), List.of()).key();
    String writer = keys.create("writer", EnumSet.of(Scope.WRITE), List.of()).key();
    try (TestServer server = new TestServer(dir)) {
      byte[] record = "{\"prediction_id\": \"p-1\", \"data\": {\"amount\": 3}}".getBytes(StandardCharsets.UTF_8);
      assertThat(server.post("/v1/endpoints/loans/predictions", "application/json", record, Map.of("Authorization", "Bearer " + writer)).status())
          .isEqualTo(200);
      server.flush();

      open(server, "/endpoints/loans/predictions?version=v1");
      await(By.id("key"));
      assertThat(browser.getCurrentUrl()).contains("/signin?next=");
      browser.findElement(By.id("key")).sendKeys("hs_wrong_key");
      browser.findElement(By.cssSelector("button[type=submit]")).click();
      awaitText(By.cssSelector("[role=alert]"), "Not signed in: the API key is not valid");
      browser.findElement(By.id("key")).sendKeys(writer);
      browser.findElement(By.cssSelector("button[type=submit]")).click();
      awaitText(By.cssSelector("[role=alert]"), "lacks the read scope");
      assertThat(browser.manage().getCookieNamed("hindsight_session")).isNull();
      screenshot("signin");

      browser.findElement(By.id("key")).sendKeys(reader);
      browser.findElement(By.cssSelector("button[type=submit]")).click();
      awaitText(By.tagName("h1"), "Predictions of loans");
      assertThat(browser.getCurrentUrl()).endsWith("/endpoints/loans/predictions?version=v1");
      Cookie session = browser.manage().getCookieNamed("hindsight_session");
      assertThat(session.isHttpOnly()).isTrue();
      assertThat(session.getSameSite()).isEqualTo("Strict");
      assertThat(session.getExpiry()).isNotNull();
      assertThat(browser.executeScript("return document.cookie")).as("scripts cannot read the session").isEqualTo("");

      browser.findElement(By.cssSelector("#signout button")).click();
      await(By.id("key"));
      open(server, "/sql");
      await(By.id("key"));
    }
  }

  @Override
  boolean expectedConsoleError(String message) {
    // The refused sign-ins answer 401 and 403 pages.
    return message.contains("signin") && (message.contains("401") || message.contains("403"));
  }
}
