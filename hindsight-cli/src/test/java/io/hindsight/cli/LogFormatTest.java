package io.hindsight.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LogFormatTest {
  @TempDir Path dir;

  @Test
  void plainLinesOnATerminalJsonElsewhereUnlessChosen() {
    assertThat(LogFormat.choose(null, true)).isEqualTo(LogFormat.TEXT);
    assertThat(LogFormat.choose("", false)).isEqualTo(LogFormat.JSON);
    assertThat(LogFormat.choose("json", true)).isEqualTo(LogFormat.JSON);
    assertThat(LogFormat.choose(" Text ", false)).isEqualTo(LogFormat.TEXT);
    assertThatThrownBy(() -> LogFormat.choose("xml", true)).hasMessage("HINDSIGHT_LOG_FORMAT is 'xml'; use json or text");
  }

  @Test
  void aTestRunIsNotATerminal() {
    assertThat(LogFormat.onTerminal()).as("surefire's output is a pipe").isFalse();
  }

  @Test
  void serveLogsInTheChosenFormat() throws Exception {
    assertThat(firstLineAbout("listening on", "text"))
        .matches("\\d\\d:\\d\\d:\\d\\d\\.\\d{3} INFO  HindsightServer: Hindsight listening on http://127\\.0\\.0\\.1:\\d+ .*");
    assertThat(firstLineAbout("listening on", "json"))
        .startsWith("{\"timestamp\":")
        .contains("\"level\":\"INFO\"")
        .contains("Hindsight listening on http:\\/\\/127.0.0.1:");
  }

  /** The first line of a real {@code hindsight serve}'s standard output that contains {@code text}. */
  private String firstLineAbout(String text, String format) throws IOException, InterruptedException {
    ProcessBuilder pb = new ProcessBuilder(
        Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-cp", System.getProperty("java.class.path"),
        HindsightCommand.class.getName(), "serve", "--data-dir", dir.resolve(format).toString(), "--port", "0");
    pb.environment().put("HINDSIGHT_LOG_FORMAT", format);
    pb.redirectError(ProcessBuilder.Redirect.DISCARD);
    Process p = pb.start();
    // A server that never logs the line is stopped, which ends its output and fails the test.
    Thread watchdog = new Thread(() -> {
      try {
        Thread.sleep(60_000);
        p.destroyForcibly();
      } catch (InterruptedException done) {
        // the line came
      }
    });
    watchdog.setDaemon(true);
    watchdog.start();
    try (BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
      String line;
      while ((line = out.readLine()) != null) {
        if (line.contains(text)) {
          return line;
        }
      }
      throw new AssertionError("the server ended without a line about '" + text + "'");
    } finally {
      watchdog.interrupt();
      p.destroy();
      assertThat(p.waitFor(30, TimeUnit.SECONDS)).as("stopped after SIGTERM").isTrue();
    }
  }
}
