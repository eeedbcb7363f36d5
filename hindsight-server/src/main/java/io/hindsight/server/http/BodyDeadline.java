package io.hindsight.server.http;

import io.hindsight.server.ApiException;
import io.hindsight.server.ops.ServerMetrics;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.eclipse.jetty.http.BadMessageException;
import org.eclipse.jetty.http.HttpStatus;
import org.eclipse.jetty.server.HttpChannel;

/**
 * A request body that must arrive whole within {@code http.body-timeout} of the handler's start,
 * and no slower than {@code http.min-body-bytes-per-second} (Jetty checks the rate). Before each
 * read the connection's idle timeout is cut to the time left, so a client that stops sending is
 * answered 408 at the deadline, not when some longer idle timeout ends; at the end of the body
 * the request's usual idle timeout comes back for the answer.
 */
final class BodyDeadline extends FilterInputStream {
  private static final long IDLE_STEP_MILLIS = 250;

  private final HttpChannel channel;
  private final Duration timeout;
  private final long minBytesPerSecond;
  private final long deadlineNanos;
  private final long idleAfterBodyMillis;
  private final ServerMetrics metrics;
  /** The idle timeout last set; lowered in steps, so a stalled body is answered a step late at most. */
  private long idleMillis = Long.MAX_VALUE;
  private boolean ended;

  BodyDeadline(InputStream in, HttpChannel channel, Duration timeout, long minBytesPerSecond, ServerMetrics metrics) {
    super(in);
    this.channel = channel;
    this.timeout = timeout;
    this.minBytesPerSecond = minBytesPerSecond;
    this.deadlineNanos = System.nanoTime() + timeout.toNanos();
    this.idleAfterBodyMillis = channel.getHttpConfiguration().getIdleTimeout();
    this.metrics = metrics;
  }

  @Override
  public int read() throws IOException {
    byte[] one = new byte[1];
    int n = read(one, 0, 1);
    return n < 0 ? -1 : one[0] & 0xFF;
  }

  @Override
  public int read(byte[] b, int off, int len) throws IOException {
    if (ended) {
      return -1;
    }
    if (len == 0) {
      // Jetty's input would wait for data; the InputStream contract is to return at once.
      return 0;
    }
    long left = deadlineNanos - System.nanoTime();
    if (left <= 0) {
      throw tooSlow("body_deadline");
    }
    long leftMillis = Math.max(1, TimeUnit.NANOSECONDS.toMillis(left));
    // Shortening Jetty's idle timeout reschedules a timer: do it when it matters, not per read.
    if (idleMillis - leftMillis >= IDLE_STEP_MILLIS || leftMillis < IDLE_STEP_MILLIS) {
      idleMillis = leftMillis;
      channel.setIdleTimeout(leftMillis);
    }
    int n;
    try {
      n = super.read(b, off, len);
    } catch (BadMessageException e) {
      if (e.getCode() == HttpStatus.REQUEST_TIMEOUT_408) {
        throw tooSlow("min_body_rate");
      }
      throw e;
    } catch (IOException e) {
      if (timedOut(e)) {
        throw tooSlow("body_deadline");
      }
      throw e;
    }
    if (n < 0) {
      ended = true;
      channel.setIdleTimeout(idleAfterBodyMillis);
    }
    return n;
  }

  private ApiException tooSlow(String guard) {
    metrics.guardHit(guard);
    return new ApiException(
        408,
        "the request body did not arrive in time: a body must be sent whole within " + timeout.toMillis()
            + " ms (http.body-timeout) at " + minBytesPerSecond
            + " bytes a second or faster (http.min-body-bytes-per-second); nothing was stored");
  }

  private static boolean timedOut(Throwable e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof TimeoutException) {
        return true;
      }
    }
    return false;
  }
}
