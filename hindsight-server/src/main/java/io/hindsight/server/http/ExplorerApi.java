package io.hindsight.server.http;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.hindsight.server.ApiException;
import io.hindsight.server.query.QueryEngine;
import io.hindsight.server.query.StoreLookups;
import io.hindsight.server.web.ExplorerPages;
import io.hindsight.server.web.ExplorerQuery;
import io.hindsight.server.web.ParquetExport;
import io.javalin.http.Context;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code GET /v1/endpoints/{e}/predictions?...}: the explorer's rows. The filters are those of
 * {@link ExplorerQuery#parse}; the answer is one page ({@code columns, rows, next, elapsed_ms},
 * {@code next} being the {@code after=} cursor of the following page, null on the last), or with
 * {@code format=csv|parquet} every filtered row (at most {@code query.max-rows}) as a download.
 */
final class ExplorerApi {
  private final QueryEngine engine;
  private final ExplorerPages pages;
  private final StoreLookups lookups;
  private final QueryApi queries;
  private final ObjectMapper json;
  private final Path scratch;
  private final int maxExportRows;

  ExplorerApi(
      QueryEngine engine, StoreLookups lookups, QueryApi queries, ObjectMapper json, Clock clock, Path scratch, int maxExportRows) {
    this.engine = engine;
    this.pages = new ExplorerPages(engine, clock);
    this.lookups = lookups;
    this.queries = queries;
    this.json = json;
    this.scratch = scratch;
    this.maxExportRows = maxExportRows;
  }

  void handle(Context ctx, String endpoint) throws IOException {
    ExplorerQuery q = ExplorerQuery.parse(endpoint, schema(endpoint), ctx.queryParamMap());
    String format = ctx.queryParamAsClass("format", String.class).getOrDefault("json");
    switch (format) {
      case "json" -> page(ctx, q);
      case "csv" -> {
        attachment(ctx, endpoint, "csv");
        queries.csv(ctx, q.exportSql(), q.params(), maxExportRows);
      }
      case "parquet" -> {
        ParquetExport export = new ParquetExport(scratch, json);
        try (export) {
          engine.query(q.exportSql(), q.params(), maxExportRows, export);
          attachment(ctx, endpoint, "parquet");
          ctx.contentType("application/vnd.apache.parquet").result(export.write());
        }
      }
      default -> throw ApiException.badRequest("'format' must be json, csv or parquet, not '" + format + "'");
    }
  }

  private void page(Context ctx, ExplorerQuery q) throws IOException {
    long start = System.nanoTime();
    List<Map<String, Object>> found = pages.rows(q);
    List<List<Object>> rows = new ArrayList<>();
    for (Map<String, Object> r : found.subList(0, Math.min(found.size(), q.limit()))) {
      rows.add(new ArrayList<>(r.values()));
    }
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("columns", q.columns());
    out.put("rows", rows);
    out.put("next", found.size() > q.limit() ? q.cursorAfter(rows.get(rows.size() - 1)) : null);
    out.put("elapsed_ms", (System.nanoTime() - start) / 1_000_000);
    ctx.contentType("application/json").result(json.writeValueAsBytes(out));
  }

  private List<ExplorerQuery.SchemaColumn> schema(String endpoint) {
    List<ExplorerQuery.SchemaColumn> cols = new ArrayList<>();
    @SuppressWarnings("unchecked")
    List<Map<String, Object>> listed = (List<Map<String, Object>>) lookups.schema(endpoint).get("columns");
    for (Map<String, Object> c : listed) {
      cols.add(new ExplorerQuery.SchemaColumn((String) c.get("name"), (String) c.get("type")));
    }
    return cols;
  }

  private static void attachment(Context ctx, String endpoint, String extension) {
    ctx.header("Content-Disposition", "attachment; filename=\"" + endpoint + "-predictions." + extension + "\"");
  }
}
