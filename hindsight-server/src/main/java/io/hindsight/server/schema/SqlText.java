package io.hindsight.server.schema;

/** Names and values written into SQL the server builds itself, quoted as DuckDB reads them. */
public final class SqlText {
  private SqlText() {}

  /** A string literal: {@code it's} as {@code 'it''s'}. */
  public static String string(String s) {
    return "'" + s.replace("'", "''") + "'";
  }

  /** An identifier, any name a column may have: {@code a"b} as {@code "a""b"}. */
  public static String identifier(String name) {
    return "\"" + name.replace("\"", "\"\"") + "\"";
  }
}
