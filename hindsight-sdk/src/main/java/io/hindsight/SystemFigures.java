package io.hindsight;

import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.lang.management.OperatingSystemMXBean;
import java.net.InetAddress;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The figures {@link HindsightBuilder#captureSystem()} adds to each prediction record as its
 * {@code system} value: host, process id, heap used, process CPU load, GC time since the previous
 * record and the prediction thread's name.
 *
 * <p>JMX is read at most every {@value #REFRESH_MILLIS} ms, by whichever prediction thread first
 * finds the figures stale (one CAS decides which); every other close takes the cached snapshot with
 * one volatile read. The GC delta and the thread name are added on the worker when the record is
 * written, so the prediction thread pays nothing for them.
 */
final class SystemFigures {
  static final long REFRESH_MILLIS = 100;
  private static final long REFRESH_NANOS = TimeUnit.MILLISECONDS.toNanos(REFRESH_MILLIS);

  /**
   * Figures read at one moment; {@code members} is the shared part, written once in the body format
   * of the records and copied as is into each.
   */
  static final class Snapshot {
    final long takenNanos;
    final long gcMillis;
    final BodyFormat format;
    final byte[] members;

    Snapshot(long takenNanos, long gcMillis, BodyFormat format, byte[] members) {
      this.takenNanos = takenNanos;
      this.gcMillis = gcMillis;
      this.format = format;
      this.members = members;
    }
  }

  /** GC time between consecutive records, kept by the single thread that writes them. */
  static final class GcClock {
    private long last = -1;

    /** Milliseconds of GC since the previous record; 0 for the first one. */
    long since(long gcMillisTotal) {
      long delta = last < 0 ? 0 : Math.max(0, gcMillisTotal - last);
      last = Math.max(last, gcMillisTotal);
      return delta;
    }
  }

  private final BodyFormat format;
  private final String host;
  private final long pid;
  private final MemoryMXBean memory = ManagementFactory.getMemoryMXBean();
  private final List<GarbageCollectorMXBean> collectors = ManagementFactory.getGarbageCollectorMXBeans();
  private final OperatingSystemMXBean os = ManagementFactory.getOperatingSystemMXBean();
  private final AtomicBoolean refreshing = new AtomicBoolean();
  private volatile Snapshot current;

  SystemFigures(SdkTime time, BodyFormat format) {
    this.format = format;
    this.host = hostName();
    this.pid = ProcessHandle.current().pid();
    this.current = read(time.nanoTime());
  }

  private static String hostName() {
    String env = System.getenv("HOSTNAME");
    if (env != null && !env.isBlank()) {
      return env;
    }
    try {
      return InetAddress.getLocalHost().getHostName();
    } catch (Exception e) {
      return "unknown";
    }
  }

  /** The cached figures, refreshed first when they are older than {@value #REFRESH_MILLIS} ms. */
  Snapshot now(long nowNanos) {
    Snapshot s = current;
    if (nowNanos - s.takenNanos >= REFRESH_NANOS && refreshing.compareAndSet(false, true)) {
      try {
        s = read(nowNanos);
        current = s;
      } finally {
        refreshing.set(false);
      }
    }
    return s;
  }

  private Snapshot read(long nowNanos) {
    long gc = 0;
    for (GarbageCollectorMXBean c : collectors) {
      long t = c.getCollectionTime();
      if (t > 0) {
        gc += t;
      }
    }
    double cpu = -1;
    if (os instanceof com.sun.management.OperatingSystemMXBean) {
      cpu = ((com.sun.management.OperatingSystemMXBean) os).getProcessCpuLoad();
    }
    BodyOut out = format.writer(128);
    out.field("host").string(host);
    out.next().field("pid").number(pid);
    out.next().field("heap_used_bytes").number(memory.getHeapMemoryUsage().getUsed());
    out.next().field("cpu_load");
    if (cpu >= 0 && Double.isFinite(cpu)) {
      out.number(Math.round(cpu * 10_000) / 10_000.0);
    } else {
      out.nul();
    }
    return new Snapshot(nowNanos, gc, format, out.toByteArray());
  }

  /** Writes {@code {"thread":..., "gc_ms_since_previous":..., "host":..., ...}}. */
  static void write(BodyOut out, Snapshot s, String threadName, GcClock gc) {
    out.beginObject().field("thread").string(threadName);
    out.next().field("gc_ms_since_previous").number(gc.since(s.gcMillis));
    if (s.format != out.format()) {
      throw new IllegalStateException("system figures written as " + s.format + " into a " + out.format() + " body");
    }
    out.next().bytes(s.members, 0, s.members.length).endObject();
  }
}
