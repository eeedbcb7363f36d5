package io.hindsight.server.query;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.hindsight.server.ApiException;
import java.io.IOException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.Locale;
import java.util.Set;

/**
 * Lets only one read statement through, classified by DuckDB's own parser before anything runs:
 * {@code json_serialize_sql} accepts nothing but SELECT statements, so writes, ATTACH, COPY,
 * INSTALL/LOAD, SET/RESET/PRAGMA, DDL and DML are refused whatever comments or case hide them.
 * Table functions that run SQL text are refused too. The locked engine is the second wall.
 */
final class SqlGuard {
  /** Table functions that execute a string of SQL, which the parser cannot see into. */
  private static final Set<String> DENIED_FUNCTIONS = Set.of("query", "query_table");

  private final Connection parserConnection;
  private final ObjectMapper json;

  SqlGuard(Connection parserConnection, ObjectMapper json) {
    this.parserConnection = parserConnection;
    this.json = json;
  }

  void check(String sql) {
    JsonNode tree;
    synchronized (parserConnection) {
      try (PreparedStatement ps = parserConnection.prepareStatement("SELECT json_serialize_sql(?::VARCHAR)")) {
        ps.setString(1, sql);
        try (ResultSet rs = ps.executeQuery()) {
          rs.next();
          tree = json.readTree(rs.getString(1));
        }
      } catch (SQLException | IOException e) {
        throw ApiException.badRequest("the query could not be parsed: " + LockedDuckDb.cleanMessage(e));
      }
    }
    if (tree.path("error").asBoolean()) {
      String type = tree.path("error_type").asText();
      String message = tree.path("error_message").asText();
      if ("parser".equals(type)) {
        throw ApiException.badRequest("SQL syntax error: " + message);
      }
      throw ApiException.badRequest(
          "only read queries (SELECT, WITH, FROM, DESCRIBE, SUMMARIZE) are allowed; statements that"
              + " write, attach, copy, install or load extensions, or change settings are refused");
    }
    JsonNode statements = tree.path("statements");
    if (statements.size() == 0) {
      throw ApiException.badRequest("the query is empty; send one SELECT statement in 'sql'");
    }
    if (statements.size() > 1) {
      throw ApiException.badRequest(
          "send one statement per query; this one has " + statements.size() + " separated by ';'");
    }
    deniedFunction(statements.get(0));
  }

  private static void deniedFunction(JsonNode node) {
    if (node.isObject()) {
      if ("TABLE_FUNCTION".equals(node.path("type").asText())) {
        String name = node.path("function").path("function_name").asText().toLowerCase(Locale.ROOT);
        if (DENIED_FUNCTIONS.contains(name)) {
          throw ApiException.badRequest(
              "the table function '" + name + "' runs SQL from a string and is not allowed; write the query directly");
        }
      }
      node.fields().forEachRemaining(e -> deniedFunction(e.getValue()));
    } else if (node.isArray()) {
      node.forEach(SqlGuard::deniedFunction);
    }
  }
}
