package io.hindsight.server.retention;

import io.hindsight.server.schema.Table;
import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/** What a retention period or a deletion applies to: the three record tables and the metric store. */
public enum DataKind {
  PREDICTIONS(Table.PREDICTIONS),
  FEEDBACK(Table.FEEDBACK),
  EVENTS(Table.EVENTS),
  /** The metric store's files, {@code lake/metrics/endpoint=<e>/date=<d>/}; they outlive raw data. */
  METRICS(null);

  private final Table table;

  DataKind(Table table) {
    this.table = table;
  }

  /** The record table, or null for metrics. */
  public Table table() {
    return table;
  }

  public String publicName() {
    return name().toLowerCase(Locale.ROOT);
  }

  /** The kind named {@code name}; an IllegalArgumentException listing the kinds otherwise. */
  public static DataKind of(String name) {
    for (DataKind k : values()) {
      if (k.publicName().equals(name)) {
        return k;
      }
    }
    throw new IllegalArgumentException("unknown kind '" + name + "'; one of " + names());
  }

  public static String names() {
    return Arrays.stream(values()).map(DataKind::publicName).collect(Collectors.joining(", "));
  }
}
