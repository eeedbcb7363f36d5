package io.hindsight.server;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** A server in a JVM of its own, for what a test JVM cannot show: a small heap, a hard kill. */
public final class ChildServer implements AutoCloseable {
  /**
   * The JVM option the launcher gives a server, for the lake writer's Arrow encoder; without it a
   * child runs the Appender fallback ({@code lake.encoder}).
   */
  public static final String ADD_OPENS = "--add-opens=java.base/java.nio=ALL-UNNAMED";

  private final Process process;
  private final Path log;
  public final int port;

  /** Starts {@link ChildServerMain} on {@code dir/data} with the given JVM options and waits for its port. */
  public ChildServer(Path dir, String... jvmOptions) throws IOException, InterruptedException {
    Path portFile = dir.resolve("port");
    log = dir.resolve("child.log");
    List<String> cmd = new ArrayList<>();
    cmd.add(ProcessHandle.current().info().command().orElse("java"));
    cmd.addAll(List.of(jvmOptions));
    cmd.addAll(
        List.of(
            "-cp", System.getProperty("java.class.path"), ChildServerMain.class.getName(),
            dir.resolve("data").toString(), portFile.toString()));
    process = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
    long deadline = System.nanoTime() + 60_000_000_000L;
    while (!Files.exists(portFile) || Files.readString(portFile).isBlank()) {
      if (!process.isAlive() || System.nanoTime() > deadline) {
        process.destroyForcibly();
        throw new AssertionError("child server did not start:\n" + Files.readString(log));
      }
      Thread.sleep(50);
    }
    port = Integer.parseInt(Files.readString(portFile).trim());
  }

  public long pid() {
    return process.pid();
  }

  public String url(String path) {
    return "http://127.0.0.1:" + port + path;
  }

  public String log() throws IOException {
    return Files.readString(log);
  }

  @Override
  public void close() throws InterruptedException {
    process.destroyForcibly();
    process.waitFor();
  }
}
