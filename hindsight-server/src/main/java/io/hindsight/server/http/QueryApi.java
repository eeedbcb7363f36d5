package io.hindsight.server.http;

import com.fasterxml.jackson.core.JsonEncoding;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.hindsight.server.ApiException;
import io.hindsight.server.ops.ServerMetrics;
import io.hindsight.server.query.QueryEngine;
import io.hindsight.server.query.ResultSink;
import io.javalin.http.Context;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * {@code POST /v1/query}: {@code {"sql", "params"?, "limit"?}}. Answers JSON
 * ({@code columns, rows, truncated, elapsed_ms}) by default, or streams CSV or NDJSON when the
 * Accept header asks for {@code text/csv} or {@code application/x-ndjson}.
 */
final class QueryApi {
  private final QueryEngine engine;
  private final ObjectMapper json;
  private final ServerMetrics metrics;
  private final RequestBodies bodies;
  private final long maxBodyBytes;

  QueryApi(QueryEngine engine, ObjectMapper json, ServerMetrics metrics, RequestBodies bodies, long maxBodyBytes) {
    this.engine = engine;
    this.json = json;
    this.metrics = metrics;
    this.bodies = bodies;
    this.maxBodyBytes = maxBodyBytes;
  }

  void handle(Context ctx) throws IOException {
    JsonNode body = bodies.json(ctx, json, maxBodyBytes, "query.max-body-bytes");
    if (!body.isObject()) {
      throw ApiException.badRequest("send a JSON object: {\"sql\": \"SELECT ...\", \"params\": [...], \"limit\": 100}");
    }
    JsonNode sqlNode = body.get("sql");
    if (sqlNode == null || !sqlNode.isTextual()) {
      throw ApiException.badRequest("'sql' is missing or not a string; send {\"sql\": \"SELECT ...\"}");
    }
    List<Object> params = new ArrayList<>();
    JsonNode p = body.get("params");
    if (p != null && !p.isNull()) {
      if (!p.isArray()) {
        throw ApiException.badRequest("'params' must be an array of values for the ? placeholders");
      }
      for (JsonNode v : p) {
        params.add(param(v));
      }
    }
    Integer limit = null;
    JsonNode l = body.get("limit");
    if (l != null && !l.isNull()) {
      if (!l.canConvertToInt()) {
        throw ApiException.badRequest("'limit' must be a whole number");
      }
      limit = l.asInt();
    }
    String accept = ctx.header("Accept") == null ? "" : ctx.header("Accept").toLowerCase(Locale.ROOT);
    long start = System.nanoTime();
    if (accept.contains("text/csv")) {
      stream(ctx, "text/csv; charset=utf-8", new CsvSink(), sqlNode.asText(), params, limit);
    } else if (accept.contains("application/x-ndjson") || accept.contains("application/ndjson")) {
      stream(ctx, "application/x-ndjson", new NdjsonSink(), sqlNode.asText(), params, limit);
    } else {
      // Buffered, so a failing query still gets a clean 400 instead of a half-written body.
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      JsonSink sink = new JsonSink(json.getFactory().createGenerator(out, JsonEncoding.UTF8));
      engine.query(sqlNode.asText(), params, limit, sink);
      ctx.contentType("application/json").result(out.toByteArray());
    }
    metrics.queryTimer().record(System.nanoTime() - start, java.util.concurrent.TimeUnit.NANOSECONDS);
  }

  /** Streams the rows of a SELECT the server built (the explorer's export) as CSV. */
  void csv(Context ctx, String sql, List<Object> params, int limit) throws IOException {
    stream(ctx, "text/csv; charset=utf-8", new CsvSink(), sql, params, limit);
  }

  private void stream(Context ctx, String type, StreamingSink sink, String sql, List<Object> params, Integer limit)
      throws IOException {
    sink.open(ctx, type);
    engine.query(sql, params, limit, sink);
    sink.finish();
  }

