package io.hindsight.server.query;

import com.fasterxml.jackson.databind.JsonNode;
import io.hindsight.server.ApiException;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The server's handle on one query worker process ({@link QueryWorkerMain}): sends it a query and
 * streams its answer into a {@link ResultSink}. Used by one thread at a time; only {@link #kill()}
 * may come from another (the deadline timer).
 */
final class QueryWorker {
  private static final Logger log = LoggerFactory.getLogger(QueryWorker.class);

  /** The pipe broke or the process ended in the middle of a query. */
  static final class WorkerGone extends IOException {
    WorkerGone(String message) {
      super(message);
    }
  }

  /** The view definitions a worker must hold before its next query, newest version wins. */
  record Views(long version, List<String> ddl) {}

  private final Process process;
  private final WorkerChannel channel;
  private boolean ready;
  private long viewsVersion = -1;
  /**
   * The statements run before the last query that ended cleanly. While nothing waits to be written
   * to the lake they are the same query after query (empty fresh views), and running them again
   * costs each query milliseconds; the worker still holds what they set.
   */
  private List<String> lastBefore = List.of();
  /** False while a query is under way and after anything but a clean answer: then it is replaced. */
  private volatile boolean usable = true;

  QueryWorker(Process process) {
    this.process = process;
    this.channel = new WorkerChannel(process.getInputStream(), process.getOutputStream());
    copyStderrToLog();
  }

  long pid() {
    return process.pid();
  }

  boolean usable() {
    return usable && process.isAlive();
  }

  /** Stops the process at once, whatever it is doing; its pipe then ends for the reading thread. */
  void kill() {
    usable = false;
    process.destroyForcibly();
  }

  void awaitExit(java.time.Duration wait) {
    try {
      process.waitFor(wait.toMillis(), TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /**
   * Waits until the process has opened its database; at once when it did before. Synchronized:
   * the server's start may wait for the first worker while a first query already takes it.
   */
  synchronized void awaitReady() throws IOException {
    if (!ready) {
      expect(next(), "ready");
      ready = true;
    }
  }

  /**
   * Runs one query on a ready worker. A query DuckDB refuses is an {@link ApiException} and leaves the worker
   * usable; a broken pipe is {@link WorkerGone}; an exception of the sink propagates. Either of
   * the last two leaves the worker unusable.
   */
  void run(Views views, List<String> before, String sql, List<Object> params, int limit, ResultSink sink, long startNanos)
      throws IOException {
    usable = false;
    List<String> ddl = views.version() == viewsVersion ? null : views.ddl();
    List<String> toRun = ddl == null && before.equals(lastBefore) ? List.of() : before;
    lastBefore = null; // until the answer shows they all ran
    channel.write(WorkerChannel.JSON.writeValueAsBytes(new WorkerChannel.Request(ddl, toRun, sql, params, limit)));
    boolean[] decimal = null;
    while (true) {
      JsonNode reply = next();
      if (reply.has("error")) {
        if (!reply.path("fatal").asBoolean()) {
          viewsVersion = views.version();
          usable = true;
        }
        throw ApiException.badRequest("the query failed: " + reply.get("error").asText());
      } else if (reply.has("columns")) {
        List<ResultSink.ResultColumn> columns = new ArrayList<>();
        decimal = new boolean[reply.get("columns").size()];
        for (JsonNode c : reply.get("columns")) {
          String type = c.get("type").asText();
          decimal[columns.size()] = type.contains("DECIMAL");
          columns.add(new ResultSink.ResultColumn(c.get("name").asText(), type));
        }
        sink.columns(columns);
      } else if (reply.has("rows")) {
        for (JsonNode row : reply.get("rows")) {
          Object[] values = new Object[row.size()];
          for (int i = 0; i < values.length; i++) {
            values[i] = javaValue(row.get(i), decimal[i]);
          }
          sink.row(values);
        }
      } else if (reply.has("end")) {
        viewsVersion = views.version();
        lastBefore = before;
        usable = true;
        sink.end(reply.get("end").path("truncated").asBoolean(), (System.nanoTime() - startNanos) / 1_000_000);
        return;
      } else {
        throw new WorkerGone("unexpected message from query worker " + pid() + ": " + reply);
      }
    }
  }

  private JsonNode next() throws IOException {
    byte[] frame;
    try {
      frame = channel.read();
    } catch (IOException e) {
      throw new WorkerGone("the pipe to query worker " + pid() + " broke: " + e.getMessage());
    }
    if (frame == null) {
      throw new WorkerGone("query worker " + pid() + " ended" + exitCode());
    }
    return WorkerChannel.EXACT_JSON.readTree(frame);
  }

  private String exitCode() {
    try {
      return process.waitFor(1, TimeUnit.SECONDS) ? " with exit code " + process.exitValue() : "";
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return "";
    }
  }

  private void expect(JsonNode reply, String field) throws WorkerGone {
    if (!reply.has(field)) {
      throw new WorkerGone("query worker " + pid() + " sent " + reply + " instead of '" + field + "'");
    }
  }

  /**
   * A JSON value back as the Java value the worker read from DuckDB: DECIMAL columns keep their
   * exact digits, every other fraction is a double again (its shortest text reads back exactly).
   */
  private static Object javaValue(JsonNode v, boolean decimal) {
    if (v == null || v.isNull()) {
      return null;
    } else if (v.isTextual()) {
      return v.textValue();
    } else if (v.isBoolean()) {
      return v.booleanValue();
    } else if (v.isIntegralNumber()) {
      return v.numberValue();
    } else if (v.isNumber()) {
      BigDecimal exact = v.decimalValue();
      return decimal ? exact : (Object) exact.doubleValue();
    } else if (v.isArray()) {
      List<Object> out = new ArrayList<>(v.size());
      v.forEach(item -> out.add(javaValue(item, decimal)));
      return out;
    }
    Map<String, Object> out = new LinkedHashMap<>();
    v.fields().forEachRemaining(e -> out.put(e.getKey(), javaValue(e.getValue(), decimal)));
    return out;
  }

  /** The worker's stderr (JVM errors, crashes) goes to the server's log, one line per entry. */
  private void copyStderrToLog() {
    Thread t =
        new Thread(
            () -> {
              try (BufferedReader r =
                  new BufferedReader(new InputStreamReader(process.getErrorStream(), StandardCharsets.UTF_8))) {
                String line;
                while ((line = r.readLine()) != null) {
                  log.warn("query worker {}: {}", process.pid(), line);
                }
              } catch (IOException e) {
                // the process is gone
              }
            },
            "hindsight-query-worker-" + process.pid() + "-stderr");
    t.setDaemon(true);
    t.start();
  }
}
