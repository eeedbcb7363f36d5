package io.hindsight.server.monitor;

/**
 * A column to examine: its public name and the SQL expression that yields it from the relation.
 *
 * @param name the name reports use ({@code amount}, {@code tags.segment}, {@code probabilities[1]})
 * @param sql a DuckDB expression over the relation's columns, trusted (built by the server, not
 *     taken from a request)
 */
public record MonitoredColumn(String name, String sql) {
  /** A column whose expression is its (quoted) name. */
  public static MonitoredColumn of(String name) {
    return new MonitoredColumn(name, '"' + name.replace("\"", "\"\"") + '"');
  }
}
