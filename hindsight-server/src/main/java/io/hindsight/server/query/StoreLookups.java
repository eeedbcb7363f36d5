package io.hindsight.server.query;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.hindsight.server.ApiException;
import io.hindsight.server.lake.Lake;
import io.hindsight.server.schema.Column;
import io.hindsight.server.schema.EndpointSchema;
import io.hindsight.server.schema.LookupRecord;
import io.hindsight.server.schema.SchemaRegistry;
import io.hindsight.server.schema.SqlText;
import io.hindsight.server.schema.Table;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.locks.Lock;

/**
 * The server's own reads of the store: the endpoint list, an endpoint's schema with conflict
 * counts, and one prediction with its feedback, shaped like the record that was sent. Callers
 * check endpoint names first.
 */
public final class StoreLookups {
  private static final DateTimeFormatter TS = DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSSSSS'Z'");
  /** The lookup answer's column that carries the feedback rows; no user key starts with '_'. */
  private static final String FEEDBACK = "_lookup_feedback";

  private final QueryEngine engine;
  private final SchemaRegistry schemas;
  private final Lake lake;
  private final ObjectMapper json;
  private final IdFileIndex index;

  private volatile AuditProofs auditProofs = (endpoint, leaf) -> null;

  /** The audit proof of a record by its audit log index (see DESIGN §12), or null. */
  public interface AuditProofs {
    Object proof(String endpoint, long leaf) throws IOException;
  }

  /** Sets who proves that a looked-up prediction of an audited endpoint is in its audit log. */
  public void auditProofs(AuditProofs proofs) {
    this.auditProofs = proofs;
  }

  public StoreLookups(QueryEngine engine, SchemaRegistry schemas, Lake lake, IdFileIndex index, ObjectMapper json) {
    this.engine = engine;
    this.index = index;
    this.schemas = schemas;
    this.lake = lake;
    this.json = json;
  }

  /** {@code GET /v1/endpoints}: every endpoint with its record count and first and last ts. */
  public Map<String, Object> endpoints() {
    Map<String, Map<String, Object>> byName = new LinkedHashMap<>();
    for (EndpointSchema s : schemas.all(Table.PREDICTIONS)) {
      Map<String, Object> e = new LinkedHashMap<>();
      e.put("endpoint", s.endpoint());
      e.put("records", 0L);
      e.put("first_ts", null);
      e.put("last_ts", null);
      byName.put(s.endpoint(), e);
    }
    for (Map<String, Object> row :
        engine.select(
            "SELECT endpoint, count(*) AS records, min(ts) AS first_ts, max(ts) AS last_ts"
                + " FROM predictions GROUP BY endpoint ORDER BY endpoint")) {
      byName.computeIfAbsent((String) row.get("endpoint"), k -> new LinkedHashMap<>()).putAll(row);
    }
    return Map.of("endpoints", new ArrayList<>(byName.values()));
  }

  /** {@code GET /v1/endpoints/{e}/schema}: system and user columns with type, first seen, conflicts. */
  public Map<String, Object> schema(String endpoint) {
    EndpointSchema s = schemas.existing(Table.PREDICTIONS, endpoint);
    if (s == null) {
      throw ApiException.notFound("endpoint '" + endpoint + "' has no predictions yet");
    }
    Map<String, Long> conflicts = new HashMap<>();
    for (Map<String, Object> row :
        engine.select(
            "SELECT key, count(*) AS n FROM (SELECT unnest(json_keys(_conflicts)) AS key FROM predictions"
                + " WHERE endpoint = ? AND _conflicts IS NOT NULL) GROUP BY key",
            endpoint)) {
      conflicts.put((String) row.get("key"), ((Number) row.get("n")).longValue());
    }
    List<Map<String, Object>> cols = new ArrayList<>();
    for (Table.SystemColumn c : Table.PREDICTIONS.systemColumns()) {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("name", c.name());
      m.put("type", c.type().publicName());
      m.put("system", true);
      cols.add(m);
    }
    for (Column c : s.columns()) {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("name", c.name());
      m.put("type", c.type().publicName());
      m.put("system", false);
      m.put("first_seen", TS.format(Instant.ofEpochSecond(0, c.firstSeenMicros() * 1000).atOffset(ZoneOffset.UTC)));
      m.put("conflicts", conflicts.getOrDefault(c.name(), 0L));
      cols.add(m);
    }
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("endpoint", endpoint);
    out.put("columns", cols);
    return out;
  }

