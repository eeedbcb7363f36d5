package io.hindsight;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.logging.Handler;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class ThrottledLogTest {
  private final List<String> messages = new CopyOnWriteArrayList<>();
  private final Logger logger = Logger.getLogger("io.hindsight");
  private final Handler capture =
      new Handler() {
        @Override
        public void publish(LogRecord r) {
          messages.add(r.getMessage());
        }

        @Override
        public void flush() {}

        @Override
        public void close() {}
      };

  @BeforeEach
  void listen() {
    logger.addHandler(capture);
  }

  @AfterEach
  void stopListening() {
    logger.removeHandler(capture);
  }

  @Test
  void namesTheServerAndThrottlesEachCauseOnItsOwn() {
    FakeTime time = new FakeTime();
    ThrottledLog log = new ThrottledLog(time, "fraud-model", "http://scoring-host:7070");
    assertThat(log.warn("unreachable:java.net.ConnectException", "refused")).isTrue();
    assertThat(log.warn("unreachable:java.net.ConnectException", "refused again")).isFalse();
    assertThat(log.warn("unreachable:http-503", "busy")).as("another cause is not hidden").isTrue();
    time.advance(Duration.ofMinutes(1));
    assertThat(log.warn("unreachable:java.net.ConnectException", "refused later")).isTrue();

    assertThat(messages).containsExactly(
        "hindsight[fraud-model -> http://scoring-host:7070]: refused",
        "hindsight[fraud-model -> http://scoring-host:7070]: busy",
        "hindsight[fraud-model -> http://scoring-host:7070]: refused later (1 similar messages suppressed)");
  }

  @Test
  void serverMessagesThatDifferOnlyInNamesAndNumbersAreOneCause() {
    assertThat(ThrottledLog.causeOf("record 3: key 'Score' is a string, the column is bigint"))
        .isEqualTo(ThrottledLog.causeOf("record 17: key 'amount' is a string, the column is bigint"));
    assertThat(ThrottledLog.causeOf("record 3: the record is larger than the limit of 1048576 bytes"))
        .isNotEqualTo(ThrottledLog.causeOf("record 3: key 'a' is reserved"));
  }

  @Test
  void theNumberOfCausesIsBounded() {
    ThrottledLog log = new ThrottledLog(new FakeTime(), "e", null);
    for (int i = 0; i < ThrottledLog.MAX_CAUSES; i++) {
      log.warn("cause-" + i, "m");
    }
    assertThat(log.warn("one-more", "m")).isTrue();
    assertThat(log.warn("and-another", "m")).as("past the bound, new causes share a slot").isFalse();
  }
}
