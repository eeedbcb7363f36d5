package io.hindsight.server.connect;

import io.hindsight.server.schema.SqlText;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

/** The file formats an import reads, each with DuckDB's reader and the file names it takes. */
public enum SourceFormat {
  PARQUET("read_parquet", List.of(".parquet", ".parq")),
  CSV("read_csv", List.of(".csv", ".csv.gz")),
  JSON("read_json", List.of(".json", ".ndjson", ".jsonl", ".json.gz", ".ndjson.gz", ".jsonl.gz"));

  private final String reader;
  private final List<String> extensions;

  SourceFormat(String reader, List<String> extensions) {
    this.reader = reader;
    this.extensions = extensions;
  }

  /** {@code parquet}, {@code csv} or {@code json}. */
  public static SourceFormat of(String name) {
    for (SourceFormat f : values()) {
      if (f.name().equalsIgnoreCase(name)) {
        return f;
      }
    }
    throw new IllegalArgumentException("format '" + name + "' is not supported; use parquet, csv or json");
  }

  public String publicName() {
    return name().toLowerCase(Locale.ROOT);
  }

  /** Whether a file of this name holds data of this format (not a marker like {@code _SUCCESS}). */
  boolean takes(String fileName) {
    if (fileName.startsWith("_") || fileName.startsWith(".")) {
      return false;
    }
    String lower = fileName.toLowerCase(Locale.ROOT);
    return extensions.stream().anyMatch(lower::endsWith);
  }

  /**
   * The table function reading one file. Partitions come from the import's own reading of the path,
   * so DuckDB's is off; the order of rows is the file's (DuckDB preserves insertion order).
   */
  String read(Path file) {
    String path = SqlText.string(file.toAbsolutePath().toString());
    return switch (this) {
      case PARQUET -> reader + "(" + path + ", hive_partitioning = false)";
      case CSV -> reader + "(" + path + ", header = true, hive_partitioning = false)";
      case JSON -> reader + "(" + path + ", hive_partitioning = false)";
    };
  }
}
