package io.hindsight.bench.server;

import java.time.Duration;
import java.util.Map;

/**
 * The server's CPU over the measured window, per record acked in it, by thread group: CPU time is
 * far steadier than throughput on a shared machine, so it shows what a change to the server saves.
 * Read from {@code /proc}; prints nothing where that is absent.
 */
final class ServerCpu {
  private final long pid;
  private volatile Map<String, Long> threadsAtStart;
  private volatile long processAtStart;
  private volatile Map<String, Long> threadsAtEnd;
  private volatile long processAtEnd;

  private ServerCpu(long pid) {
    this.pid = pid;
  }

  /** Takes the first reading after {@code delay} (the warm-up), on a daemon thread. */
  static ServerCpu startingAfter(long pid, Duration delay) {
    ServerCpu cpu = new ServerCpu(pid);
    Thread t =
        new Thread(
            () -> {
              try {
                Thread.sleep(delay.toMillis());
              } catch (InterruptedException e) {
                return;
              }
              cpu.processAtStart = processNanos(pid);
              cpu.threadsAtStart = ProcThreads.cpuByName(pid);
            },
            "server-cpu");
    t.setDaemon(true);
    t.start();
    return cpu;
  }

  /**
   * Takes the last reading: when the load ends, so that waiting for a slow freshness probe or for
   * the server to stop afterwards is not counted against the records.
   */
  void stop() {
    processAtEnd = processNanos(pid);
    threadsAtEnd = ProcThreads.cpuByName(pid);
  }

  /** Prints the CPU used between the readings ({@link #stop} taken now if it was not), per record and in cores. */
  void print(long records, double seconds) {
    if (threadsAtEnd == null) {
      stop();
    }
    Map<String, Long> start = threadsAtStart;
    Map<String, Long> end = threadsAtEnd;
    if (start == null || start.isEmpty() || end.isEmpty() || records == 0) {
      return;
    }
    long requests = 0;
    long lake = 0;
    long merges = 0;
    for (Map.Entry<String, Long> e : end.entrySet()) {
      long used = Math.max(0, e.getValue() - start.getOrDefault(e.getKey(), 0L));
      String name = e.getKey();
      if (name.startsWith("qtp") || name.startsWith("JettyServerThre")) {
        requests += used;
      } else if (name.startsWith("hindsight-lake")) {
        lake += used;
      } else if (name.startsWith("hindsight-compa")) {
        merges += used;
      }
    }
    long total = processAtEnd - processAtStart;
    printByGroup(start, end, records);
    System.out.printf(
        "server CPU per record: %.1f us request threads, %.1f us lake writer, %.1f us merges, %.1f us in all"
            + " (%.2f cores)%n",
        micros(requests, records), micros(lake, records), micros(merges, records), micros(total, records),
        total / (seconds * 1e9));
    System.out.printf(
        "SERVER_CPU request_us=%.1f lake_us=%.1f merge_us=%.1f total_us=%.1f%n",
        micros(requests, records), micros(lake, records), micros(merges, records), micros(total, records));
  }

  /** Every thread group over 0.5 µs a record, the busiest first. */
  private static void printByGroup(Map<String, Long> start, Map<String, Long> end, long records) {
    StringBuilder line = new StringBuilder("server CPU per record by thread group:");
    end.entrySet().stream()
        .map(e -> Map.entry(e.getKey(), Math.max(0, e.getValue() - start.getOrDefault(e.getKey(), 0L))))
        .filter(e -> micros(e.getValue(), records) >= 0.5)
        .sorted(Map.Entry.<String, Long>comparingByValue().reversed())
        .forEach(e -> line.append(String.format(" %s %.1f us,", e.getKey(), micros(e.getValue(), records))));
    System.out.println(line.substring(0, line.length() - 1));
  }

  private static double micros(long nanos, long records) {
    return nanos / 1000.0 / records;
  }

  static long processNanos(long pid) {
    return ProcessHandle.of(pid).flatMap(h -> h.info().totalCpuDuration()).map(Duration::toNanos).orElse(0L);
  }
}
