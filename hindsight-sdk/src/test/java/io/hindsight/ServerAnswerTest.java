package io.hindsight;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import org.junit.jupiter.api.Test;

/** How the SDK reads the server's answer: what is retried, split, rejected or delivered. */
class ServerAnswerTest {
  private static Transport.Response status(int status) {
    return new Transport.Response(status, "", null, null);
  }

  @Test
  void retriesWhatMaySucceedLaterAndNothingElse() {
    assertThat(ServerAnswer.retryable(new Transport.Response(0, null, null, new IOException("refused")))).isTrue();
    for (int s : new int[] {401, 403, 408, 429, 500, 503, 599}) {
      assertThat(ServerAnswer.retryable(status(s))).as("HTTP %d", s).isTrue();
    }
    for (int s : new int[] {200, 400, 404, 413, 415, 422, 499}) {
      assertThat(ServerAnswer.retryable(status(s))).as("HTTP %d", s).isFalse();
    }
  }

  @Test
  void onlyA413OrA400MayBeOneRecordsFault() {
    assertThat(ServerAnswer.refusedForARecord(413)).isTrue();
    assertThat(ServerAnswer.refusedForARecord(400)).isTrue();
    assertThat(ServerAnswer.refusedForARecord(422)).isFalse();
    assertThat(ServerAnswer.rejectReason(413)).isEqualTo(RejectReason.RECORD_TOO_LARGE);
    assertThat(ServerAnswer.rejectReason(400)).isEqualTo(RejectReason.INVALID);
    assertThat(ServerAnswer.rejectReason(404)).isEqualTo(RejectReason.REQUEST_REFUSED);
  }

  @Test
  void readsAcceptedAndEachRejectionOfA2xxAnswer() {
    ServerAnswer.Delivered d =
        ServerAnswer.delivered("{\"accepted\": 2, \"rejected\": [{\"index\": 1, \"error\": \"bad key\"}]}", 3);
    assertThat(d.accepted()).isEqualTo(2);
    assertThat(d.rejected()).containsExactly(new ServerAnswer.Rejection(1, "bad key"));
  }

  @Test
  void withoutAnAcceptedCountEveryRecordNotRejectedWasStored() {
    ServerAnswer.Delivered d = ServerAnswer.delivered("{\"rejected\": [\"odd\"]}", 5);
    assertThat(d.accepted()).isEqualTo(4);
    assertThat(d.rejected()).containsExactly(new ServerAnswer.Rejection(-1, "odd"));
  }

  @Test
  void anUnreadable2xxAnswerCountsEveryRecordAsStored() {
    for (String body : new String[] {null, "", "   ", "not json", "[1, 2]"}) {
      ServerAnswer.Delivered d = ServerAnswer.delivered(body, 7);
      assertThat(d.accepted()).as("body %s", body).isEqualTo(7);
      assertThat(d.rejected()).isEmpty();
    }
  }

  @Test
  void namesTheServersErrorOrTheStartOfItsBody() {
    assertThat(ServerAnswer.errorOf("{\"error\": \"disk full\"}")).isEqualTo("disk full");
    assertThat(ServerAnswer.errorOf(null)).isEqualTo("(no body)");
    assertThat(ServerAnswer.errorOf("<html>bad gateway</html>")).isEqualTo("<html>bad gateway</html>");
    assertThat(ServerAnswer.errorOf("x".repeat(400))).hasSize(303).endsWith("...");
    assertThat(ServerAnswer.describe(new Transport.Response(503, "{\"error\": \"busy\"}", null, null)))
        .isEqualTo("HTTP 503 busy");
    assertThat(ServerAnswer.describe(new Transport.Response(0, null, null, new IOException("refused"))))
        .contains("refused");
  }
}
