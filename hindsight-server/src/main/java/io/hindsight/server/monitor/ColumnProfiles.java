package io.hindsight.server.monitor;

import java.util.List;

/**
 * The profiles of a window's columns, from one pass of {@link Profiler}.
 *
 * @param rows rows of the window
 * @param columns one profile per column asked for, in the order asked
 */
public record ColumnProfiles(long rows, List<ColumnProfile> columns) {
  public ColumnProfiles {
    columns = List.copyOf(columns);
  }

  /** The profile of the column named {@code name}. */
  public ColumnProfile column(String name) {
    return columns.stream()
        .filter(c -> c.column().equals(name))
        .findFirst()
        .orElseThrow(() -> new IllegalArgumentException("no profile of column '" + name + "'"));
  }
}
