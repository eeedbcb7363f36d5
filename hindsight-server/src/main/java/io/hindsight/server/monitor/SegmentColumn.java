package io.hindsight.server.monitor;

/** A configured segment: its reference ({@code tags.segment}) and the SQL that reads it. */
record SegmentColumn(String name, String sql) {
  /** The metric store's name of one of its values: {@code tags.segment=high_value}. */
  String label(String value) {
    return name + "=" + (value == null ? "" : value);
  }
}
