package io.hindsight.server.files;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.NotDirectoryException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * One server's claim on its data folder. Two servers on one folder would replay, write and
 * truncate the same write-ahead log and remove each other's files in flight, so the second stops
 * at start and names the first. The claim is the operating system's lock on a file in the folder:
 * it ends with the process however the process ends (kill -9 included), so nothing stale is left
 * to clean up. The file says who holds it, for the second server's message.
 */
public final class DataFolderLock implements AutoCloseable {
  /** The file in the data folder that is locked; what it says is only for people. */
  public static final String FILE = "server.lock";

  /** Another server holds the folder. */
  public static final class InUse extends IOException {
    InUse(String message) {
      super(message);
    }
  }

  private final FileChannel channel;
  private final String unlockedBecause;

  private DataFolderLock(FileChannel channel, String unlockedBecause) {
    this.channel = channel;
    this.unlockedBecause = unlockedBecause;
  }

  /**
   * Claims {@code folder} for this process, described by {@code holder} (e.g. its process id).
   * Throws {@link InUse} when another server holds it. On a file system without locks the claim
   * is granted unlocked; {@link #unlockedBecause()} says why, for a warning.
   */
  public static DataFolderLock claim(Path folder, String holder) throws IOException {
    Path file = folder.resolve(FILE);
    FileChannel channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE);
    try {
      DataFolderLock claimed = new DataFolderLock(channel, lockOrWhyNot(channel, folder));
      claimed.describe(holder);
      return claimed;
    } catch (IOException | RuntimeException e) {
      channel.close(); // and with it the lock, if it was taken
      throw e;
    }
  }

  /** Locks the file; null when locked, why not on a file system without locks; {@link InUse} when held. */
  private static String lockOrWhyNot(FileChannel channel, Path folder) throws IOException {
    FileLock lock;
    try {
      lock = channel.tryLock();
    } catch (OverlappingFileLockException sameProcess) {
      lock = null;
    } catch (IOException unsupported) {
      return unsupported.toString();
    }
    if (lock == null) {
      String other = read(channel);
      throw new InUse(
          "the data folder " + folder + " is in use by another Hindsight server"
              + (other.isEmpty() ? "" : " (" + other + ")")
              + "; stop that one first, or give this one a data folder of its own (--data-dir)");
    }
    return null;
  }

  /** Says who holds the folder now, e.g. once the server knows its address. */
  public void describe(String holder) throws IOException {
    channel.truncate(0);
    channel.write(ByteBuffer.wrap((holder + "\n").getBytes(StandardCharsets.UTF_8)), 0);
  }

  /** Why the folder is not locked although claimed (a file system without locks), or null when it is. */
  public String unlockedBecause() {
    return unlockedBecause;
  }

  /** What went wrong when creating or claiming the data folder {@code folder}, in words with the way out. */
  public static String problemWith(Path folder, FileSystemException e) {
    String what =
        e instanceof AccessDeniedException
            ? "permission denied on " + e.getFile() + " to the user this server runs as"
            : e instanceof FileAlreadyExistsException || e instanceof NotDirectoryException
                ? e.getFile() + " is a file where a folder belongs"
                : e.getFile() + ": " + (e.getReason() != null ? e.getReason() : e.getClass().getSimpleName());
    return "cannot use the data folder " + folder + ": " + what
        + "; give --data-dir (data-dir: in the config) a folder this user may write, created if missing";
  }

  private static String read(FileChannel channel) throws IOException {
    ByteBuffer text = ByteBuffer.allocate(512);
    channel.read(text, 0);
    return new String(text.array(), 0, text.position(), StandardCharsets.UTF_8).strip();
  }

  /** Gives the folder up; closing the channel releases the lock. */
  @Override
  public void close() throws IOException {
    channel.close();
  }
}
