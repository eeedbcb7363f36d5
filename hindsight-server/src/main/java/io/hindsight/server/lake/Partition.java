package io.hindsight.server.lake;

import io.hindsight.server.schema.Row;
import io.hindsight.server.schema.Table;
import java.time.LocalDate;

/** A folder of the lake: {@code <table>/endpoint=<e>/date=<d>}, or without a date for events. */
public record Partition(Table table, String endpoint, LocalDate date) {
  public static Partition of(Row row) {
    return new Partition(row.table(), row.endpoint(), row.table().partitionedByDate() ? row.date() : null);
  }

  /** The folder's path within the lake, {@code /}-separated: how files name their partition. */
  public String folder() {
    return table.dirName() + "/endpoint=" + endpoint + (date == null ? "" : "/date=" + date);
  }
}
