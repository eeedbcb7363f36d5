package io.hindsight.server.files;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.UUID;

/**
 * Crash-safe file primitives: a file appears whole under its final name or not at all, and a
 * rename is durable once these methods return.
 */
public final class FileSync {
  private FileSync() {}

  /** Writes bytes to a temporary sibling, fsyncs it, renames it over {@code target}, fsyncs the folder. */
  public static void writeAtomically(Path target, byte[] bytes) throws IOException {
    Path tmp = target.resolveSibling("." + target.getFileName() + "." + UUID.randomUUID() + ".tmp");
    try (FileChannel ch =
        FileChannel.open(tmp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
      java.nio.ByteBuffer buf = java.nio.ByteBuffer.wrap(bytes);
      while (buf.hasRemaining()) {
        ch.write(buf);
      }
      ch.force(true);
    } catch (IOException e) {
      // A full disk, most likely: a retry writes under a new name, so this one would stay.
      Files.deleteIfExists(tmp);
      throw e;
    }
    moveDurably(tmp, target);
  }

  /** fsyncs a file that was written by someone else (e.g. DuckDB's COPY). */
  public static void fsync(Path file) throws IOException {
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE)) {
      ch.force(true);
    }
  }

  /** Renames atomically (replacing the target) and fsyncs the folder so the rename survives a crash. */
  public static void moveDurably(Path from, Path to) throws IOException {
    try {
      Files.move(from, to, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    } catch (AtomicMoveNotSupportedException e) {
      Files.move(from, to, StandardCopyOption.REPLACE_EXISTING);
    }
    fsyncDirectory(to.getParent());
  }

  /** Creates a folder and its parents, fsyncing each new one's parent so they survive a crash. */
  public static void createDirectoriesDurably(Path dir) throws IOException {
    if (Files.isDirectory(dir)) {
      return;
    }
    createDirectoriesDurably(dir.getParent());
    try {
      Files.createDirectory(dir);
    } catch (java.nio.file.FileAlreadyExistsException e) {
      return;
    }
    fsyncDirectory(dir.getParent());
  }

  public static void fsyncDirectory(Path dir) throws IOException {
    try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
      ch.force(true);
    }
  }
}