  private static Object param(JsonNode v) {
    if (v.isNull()) {
      return null;
    } else if (v.isBoolean()) {
      return v.asBoolean();
    } else if (v.isIntegralNumber() && v.canConvertToLong()) {
      return v.asLong();
    } else if (v.isNumber()) {
      return v.asDouble();
    } else if (v.isTextual()) {
      return v.asText();
    }
    throw ApiException.badRequest("each param must be a string, number, boolean or null");
  }

  private final class JsonSink implements ResultSink {
    private final JsonGenerator g;

    JsonSink(JsonGenerator g) {
      this.g = g;
    }

    @Override
    public void columns(List<ResultColumn> columns) throws IOException {
      g.writeStartObject();
      g.writeArrayFieldStart("columns");
      for (ResultColumn c : columns) {
        g.writeStartObject();
        g.writeStringField("name", c.name());
        g.writeStringField("type", c.type());
        g.writeEndObject();
      }
      g.writeEndArray();
      g.writeArrayFieldStart("rows");
    }

    @Override
    public void row(Object[] values) throws IOException {
      g.writeStartArray();
      for (Object v : values) {
        json.writeValue(g, v);
      }
      g.writeEndArray();
    }

    @Override
    public void end(boolean truncated, long elapsedMs) throws IOException {
      g.writeEndArray();
      g.writeBooleanField("truncated", truncated);
      g.writeNumberField("elapsed_ms", elapsedMs);
      g.writeEndObject();
      g.close();
    }
  }

  /** A sink that writes to the response as rows arrive; the column list is sent on the first call. */
  private abstract static class StreamingSink implements ResultSink {
    Context ctx;
    String type;
    OutputStream out;
    List<ResultColumn> columns;

    void open(Context ctx, String type) {
      this.ctx = ctx;
      this.type = type;
    }

    OutputStream out() throws IOException {
      if (out == null) {
        ctx.contentType(type);
        out = ctx.res().getOutputStream();
      }
      return out;
    }

    @Override
    public void columns(List<ResultColumn> columns) throws IOException {
      this.columns = columns;
    }

    @Override
    public void end(boolean truncated, long elapsedMs) throws IOException {
      out();
    }

    void finish() throws IOException {
      out().flush();
    }
  }

  private static final class CsvSink extends StreamingSink {
    private Writer w;

    private Writer writer() throws IOException {
      if (w == null) {
        w = new OutputStreamWriter(out(), StandardCharsets.UTF_8);
      }
      return w;
    }

    @Override
    public void columns(List<ResultColumn> columns) throws IOException {
      super.columns(columns);
      Writer wr = writer();
      for (int i = 0; i < columns.size(); i++) {
        wr.write(i == 0 ? "" : ",");
        wr.write(escape(columns.get(i).name()));
      }
      wr.write("\r\n");
    }

    @Override
    public void row(Object[] values) throws IOException {
      Writer wr = writer();
      for (int i = 0; i < values.length; i++) {
        wr.write(i == 0 ? "" : ",");
        wr.write(values[i] == null ? "" : escape(text(values[i])));
      }
      wr.write("\r\n");
    }

    @Override
    void finish() throws IOException {
      writer().flush();
      super.finish();
    }

    private static String text(Object v) {
      if (v instanceof java.util.Map || v instanceof java.util.List) {
        try {
          return new ObjectMapper().writeValueAsString(v);
        } catch (IOException e) {
          return v.toString();
        }
      }
      return v.toString();
    }

    private static String escape(String s) {
      if (s.indexOf(',') < 0 && s.indexOf('"') < 0 && s.indexOf('\n') < 0 && s.indexOf('\r') < 0) {
        return s;
      }
      return '"' + s.replace("\"", "\"\"") + '"';
    }
  }

  private final class NdjsonSink extends StreamingSink {
    @Override
    public void row(Object[] values) throws IOException {
      java.util.Map<String, Object> m = new java.util.LinkedHashMap<>();
      for (int i = 0; i < values.length; i++) {
        m.put(columns.get(i).name(), values[i]);
      }
      OutputStream o = out();
      o.write(json.writeValueAsBytes(m));
      o.write('\n');
    }
  }
}
