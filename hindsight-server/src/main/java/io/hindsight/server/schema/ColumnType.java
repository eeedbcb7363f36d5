package io.hindsight.server.schema;

import java.util.Map;

/**
 * The types a column can have. User keys take one of the first six (boolean to media); the rest
 * are system columns.
 */
public enum ColumnType {
  BOOLEAN("boolean", "BOOLEAN"),
  BIGINT("bigint", "BIGINT"),
  DOUBLE("double", "DOUBLE"),
  STRING("string", "VARCHAR"),
  /** Arrays and objects, stored as JSON text. */
  JSON("json", "VARCHAR"),
  /** Media references ({@link MediaReference}), stored as their JSON text like other objects. */
  MEDIA("media", "VARCHAR"),
  /**
   * An instant, µs precision. Written as a UTC-adjusted Parquet timestamp, so engines such as
   * Spark read an instant, not a wall-clock time.
   */
  TIMESTAMP("timestamp", "TIMESTAMPTZ"),
  /** string to string, used for tags. */
  MAP("map", "MAP(VARCHAR, VARCHAR)");

  private final String publicName;
  private final String sqlType;

  ColumnType(String publicName, String sqlType) {
    this.publicName = publicName;
    this.sqlType = sqlType;
  }

  /** The name users see in the schema API and in warnings. */
  public String publicName() {
    return publicName;
  }

  /** The DuckDB type the column is written with. */
  public String sqlType() {
    return sqlType;
  }

  /** Whether the column holds JSON text (arrays, objects, media references) that reads back as JSON. */
  public boolean isJsonText() {
    return this == JSON || this == MEDIA;
  }

  public static ColumnType fromPublicName(String name) {
    for (ColumnType t : values()) {
      if (t.publicName.equals(name)) {
        return t;
      }
    }
    throw new IllegalArgumentException("unknown column type '" + name + "'");
  }

  /** The type a user value is stored as; values are already normalized (see {@link JsonText}). */
  public static ColumnType of(Object value) {
    if (value instanceof Boolean) {
      return BOOLEAN;
    } else if (value instanceof Long) {
      return BIGINT;
    } else if (value instanceof Double) {
      return DOUBLE;
    } else if (value instanceof String) {
      return STRING;
    } else if (value instanceof JsonText) {
      return MediaReference.isReference(((JsonText) value).json()) ? MEDIA : JSON;
    } else if (value instanceof Map) {
      return MAP;
    }
    throw new IllegalArgumentException("no column type for " + value.getClass().getName());
  }
}
