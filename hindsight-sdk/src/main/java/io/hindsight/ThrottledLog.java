package io.hindsight;

import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Logs the SDK's own problems through {@code java.util.logging}, at most once a minute per
 * distinct cause (a throttle key such as {@code unreachable:java.net.ConnectException} or {@code
 * refused:predictions:413}), with a count of what was suppressed in between. Shipping problems
 * must never flood the host, and one cause must not hide another. Every message names the
 * endpoint and the server URL.
 */
final class ThrottledLog {
  static final long INTERVAL_NANOS = TimeUnit.MINUTES.toNanos(1);
  /** Distinct causes tracked; past it new causes share one slot, so the map stays bounded. */
  static final int MAX_CAUSES = 256;
  private static final String OTHER = "other";
  private static final Logger LOGGER = Logger.getLogger("io.hindsight");

  private final SdkTime time;
  private final String prefix;
  private final ConcurrentHashMap<String, Slot> slots = new ConcurrentHashMap<>();

  private static final class Slot {
    volatile long lastNanos;
    volatile boolean logged;
    final AtomicLong suppressed = new AtomicLong();
  }

  /** @param serverUrl the server the instance ships to, or null for a local one */
  ThrottledLog(SdkTime time, String endpoint, String serverUrl) {
    this.time = time;
    this.prefix = "hindsight[" + endpoint + (serverUrl == null ? "" : " -> " + serverUrl) + "]: ";
  }

  /**
   * A throttle key for a server message: its quoted names and numbers blanked and its length
   * bounded, so "key 'a' ..." and "key 'b' ..." are one cause, but a different problem is another.
   */
  static String causeOf(String message) {
    if (message == null) {
      return "";
    }
    String m = message.replaceAll("'[^']*'", "''").replaceAll("[0-9]+", "#");
    return m.length() > 80 ? m.substring(0, 80) : m;
  }

  /** Logs {@code message} unless this kind was logged less than a minute ago. */
  boolean warn(String kind, String message, Throwable cause) {
    Slot slot = slots.get(kind);
    if (slot == null) {
      slot = slots.computeIfAbsent(slots.size() < MAX_CAUSES ? kind : OTHER, k -> new Slot());
    }
    long now = time.nanoTime();
    synchronized (slot) {
      if (slot.logged && now - slot.lastNanos < INTERVAL_NANOS) {
        slot.suppressed.incrementAndGet();
        return false;
      }
      slot.logged = true;
      slot.lastNanos = now;
    }
    long suppressed = slot.suppressed.getAndSet(0);
    String text =
        prefix + message + (suppressed > 0 ? " (" + suppressed + " similar messages suppressed)" : "");
    if (cause != null) {
      LOGGER.log(Level.WARNING, text, cause);
    } else {
      LOGGER.log(Level.WARNING, text);
    }
    return true;
  }

  boolean warn(String kind, String message) {
    return warn(kind, message, null);
  }

  static void info(String message) {
    LOGGER.info(message);
  }
}
