package io.hindsight.server.connect;

/** Hears what an import does, as it does it; the command line prints it, a job keeps it. */
public interface ImportListener {
  /** After every batch and file. */
  default void progress(ImportProgress p) {}

  /** A row the server refused; {@code row} counts the file's data rows from 1. */
  default void rejected(String file, long row, String reason) {}

  /** Rows refused whose reasons the server's answer did not list one by one. */
  default void rejectedUnlisted(String file, long firstRow, long lastRow, long count) {}

  /** A warning the server gave for a stored row (a value kept in {@code _conflicts}). */
  default void warning(String file, long row, String text) {}

  /** Rows of a file that lie behind the watermark minus the delay: not imported, and said so. */
  default void late(String file, long rows) {}

  /** A finished file that was replaced since; it is not read again. */
  default void changed(String file) {}
}
