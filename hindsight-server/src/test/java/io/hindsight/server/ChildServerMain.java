package io.hindsight.server;

import java.nio.file.Path;
import java.time.Duration;

/**
 * Runs a server in its own JVM for crash tests. Args: the data folder, a file to write the port to,
 * and optionally the lake flush interval in milliseconds.
 */
public final class ChildServerMain {
  public static void main(String[] args) throws Exception {
    ServerConfig c = new ServerConfig();
    c.dataDir = Path.of(args[0]);
    c.port = 0;
    c.lake.flushInterval = Duration.ofMillis(args.length > 2 ? Long.parseLong(args[2]) : 100);
    c.lake.compactionInterval = Duration.ofMillis(500);
    c.lake.compactionMinFiles = 4;
    c.wal.segmentBytes = 256 * 1024;
    HindsightServer s = HindsightServer.start(c);
    java.nio.file.Files.writeString(Path.of(args[1]), Integer.toString(s.port()));
    Thread.currentThread().join();
  }
}
