package io.hindsight.server.http;

import io.hindsight.server.ops.ServerMetrics;
import java.time.Duration;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.eclipse.jetty.io.Connection;
import org.eclipse.jetty.io.EndPoint;
import org.eclipse.jetty.io.ssl.SslConnection;
import org.eclipse.jetty.server.AbstractConnector;
import org.eclipse.jetty.server.HttpConnection;
import org.eclipse.jetty.util.component.AbstractLifeCycle;
import org.eclipse.jetty.util.thread.Scheduler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Closes connections whose request line and headers take longer than {@code http.header-timeout}
 * to arrive. Jetty's idle timeout only catches a client that goes silent; one that drips a header
 * byte now and then would otherwise keep its connection for as long as it likes. A sweep a few
 * times per timeout looks at every connection whose parser is inside a request head.
 */
final class HeaderDeadline extends AbstractLifeCycle {
  private static final Logger log = LoggerFactory.getLogger(HeaderDeadline.class);

  /** When a connection was first seen inside the head of its n-th request. */
  private record Head(long request, long sinceNanos) {}

  private final AbstractConnector connector;
  private final long timeoutNanos;
  private final long sweepMillis;
  private final ServerMetrics metrics;
  private final Map<HttpConnection, Head> heads = new ConcurrentHashMap<>();
  private volatile Scheduler.Task next;

  HeaderDeadline(AbstractConnector connector, Duration timeout, ServerMetrics metrics) {
    this.connector = connector;
    this.timeoutNanos = timeout.toNanos();
    this.sweepMillis = Math.max(10, timeout.toMillis() / 4);
    this.metrics = metrics;
  }

  @Override
  protected void doStart() {
    schedule();
  }

  @Override
  protected void doStop() {
    Scheduler.Task t = next;
    if (t != null) {
      t.cancel();
    }
    heads.clear();
  }

  private void schedule() {
    if (isRunning() || isStarting()) {
      next = connector.getScheduler().schedule(this::sweep, sweepMillis, TimeUnit.MILLISECONDS);
    }
  }

  private void sweep() {
    try {
      long now = System.nanoTime();
      Set<HttpConnection> seen = new HashSet<>();
      for (EndPoint endPoint : connector.getConnectedEndPoints()) {
        HttpConnection http = httpConnection(endPoint.getConnection());
        if (http == null || !http.getParser().inHeaderState() || http.getParser().isStart()) {
          continue;
        }
        seen.add(http);
        Head head = heads.compute(
            http, (c, h) -> h != null && h.request() == c.getMessagesIn() ? h : new Head(c.getMessagesIn(), now));
        if (now - head.sinceNanos() > timeoutNanos) {
          metrics.guardHit("header_deadline");
          log.debug("closing a connection from {}: its request headers took over {} ms (http.header-timeout)",
              endPoint.getRemoteSocketAddress(), TimeUnit.NANOSECONDS.toMillis(timeoutNanos));
          endPoint.close();
        }
      }
      heads.keySet().retainAll(seen);
    } catch (RuntimeException e) {
      log.warn("header deadline sweep failed; trying again next time", e);
    } finally {
      schedule();
    }
  }

  private static HttpConnection httpConnection(Connection c) {
    if (c instanceof SslConnection ssl) {
      c = ssl.getDecryptedEndPoint().getConnection();
    }
    return c instanceof HttpConnection http ? http : null;
  }
}
