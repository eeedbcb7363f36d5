package io.hindsight.server.query;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.hindsight.server.ApiException;
import io.hindsight.server.lake.Lake;
import io.hindsight.server.lake.Partition;
import io.hindsight.server.schema.Column;
import io.hindsight.server.schema.EndpointSchema;
import io.hindsight.server.schema.LookupRecord;
import io.hindsight.server.schema.SchemaRegistry;
import io.hindsight.server.schema.Table;
import java.io.IOException;
import java.nio.file.Files;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The server's own reads of the store: the endpoint list, an endpoint's schema with conflict
 * counts, and one prediction with its feedback, shaped like the record that was sent. Callers
 * check endpoint names first.
 */
public final class StoreLookups {
  private static final DateTimeFormatter TS = DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSSSSS'Z'");

  private final QueryEngine engine;
  private final SchemaRegistry schemas;
  private final Lake lake;
  private final ObjectMapper json;

  private volatile AuditProofs auditProofs = (endpoint, leaf) -> null;

  /** The audit proof of a record by its audit log index (see DESIGN §12), or null. */
  public interface AuditProofs {
    Object proof(String endpoint, long leaf) throws IOException;
  }

  /** Sets who proves that a looked-up prediction of an audited endpoint is in its audit log. */
  public void auditProofs(AuditProofs proofs) {
    this.auditProofs = proofs;
  }

  public StoreLookups(QueryEngine engine, SchemaRegistry schemas, Lake lake, ObjectMapper json) {
    this.engine = engine;
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
   * {@code GET /v1/endpoints/{e}/predictions/{id}}: the record as sent, its feedback and, for a
   * record in an audit log, its proof.
   */
  public Map<String, Object> prediction(String endpoint, String id) throws IOException {
    List<Map<String, Object>> rows =
        engine.select(
            "SELECT * FROM predictions WHERE endpoint = ? AND prediction_id = ? ORDER BY ts DESC LIMIT 1",
            endpoint,
            id);
    if (rows.isEmpty()) {
      throw ApiException.notFound(
          "no prediction '" + id + "' in endpoint '" + endpoint + "' (records are visible about a second after"
              + " they are acknowledged)");
    }
    Map<String, Object> record = shape(Table.PREDICTIONS, endpoint, rows.get(0));
    List<Map<String, Object>> feedback = new ArrayList<>();
    // No feedback folder in the lake means no feedback SQL could see: no second query then.
    if (Files.isDirectory(lake.dir(new Partition(Table.FEEDBACK, endpoint, null)))) {
      for (Map<String, Object> f :
          engine.select(
              "SELECT * FROM feedback WHERE endpoint = ? AND prediction_id = ? ORDER BY ts", endpoint, id)) {
        feedback.add(shape(Table.FEEDBACK, endpoint, f));
      }
    }
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("prediction", record);
    out.put("feedback", feedback);
    Object leaf = rows.get(0).get(Table.LEAF);
    if (leaf != null) {
      out.put("audit", auditProofs.proof(endpoint, ((Number) leaf).longValue()));
    }
    return out;
  }

  /** Puts system fields at the top and the endpoint's own keys under {@code data}, JSON parsed back. */
  private Map<String, Object> shape(Table table, String endpoint, Map<String, Object> row) {
    return LookupRecord.shape(table, endpoint, row, schemas.existing(table, endpoint), json);
  }
}
