package io.hindsight.server.lake;

import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What is wrong with the lake writer right now, for {@code GET /health}, {@code /metrics} and the
 * log: a write that keeps failing, a flush that died, a writer that makes no progress. Each
 * problem is logged when it starts and when it ends, not on every retry.
 */
final class WriterHealth {
  private static final Logger log = LoggerFactory.getLogger(LakeWriter.class);

  private final Clock clock;
  private final AtomicLong writeFailures = new AtomicLong();
  private final AtomicLong flushCrashes = new AtomicLong();
  private volatile String writeProblem;
  private volatile String crashProblem;
  private volatile String stallProblem;

  WriterHealth(Clock clock) {
    this.clock = clock;
  }

  void writeFailed(int rows, Path dir, Exception cause) {
    writeFailures.incrementAndGet();
    if (writeProblem == null) {
      writeProblem =
          "lake writer: cannot write " + rows + " rows to " + dir + " since " + Instant.now(clock) + " (" + cause
              + "); they stay in the log and are retried";
      log.error("{}", writeProblem, cause);
    }
  }

  /** A flush round wrote every partition it had. */
  void wroteAll() {
    if (writeProblem != null) {
      writeProblem = null;
      log.info("lake writer: writing again; the rows that waited are in the lake");
    }
  }

  /** A flush ran to its end without an unexpected error. */
  void flushEnded() {
    if (crashProblem != null) {
      crashProblem = null;
      log.info("lake writer: flushes run to their end again");
    }
  }

  /** A flush ended with an unexpected exception or error; it runs again at the next interval. */
  void flushCrashed(Throwable t) {
    flushCrashes.incrementAndGet();
    crashProblem = "lake writer: a flush failed at " + Instant.now(clock) + " (" + t + "); retrying";
    try {
      log.error("lake flush failed; rows stay in the log and are retried", t);
    } catch (Throwable ignored) {
      // Out of memory even for logging: the counter and health still tell.
    }
  }

  /** Sets or clears the no-progress problem; logs when it starts and ends. */
  void stalled(String problem) {
    if (problem != null && stallProblem == null) {
      log.error("{}", problem);
    } else if (problem == null && stallProblem != null) {
      log.info("lake writer: making progress again");
    }
    stallProblem = problem;
  }

  List<String> problems() {
    List<String> out = new ArrayList<>(3);
    for (String p : new String[] {writeProblem, crashProblem, stallProblem}) {
      if (p != null) {
        out.add(p);
      }
    }
    return out;
  }

  long writeFailures() {
    return writeFailures.get();
  }

  long flushCrashes() {
    return flushCrashes.get();
  }
}
