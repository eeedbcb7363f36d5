package io.hindsight.server.lake;

import io.hindsight.server.files.FileSync;
import io.hindsight.server.schema.Table;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.locks.Lock;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Lake files that are not whole Parquet files any more (cut short or overwritten by something
 * outside the server: a failing disk, a copy that did not finish) are moved out of the lake into
 * a folder beside it, so that one bad file does not fail every query, merge and lookup of its
 * table, nor Spark or Trino reading the same lake. Their rows are out of every answer until the
 * file is restored (from a backup, or the lake's object store); {@code GET /health} says so for
 * as long as a file is in that folder.
 *
 * <p>The check reads a file's frame only (the magic bytes at both ends and the footer's length),
 * which is what a cut-short file breaks; a file damaged inside its pages still fails the queries
 * that read those pages, with DuckDB's error naming it.
 */
public final class DamagedFiles implements java.io.Closeable {
  private static final Logger log = LoggerFactory.getLogger(DamagedFiles.class);
  private static final byte[] MAGIC = "PAR1".getBytes(StandardCharsets.US_ASCII);
  /** A lake file's path as DuckDB quotes it in an error. */
  private static final Pattern QUOTED_FILE = Pattern.compile("'([^']+\\.parquet)'");

  private final Lake lake;
  /** The lake's folder, absolute and normalized, as the paths of errors are compared with it. */
  private final Path root;
  private final Path into;
  private final ExecutorService checker = Executors.newSingleThreadExecutor(r -> {
    Thread t = new Thread(r, "hindsight-damaged-files");
    t.setDaemon(true);
    return t;
  });
  private volatile Runnable afterMove = () -> {};

  /** Moves the damaged files of {@code lake} into {@code into}, a folder outside it. */
  public DamagedFiles(Lake lake, Path into) {
    this.lake = lake;
    this.root = lake.root().toAbsolutePath().normalize();
    this.into = into;
  }

  /** Runs after files were moved out of the lake (the SQL views are rebuilt without them). */
  public void afterMove(Runnable afterMove) {
    this.afterMove = afterMove;
  }

  /** Why {@code file} is not a whole Parquet file, or null when its frame is intact. */
  static String damage(Path file) throws IOException {
    try (FileChannel ch = FileChannel.open(file)) {
      long size = ch.size();
      if (size < 12) {
        return "only " + size + " bytes long";
      }
      ByteBuffer head = ByteBuffer.allocate(4);
      ch.read(head, 0);
      ByteBuffer tail = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
      ch.read(tail, size - 8);
      if (!java.util.Arrays.equals(head.array(), MAGIC)) {
        return "it does not start as a Parquet file does";
      }
      if (!java.util.Arrays.equals(java.util.Arrays.copyOfRange(tail.array(), 4, 8), MAGIC)) {
        return "it is cut short: no Parquet footer at its end";
      }
      long footer = Integer.toUnsignedLong(tail.getInt(0));
      if (footer == 0 || footer > size - 12) {
        return "its footer length (" + footer + " bytes) does not fit in the file";
      }
      return null;
    }
  }

  /**
   * Checks, in the background, the lake files an error names (a query's, a merge's): DuckDB quotes
   * the file it could not read. The caller may hold the lake's read lock; the move waits for it.
   */
  public void suspect(String error) {
    if (error == null) {
      return;
    }
    List<Path> named = new ArrayList<>();
    Matcher m = QUOTED_FILE.matcher(error);
    while (m.find()) {
      Path p = Path.of(m.group(1)).toAbsolutePath().normalize();
      if (p.startsWith(root) && lakeDataFile(p)) {
        named.add(p);
      }
    }
    if (named.isEmpty()) {
      return;
    }
    try {
      checker.execute(
          () -> {
            try {
              moveDamaged(named);
            } catch (IOException | RuntimeException e) {
              log.warn("could not check the lake files {}: {}", named, e.toString());
            }
          });
    } catch (java.util.concurrent.RejectedExecutionException closed) {
      // the server is stopping; the next start finds the file again
    }
  }

  private synchronized void moveDamaged(List<Path> files) throws IOException {
    List<Path> moved = new ArrayList<>();
    for (Path f : files) {
      String why;
      try {
        why = damage(f);
      } catch (java.nio.file.NoSuchFileException gone) {
        continue; // merged or deleted meanwhile
      }
      if (why == null) {
        continue;
      }
      Path target = into.resolve(root.relativize(f));
      Files.createDirectories(target.getParent());
      Lock swap = lake.lockSwap();
      try {
        FileSync.moveDurably(f, target);
      } finally {
        swap.unlock();
      }
      log.error(
          "the lake file {} cannot be read ({}); moved to {} so that queries over the rest work; its rows are out of"
              + " every answer until it is restored from a backup",
          f, why, target);
      moved.add(target);
    }
    if (!moved.isEmpty()) {
      for (Table t : Table.values()) {
        lake.recheckData(t);
      }
      afterMove.run();
    }
  }

  /** What {@code GET /health} says while files are in the damaged folder: which, and what to do. */
  public List<String> problems() {
    if (!Files.isDirectory(into)) {
      return List.of();
    }
    List<Path> found;
    try (Stream<Path> s = Files.walk(into)) {
      found = s.filter(Files::isRegularFile).sorted().toList();
    } catch (IOException e) {
      return List.of("could not list " + into + ": " + e);
    }
    if (found.isEmpty()) {
      return List.of();
    }
    List<String> names = found.stream().limit(5).map(p -> into.relativize(p).toString()).toList();
    return List.of(
        found.size() + " lake file(s) could not be read and were moved to " + into + " (" + String.join(", ", names)
            + (found.size() > names.size() ? ", …" : "") + "); their rows are out of every answer: restore them into the"
            + " lake from a backup, or delete them there to accept the loss");
  }

  /** Stops checking; a check under way is interrupted before it moves anything more. */
  @Override
  public void close() {
    checker.shutdownNow();
  }

  /** Files a reader of the lake reads: Parquet files outside its hidden folders, not being written. */
  private boolean lakeDataFile(Path p) {
    String n = p.getFileName().toString();
    if (!n.endsWith(Lake.DATA_SUFFIX) || n.startsWith(".")) {
      return false;
    }
    for (Path part : root.relativize(p)) {
      if (part.toString().startsWith(".")) {
        return false;
      }
    }
    return Files.isRegularFile(p);
  }
}
