package io.hindsight.server.ops;

import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadFactory;

/** Background workers of the server: named daemon threads, so they never keep the JVM up. */
public final class DaemonThreads {
  private DaemonThreads() {}

  public static ScheduledExecutorService single(String name) {
    return Executors.newSingleThreadScheduledExecutor(named(name));
  }

  /** {@code threads} daemon threads named {@code name}. */
  public static ExecutorService pool(String name, int threads) {
    return Executors.newFixedThreadPool(threads, named(name));
  }

  private static ThreadFactory named(String name) {
    return r -> {
      Thread t = new Thread(r, name);
      t.setDaemon(true);
      return t;
    };
  }
}
