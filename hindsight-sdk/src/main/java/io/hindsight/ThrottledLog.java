package io.hindsight;

import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Logs the SDK's own problems through {@code java.util.logging}, at most once a minute per kind,
 * with a count of what was suppressed in between. Shipping problems must never flood the host.
 */
final class ThrottledLog {
  static final long INTERVAL_NANOS = TimeUnit.MINUTES.toNanos(1);
  private static final Logger LOGGER = Logger.getLogger("io.hindsight");

  private final SdkTime time;
  private final String prefix;
  private final ConcurrentHashMap<String, Slot> slots = new ConcurrentHashMap<>();

  private static final class Slot {
    volatile long lastNanos;
    volatile boolean logged;
    final AtomicLong suppressed = new AtomicLong();
  }

  ThrottledLog(SdkTime time, String endpoint) {
    this.time = time;
    this.prefix = "hindsight[" + endpoint + "]: ";
  }

  /** Logs {@code message} unless this kind was logged less than a minute ago. */
  boolean warn(String kind, String message, Throwable cause) {
    Slot slot = slots.computeIfAbsent(kind, k -> new Slot());
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
