package io.hindsight.server.hostile;

import static org.assertj.core.api.Assertions.assertThat;

import io.hindsight.server.TestServer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Clients that send slowly, or never finish, are cut off by deadlines and never hold the ingest
 * slots others need (DESIGN §8: no client can stall the server for others).
 */
@Timeout(60)
class SlowClientTest {
  private static final String PREDICTIONS = "/v1/endpoints/e1/predictions";

  @TempDir Path dir;

  private static String head(String path, String extraHeaders) {
    return "POST " + path + " HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n" + extraHeaders + "\r\n";
  }

  @Test
  void clientsDrippingTheirBodiesDoNotStopANormalIngest() throws Exception {
    try (TestServer s = new TestServer(dir, c -> c.ingest.maxConcurrentRequests = 4)) {
      List<RawConnection> drippers = new ArrayList<>();
      try {
        for (int i = 0; i < 16; i++) {
          RawConnection d = new RawConnection(s.server().port(), 10_000);
          d.send(head(PREDICTIONS, "Content-Length: 1000\r\n") + "[");
          drippers.add(d);
        }
        Thread.sleep(200); // let the server start reading every dripping body
        TestServer.Response normal = s.predictions("e1", "{\"data\": {\"x\": 1}}");
        assertThat(normal.status()).as(normal.body()).isEqualTo(200);
        drippers.forEach(d -> d.send(" "));
        for (RawConnection d : drippers) {
          String answer = d.readAll();
          assertThat(RawConnection.status(answer)).as(answer).isEqualTo(408);
          assertThat(answer).contains("http.min-body-bytes-per-second");
        }
      } finally {
        for (RawConnection d : drippers) {
          d.close();
        }
      }
      assertThat(s.get("/metrics").body()).contains("hindsight_guard_refusals_total{guard=\"min_body_rate\"}");
    }
  }

  @Test
  void aChunkedBodyThatNeverEndsIs408AtTheBodyDeadline() throws Exception {
    try (TestServer s = new TestServer(dir, c -> c.http.bodyTimeout = Duration.ofMillis(500));
        RawConnection c = new RawConnection(s.server().port(), 10_000)) {
      c.send(head(PREDICTIONS, "Transfer-Encoding: chunked\r\n") + "1\r\n[\r\n");
      String answer = c.readAll();
      assertThat(RawConnection.status(answer)).as(answer).isEqualTo(408);
      assertThat(answer).contains("http.body-timeout").contains("nothing was stored");
      assertThat(s.predictions("e1", "{\"data\": {\"x\": 1}}").status()).isEqualTo(200);
    }
  }

  @Test
  void aBodySentSteadilyButTooLongIs408AtTheBodyDeadline() throws Exception {
    try (TestServer s =
            new TestServer(
                dir,
                c -> {
                  c.http.bodyTimeout = Duration.ofMillis(500);
                  c.http.minBodyBytesPerSecond = 1;
                });
        RawConnection c = new RawConnection(s.server().port(), 10_000)) {
      c.send(head(PREDICTIONS, "Transfer-Encoding: chunked\r\n") + "1\r\n[\r\n");
      // Above the minimum rate, for far longer than the deadline.
      for (int i = 0; i < 50 && c.send("1\r\n \r\n"); i++) {
        Thread.sleep(100);
      }
      String answer = c.readAll();
      assertThat(RawConnection.status(answer)).as(answer).isEqualTo(408);
      assertThat(answer).contains("http.body-timeout");
    }
  }

  @Test
  void aClientDrippingItsHeadersIsDisconnected() throws Exception {
    try (TestServer s = new TestServer(dir, c -> c.http.headerTimeout = Duration.ofMillis(300));
        RawConnection c = new RawConnection(s.server().port(), 200)) {
      c.send("POST " + PREDICTIONS + " HTTP/1.1\r\nHost: x\r\n");
      boolean closed = false;
      // Each header byte arrives well within any idle timeout; only a deadline stops this.
      for (int i = 0; i < 100 && !closed; i++) {
        closed = !c.send("X") || c.closedByServer();
      }
      assertThat(closed).as("connection closed while its headers were still dripping").isTrue();
      assertThat(s.get("/metrics").body()).contains("hindsight_guard_refusals_total{guard=\"header_deadline\"}");
    }
  }
}
