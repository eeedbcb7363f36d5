package io.hindsight.server.query;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A pooled connection lent to server-written work: every statement made through it can be
 * cancelled at once from another thread (the deadline), and closing it does not close the pooled
 * connection underneath.
 */
final class CancellableConnection {
  private final List<Statement> statements = new CopyOnWriteArrayList<>();
  private final Connection lent;

  CancellableConnection(Connection pooled) {
    this.lent =
        (Connection)
            Proxy.newProxyInstance(
                Connection.class.getClassLoader(),
                new Class<?>[] {Connection.class},
                (proxy, method, args) -> {
                  if (method.getName().equals("close")) {
                    return null;
                  }
                  try {
                    Object result = method.invoke(pooled, args);
                    if (result instanceof Statement s) {
                      statements.add(s);
                    }
                    return result;
                  } catch (InvocationTargetException e) {
                    throw e.getCause();
                  }
                });
  }

  Connection connection() {
    return lent;
  }

  /** Cancels whatever statement runs now; the work then fails with an SQLException. */
  void cancel() {
    for (Statement s : statements) {
      try {
        s.cancel();
      } catch (SQLException ignored) {
        // Already closed: nothing to stop.
      }
    }
  }

  /** Closes the statements the work left open. */
  void release() {
    for (Statement s : statements) {
      try {
        s.close();
      } catch (SQLException ignored) {
        // Closing a finished statement.
      }
    }
    statements.clear();
  }
}
