package io.hindsight.server.ops;

import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;

/** Background workers of the server: one named daemon thread each, so they never keep the JVM up. */
public final class DaemonThreads {
  private DaemonThreads() {}

  public static ScheduledExecutorService single(String name) {
    return Executors.newSingleThreadScheduledExecutor(
        r -> {
          Thread t = new Thread(r, name);
          t.setDaemon(true);
          return t;
        });
  }
}
