package io.hindsight.server.lake;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/**
 * How rows logged and not yet in Parquet reach DuckDB's Parquet writer, for lake files and the
 * fresh files queries read ({@code lake.encoder}).
 */
public enum ParquetEncoder {
  /**
   * Arrow record batches DuckDB scans as they are decoded, with no staging table: about two thirds
   * of the lake writer's CPU. It needs {@code --add-opens java.base/java.nio=ALL-UNNAMED}, which the
   * launcher and the jar's manifest give; a JVM without it uses {@link #APPENDER}.
   */
  ARROW,
  /** DuckDB's Appender into a staging table, then a copy from it: any JVM. */
  APPENDER;

  @JsonValue
  public String publicName() {
    return name().toLowerCase(Locale.ROOT);
  }

  /** Parses an encoder as the config file writes it. */
  @JsonCreator
  public static ParquetEncoder of(String name) {
    for (ParquetEncoder e : values()) {
      if (e.publicName().equals(name)) {
        return e;
      }
    }
    throw new IllegalArgumentException(
        "encoder '" + name + "' is unknown; use one of "
            + Arrays.stream(values()).map(ParquetEncoder::publicName).collect(Collectors.joining(", ")));
  }

  /** This encoder if this JVM can run it, else the one it falls back to. */
  public ParquetEncoder usable() {
    return this == ARROW && !ArrowRows.usable() ? APPENDER : this;
  }
}
