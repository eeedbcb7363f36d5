package io.hindsight.server;

import static org.assertj.core.api.Assumptions.assumeThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/** A real small file system (tmpfs) for tests of a full disk; the test is skipped where mounting is not allowed. */
public final class SmallDisk implements AutoCloseable {
  public final Path root;

  /** Mounts a tmpfs of {@code size} (e.g. "8m") on {@code root}, created if missing. */
  public SmallDisk(Path root, String size) throws Exception {
    this.root = root;
    Files.createDirectories(root);
    Process p = new ProcessBuilder("mount", "-t", "tmpfs", "-o", "size=" + size, "tmpfs", root.toString()).redirectErrorStream(true).start();
    boolean mounted = p.waitFor(10, TimeUnit.SECONDS) && p.exitValue() == 0;
    assumeThat(mounted).as("needs permission to mount a small tmpfs").isTrue();
  }

  @Override
  public void close() throws Exception {
    new ProcessBuilder("umount", "-l", root.toString()).start().waitFor(10, TimeUnit.SECONDS);
  }
}
