package io.hindsight.server.query;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.hindsight.server.ApiException;
import io.hindsight.server.lake.Lake;
import io.hindsight.server.lake.LakeWriter;
import io.hindsight.server.lake.Partition;
import io.hindsight.server.schema.Column;
import io.hindsight.server.schema.ColumnType;
import io.hindsight.server.schema.EndpointSchema;
import io.hindsight.server.schema.LookupRecord;
import io.hindsight.server.schema.Row;
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
  private volatile PendingRows pending = (table, endpoint, id) -> List.of();

  /** The rows of a prediction id acknowledged and not yet in a lake file (the lake writer's), in log order. */
  public interface PendingRows {
    List<LakeWriter.PendingRow> of(Table table, String endpoint, String id);
  }

  /** Sets where a lookup finds records not yet in the lake, so it sees them at once. */
  public void pendingRows(PendingRows pending) {
    this.pending = pending;
  }

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
    // Rows not yet in the lake first: one that reaches a file meanwhile is then found there.
    List<LakeWriter.PendingRow> pendingPredictions = new ArrayList<>(pending.of(Table.PREDICTIONS, endpoint, id));
    pendingPredictions.removeIf(r -> date != null && !Partition.of(r.row()).date().equals(date));
    List<LakeWriter.PendingRow> pendingFeedback = pending.of(Table.FEEDBACK, endpoint, id);
    Map<String, Object> row = find(endpoint, id, date);

    Object lakeFeedback = row == null ? null : row.remove(FEEDBACK);
    Map<String, Object> prediction = null;
    Long leaf = null;
    if (row != null) {
      prediction = shape(Table.PREDICTIONS, endpoint, row);
      leaf = row.get(Table.LEAF) == null ? null : ((Number) row.get(Table.LEAF)).longValue();
    }
    for (LakeWriter.PendingRow p : pendingPredictions) {
      Map<String, Object> candidate = LookupRecord.of(asStored(p.row()), json);
      // The newest row of the id wins, as in the lake (ORDER BY ts DESC).
      if (prediction == null || String.valueOf(candidate.get("ts")).compareTo(String.valueOf(prediction.get("ts"))) >= 0) {
        prediction = candidate;
        leaf = p.leaf();
      }
    }
    if (prediction == null) {
      throw ApiException.notFound(
          "no prediction '" + id + "' in endpoint '" + endpoint + "'" + (date == null ? "" : " on " + date));
    }
    List<Map<String, Object>> feedback = new ArrayList<>();
    if (lakeFeedback != null) {
      for (Object f : (List<?>) lakeFeedback) {
        @SuppressWarnings("unchecked")
        Map<String, Object> columns = (Map<String, Object>) f;
        feedback.add(shape(Table.FEEDBACK, endpoint, columns));
      }
    }
    java.util.Set<String> seen = new java.util.HashSet<>();
    for (Map<String, Object> f : feedback) {
      seen.add(json.writeValueAsString(f));
    }
    for (LakeWriter.PendingRow f : pendingFeedback) {
      Map<String, Object> label = LookupRecord.of(asStored(f.row()), json);
      if (seen.add(json.writeValueAsString(label))) { // else written to the lake between the two reads
        feedback.add(label);
      }
    }
    feedback.sort(java.util.Comparator.comparing(f -> String.valueOf(f.get("ts"))));
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("prediction", prediction);
    out.put("feedback", feedback);
    if (leaf != null) {
      out.put("audit", auditProofs.proof(endpoint, leaf));
    }
    return out;
  }

  /**
   * A row not yet in the lake with its values as its file will hold them: a whole number sent for
   * a column of doubles is a double there, so the lookup answers {@code 12.0} before the file is
   * written as after, not {@code 12} first.
   */
  private Row asStored(Row row) {
    EndpointSchema schema = schemas.existing(row.table(), row.endpoint());
    if (schema == null) {
      return row;
    }
    Map<String, Object> values = null;
    for (Map.Entry<String, Object> e : row.values().entrySet()) {
      // System columns of doubles hold doubles from the start; a key's column may have widened since.
      Column c = schema.column(e.getKey());
      if (e.getValue() instanceof Long whole && c != null && c.type() == ColumnType.DOUBLE) {
        if (values == null) {
          values = new LinkedHashMap<>(row.values());
        }
        values.put(e.getKey(), whole.doubleValue());
      }
    }
    return values == null ? row : new Row(row.table(), row.endpoint(), row.tsMicros(), values);
  }

  /**
   * The newest row of the prediction in the lake with its feedback rows (oldest first) under
   * {@link #FEEDBACK}, or null. One query reads only the files the id index says may hold the id.
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
