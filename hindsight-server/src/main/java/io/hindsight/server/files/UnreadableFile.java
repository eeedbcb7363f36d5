package io.hindsight.server.files;

import java.io.IOException;
import java.nio.file.Path;

/**
 * The error for a file of the data folder that the server writes whole (atomically) and that no
 * longer reads: something outside the server changed it, so the way back is its copy in a backup.
 */
public final class UnreadableFile {
  private UnreadableFile() {}

  /** {@code what} names the file's role, e.g. "schema file". */
  public static IOException error(String what, Path file, Exception cause) {
    String message = cause.getMessage();
    // A parser's first line says what is wrong; the lines after it repeat where, which the path says.
    String why = message == null || message.isBlank() ? cause.getClass().getSimpleName() : message.lines().findFirst().orElse(message);
    return new IOException(
        "the " + what + " " + file + " cannot be read (" + why + "): it was changed outside the server; put back the"
            + " copy from a backup of the data folder (hindsight restore, or the file alone from the backup)",
        cause);
  }
}
