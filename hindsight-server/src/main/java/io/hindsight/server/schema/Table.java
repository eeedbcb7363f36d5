package io.hindsight.server.schema;

import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.stream.Collectors;

/** The three record tables of the lake, each with its fixed system columns. */
public enum Table {
  PREDICTIONS(
      "predictions",
      true,
      List.of(
          new SystemColumn("prediction_id", ColumnType.STRING),
          new SystemColumn("ts", ColumnType.TIMESTAMP),
          new SystemColumn("model_version", ColumnType.STRING),
          new SystemColumn("request_id", ColumnType.STRING),
          new SystemColumn("tags", ColumnType.MAP),
          new SystemColumn("latency_ms", ColumnType.DOUBLE),
          new SystemColumn("status", ColumnType.STRING),
          new SystemColumn("error", ColumnType.STRING),
          new SystemColumn("sample_rate", ColumnType.DOUBLE),
          new SystemColumn("_conflicts", ColumnType.JSON),
          new SystemColumn(Table.LEAF, ColumnType.BIGINT))),
  FEEDBACK(
      "feedback",
      true,
      List.of(
          new SystemColumn("prediction_id", ColumnType.STRING),
          new SystemColumn("ts", ColumnType.TIMESTAMP),
          new SystemColumn("_conflicts", ColumnType.JSON))),
  EVENTS(
      "events",
      false,
      List.of(
          new SystemColumn("ts", ColumnType.TIMESTAMP),
          new SystemColumn("kind", ColumnType.STRING),
          new SystemColumn("text", ColumnType.STRING),
          new SystemColumn("data", ColumnType.JSON)));

  /**
   * The audit log index of a prediction of an audited endpoint (null for others): how {@code
   * audit verify} tells an altered record from a missing, reordered or added one. Not part of
   * the record the lookup API returns, which is what the audit log hashes.
   */
  public static final String LEAF = "_leaf";

  /** A column every file of the table has. */
  public record SystemColumn(String name, ColumnType type) {}

  /** Partition columns, which every table shows in SQL. */
  private static final Set<String> PARTITION_NAMES = Set.of("endpoint", "date");

  private final String dirName;
  private final boolean partitionedByDate;
  private final List<SystemColumn> systemColumns;
  private final Set<String> systemNames;

  Table(String dirName, boolean partitionedByDate, List<SystemColumn> systemColumns) {
    this.dirName = dirName;
    this.partitionedByDate = partitionedByDate;
    this.systemColumns = systemColumns;
    this.systemNames = systemColumns.stream().map(SystemColumn::name).collect(Collectors.toSet());
  }

  /** The folder under {@code lake/} and the SQL table name. */
  public String dirName() {
    return dirName;
  }

  /** The table whose folder is {@code dirName}. */
  public static Table ofDirName(String dirName) {
    for (Table t : values()) {
      if (t.dirName.equals(dirName)) {
        return t;
      }
    }
    throw new IllegalArgumentException("no table has the folder '" + dirName + "'");
  }

  public boolean partitionedByDate() {
    return partitionedByDate;
  }

  public List<SystemColumn> systemColumns() {
    return systemColumns;
  }

  public boolean isSystemColumn(String name) {
    return systemNames.contains(name);
  }

  /**
   * Whether a user key is reserved in this table (compared case-insensitively): names starting with
   * {@code _}, the system and partition columns, and for predictions the {@code feedback_} prefix
   * that {@code predictions_with_feedback} uses for feedback keys.
   */
  public boolean isReserved(String key) {
    String lower = key.toLowerCase(Locale.ROOT);
    return key.startsWith("_")
        || systemNames.contains(lower)
        || PARTITION_NAMES.contains(lower)
        || (this == PREDICTIONS && lower.startsWith("feedback_"));
  }
}
