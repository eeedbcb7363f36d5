package io.hindsight.bench.server;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

/**
 * CPU time of another process's threads from Linux {@code /proc/<pid>/task/<tid>/stat}, summed by
 * thread name with trailing numbers folded ({@code qtp123-45} becomes {@code qtpN-N}), so the
 * server's request threads show as one group. Empty where {@code /proc} is absent.
 */
public final class ProcThreads {
  /** Linux reports utime and stime in clock ticks, 100 per second on every common kernel config. */
  private static final long NANOS_PER_TICK = 10_000_000L;

  private ProcThreads() {}

  /** CPU nanoseconds by thread group; empty where {@code /proc} is absent. */
  public static Map<String, Long> cpuByName(long pid) {
    Map<String, Long> m = new HashMap<>();
    Path tasks = Path.of("/proc", Long.toString(pid), "task");
    try (DirectoryStream<Path> ds = Files.newDirectoryStream(tasks)) {
      for (Path t : ds) {
        try {
          String stat = Files.readString(t.resolve("stat"));
          int open = stat.indexOf('(');
          int close = stat.lastIndexOf(')');
          String name = stat.substring(open + 1, close).replaceAll("\\d+", "N");
          String[] f = stat.substring(close + 2).split(" ");
          // after "pid (comm) ": state is f[0]; utime is field 14 of the line, f[11]; stime f[12]
          long ticks = Long.parseLong(f[11]) + Long.parseLong(f[12]);
          m.merge(name, ticks * NANOS_PER_TICK, Long::sum);
        } catch (IOException | RuntimeException threadGone) {
          // the thread ended between the listing and the read
        }
      }
    } catch (IOException | RuntimeException noProc) {
      return Map.of();
    }
    return m;
  }
}
