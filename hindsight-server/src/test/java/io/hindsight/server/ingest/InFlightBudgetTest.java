package io.hindsight.server.ingest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.hindsight.server.ApiException;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** The heap all ingest requests share: what a request reserves, when it waits, when it is refused. */
class InFlightBudgetTest {
  private static final int KIB = 1024;
  private static final int STEP = 256 * KIB;

  /** A budget of four steps (1 MiB) that does not wait when it is spent. */
  private final InFlightBudget budget = new InFlightBudget(4 * STEP, Duration.ZERO);

  private static InputStream bytes(int n) {
    return new ByteArrayInputStream(new byte[n]);
  }

  private static void drain(InputStream in) throws IOException {
    byte[] buf = new byte[8192];
    while (in.read(buf, 0, buf.length) >= 0) {
      // reading reserves
    }
  }

  @Test
  void reservesInStepsAsTheBodyIsReadAndGivesItAllBack() throws IOException {
    InFlightBudget.Body body = budget.track(bytes(STEP + 1));
    assertThat(budget.inUse()).isZero();
    assertThat(body.read()).isZero();
    assertThat(budget.inUse()).isEqualTo(STEP);
    drain(body);
    assertThat(budget.inUse()).isEqualTo(2 * STEP);
    body.release();
    assertThat(budget.inUse()).isZero();
    body.release();
    assertThat(budget.inUse()).as("a second release gives nothing back twice").isZero();
  }

  @Test
  void aBodyReadToItsEndReservesNothingMore() throws IOException {
    InFlightBudget.Body body = budget.track(bytes(0));
    assertThat(body.read()).isEqualTo(-1);
    assertThat(body.read(new byte[8], 0, 8)).isEqualTo(-1);
    assertThat(budget.inUse()).isZero();
  }

  @Test
  void reservesTwiceTheEncodedRowsWhenThatIsMoreThanTheBody() {
    InFlightBudget.Body body = budget.track(bytes(0));
    body.encoded(STEP / 2);
    assertThat(budget.inUse()).isEqualTo(STEP);
    body.encoded(STEP / 2 + 1);
    assertThat(budget.inUse()).isEqualTo(2 * STEP);
    body.release();
  }

  @Test
  void aRequestThatNeedsTheWholeBudgetIsServedAndOneByteMoreIsRefusedWith413() {
    InFlightBudget.Body all = budget.track(bytes(0));
    all.encoded(2 * STEP);
    assertThat(budget.inUse()).isEqualTo(4 * STEP);
    all.release();

    InFlightBudget.Body over = budget.track(bytes(0));
    assertThatThrownBy(() -> over.encoded(2 * STEP + 1))
        .isInstanceOfSatisfying(ApiException.class, e -> assertThat(e.status()).isEqualTo(413))
        .hasMessage(
            "the records of this body need more than the server's memory budget for requests (1 MiB,"
                + " ingest.max-in-flight-bytes) once read; send them in smaller batches; nothing was stored");
    assertThat(budget.inUse()).isZero();
  }

  @Test
  void aSpentBudgetAnswers503WithRetryAfterUntilAnotherRequestGivesItsShareBack() throws IOException {
    InFlightBudget.Body first = budget.track(bytes(0));
    first.encoded(3 * STEP / 2);
    InFlightBudget.Body second = budget.track(bytes(2 * STEP));
    assertThat(second.read()).isZero();
    assertThatThrownBy(() -> drain(second))
        .isInstanceOfSatisfying(ApiException.class, e -> {
          assertThat(e.status()).isEqualTo(503);
          assertThat(e.retryAfterSeconds()).isEqualTo("1");
        })
        .hasMessage(
            "the server is holding as many request bodies as its memory budget allows (1 MiB,"
                + " ingest.max-in-flight-bytes); nothing was stored, retry shortly");
    first.release();
    drain(second);
    assertThat(budget.inUse()).isEqualTo(2 * STEP);
    second.release();
    assertThat(budget.inUse()).isZero();
  }

  @Test
  void aBudgetBelowOneStepIsRaisedToOneStep() {
    InFlightBudget tiny = new InFlightBudget(1, Duration.ZERO);
    InFlightBudget.Body body = tiny.track(bytes(0));
    body.encoded(STEP / 2);
    assertThat(tiny.inUse()).isEqualTo(STEP);
    assertThatThrownBy(() -> body.encoded(STEP / 2 + 1)).isInstanceOf(ApiException.class);
  }

  @Test
  void theLastStepTakesOnlyWhatIsLeftOfTheBudget() {
    InFlightBudget odd = new InFlightBudget(STEP + 4 * KIB, Duration.ZERO);
    InFlightBudget.Body body = odd.track(bytes(0));
    body.encoded((STEP + 4 * KIB) / 2);
    assertThat(odd.inUse()).isEqualTo(STEP + 4 * KIB);
    body.release();
    assertThat(odd.inUse()).isZero();
  }

  @Test
  void closingTheBodyKeepsTheReservation() throws IOException {
    InFlightBudget.Body body = budget.track(bytes(10));
    drain(body);
    body.close();
    assertThat(budget.inUse()).isEqualTo(STEP);
  }

  @Test
  void anInterruptedWaitIsAnswered503AndKeepsTheInterrupt() {
    InFlightBudget waiting = new InFlightBudget(STEP, Duration.ofSeconds(30));
    InFlightBudget.Body first = waiting.track(bytes(0));
    first.encoded(STEP / 2);
    InFlightBudget.Body second = waiting.track(bytes(0));
    Thread.currentThread().interrupt();
    try {
      assertThatThrownBy(() -> second.encoded(1))
          .isInstanceOfSatisfying(ApiException.class, e -> assertThat(e.status()).isEqualTo(503))
          .hasMessage("interrupted while waiting for memory to read the body; retry");
      assertThat(Thread.currentThread().isInterrupted()).isTrue();
    } finally {
      Thread.interrupted();
    }
  }
}