  /**
   * {@code GET /v1/endpoints/{e}/predictions/{id}[?date=]}: the record as sent, its feedback and,
   * for a record in an audit log, its proof.
   *
   * @param date the record's partition when the caller knows it, else null
   */
  public Map<String, Object> prediction(String endpoint, String id, LocalDate date) throws IOException {
    Map<String, Object> row = find(endpoint, id, date);
    if (row == null) {
      throw ApiException.notFound(
          "no prediction '" + id + "' in endpoint '" + endpoint + "'" + (date == null ? "" : " on " + date)
              + " (records are visible about a second after they are acknowledged)");
    }
    List<Map<String, Object>> feedback = new ArrayList<>();
    Object rows = row.remove(FEEDBACK);
    if (rows != null) {
      for (Object f : (List<?>) rows) {
        @SuppressWarnings("unchecked")
        Map<String, Object> columns = (Map<String, Object>) f;
        feedback.add(shape(Table.FEEDBACK, endpoint, columns));
      }
    }
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("prediction", shape(Table.PREDICTIONS, endpoint, row));
    out.put("feedback", feedback);
    Object leaf = row.get(Table.LEAF);
    if (leaf != null) {
      out.put("audit", auditProofs.proof(endpoint, ((Number) leaf).longValue()));
    }
    return out;
  }

  /**
   * The newest row of the prediction with its feedback rows (oldest first) under {@link #FEEDBACK},
   * or null. One query reads only the files the id index says may hold the id; rows not yet in
   * the lake would be looked up here, in front of the files.
   */
  private Map<String, Object> find(String endpoint, String id, LocalDate date) throws IOException {
    Lock read = lake.swapLock().readLock();
    read.lock();
    try {
      for (int attempt = 1; ; attempt++) {
        List<Path> predictionFiles = index.candidates(Table.PREDICTIONS, endpoint, date, id);
        if (predictionFiles.isEmpty()) {
          return null;
        }
        List<Path> feedbackFiles = index.candidates(Table.FEEDBACK, endpoint, null, id);
        String feedback =
            feedbackFiles.isEmpty()
                ? "NULL"
                : "(SELECT list(f ORDER BY f.ts) FROM (SELECT * REPLACE (strftime(ts, '%Y-%m-%dT%H:%M:%S.%fZ') AS ts)"
                    + " FROM " + files(feedbackFiles) + " WHERE prediction_id = $1) f)";
        try {
          List<Map<String, Object>> rows =
              engine.select(
                  "SELECT p.*, " + feedback + " AS " + FEEDBACK + " FROM (SELECT * FROM " + files(predictionFiles)
                      + " WHERE prediction_id = $1 ORDER BY ts DESC LIMIT 1) p",
                  id);
          return rows.isEmpty() ? null : rows.get(0);
        } catch (ApiException e) {
          // A file deleted by hand between the listing and the read: list again, once.
          if (attempt == 2) {
            throw e;
          }
        }
      }
    } finally {
      read.unlock();
    }
  }

  private static String files(List<Path> files) {
    StringBuilder sb = new StringBuilder("read_parquet([");
    for (int i = 0; i < files.size(); i++) {
      sb.append(i == 0 ? "" : ", ").append(SqlText.string(files.get(i).toAbsolutePath().toString()));
    }
    return sb.append("], union_by_name = true, hive_partitioning = false)").toString();
  }

  /** Puts system fields at the top and the endpoint's own keys under {@code data}, JSON parsed back. */
  private Map<String, Object> shape(Table table, String endpoint, Map<String, Object> row) {
    return LookupRecord.shape(table, endpoint, row, schemas.existing(table, endpoint), json);
  }
}
