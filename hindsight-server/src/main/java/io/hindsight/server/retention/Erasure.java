package io.hindsight.server.retention;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.hindsight.server.ApiException;
import io.hindsight.server.jobs.JobContext;
import io.hindsight.server.jobs.JobKind;
import io.hindsight.server.jobs.Jobs;
import io.hindsight.server.lake.Lake;
import io.hindsight.server.lake.LakeWriter;
import io.hindsight.server.lake.Partition;
import io.hindsight.server.schema.SchemaRegistry;
import io.hindsight.server.schema.SqlText;
import io.hindsight.server.schema.Table;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.io.IOException;
import java.nio.file.Path;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Erasure (DESIGN §12): {@code POST /v1/erasure {"endpoint", "key", "value"}} starts an {@code
 * erasure} job that removes a data subject's records: the endpoint's predictions whose {@code key}
 * equals {@code value} ({@link SubjectMatch}), and its feedback that matches too or belongs to one
 * of those predictions. Each file holding any of them is rewritten without them and replaces the
 * old one crash-safely ({@link LakeEdits#rewrite}); files are never deleted, so the log's replay
 * marks stay. Before any file changes, the {@link ErasureListener} is told which predictions go.
 * The job ends with an {@code erasure} event on the endpoint's timeline and its counts (never the
 * value: it names the subject, and is dropped from the job's file when the job ends).
 *
 * <p>What the job erases is what was acknowledged when it started (the lake writer is flushed
 * first). A job interrupted by a stop runs again at the next start and erases what is left.
 */
public final class Erasure {
  public static final String JOB = "erasure";

  private final LakeEdits edits;
  private final Lake lake;
  private final LakeWriter writer;
  private final SchemaRegistry schemas;
  private final Jobs jobs;
  private final TimelineEvents timeline;
  private final ErasureListener listener;
  private final MeterRegistry registry;
  private final ObjectMapper json;

  public Erasure(
      LakeEdits edits, LakeWriter writer, SchemaRegistry schemas, Jobs jobs, TimelineEvents timeline, ErasureListener listener,
      MeterRegistry registry, ObjectMapper json) {
    this.edits = edits;
    this.lake = edits.lake();
    this.writer = writer;
    this.schemas = schemas;
    this.jobs = jobs;
    this.timeline = timeline;
    this.listener = listener;
    this.registry = registry;
    this.json = json;
    jobs.register(new JobKind(JOB, true, this::run));
  }

  /**
   * Checks a request and starts its job; returns the job id.
   *
   * @throws ApiException 400 naming a missing or unusable field, 404 for an unknown endpoint
   */
  public String start(JsonNode body) throws IOException {
    if (body == null || !body.isObject()) {
      throw ApiException.badRequest("send {\"endpoint\": \"...\", \"key\": \"...\", \"value\": ...}");
    }
    String endpoint = text(body, "endpoint");
    String key = text(body, "key");
    JsonNode value = body.get("value");
    if (value == null || value.isNull() || value.isContainerNode() || (value.isTextual() && value.asText().isEmpty())) {
      throw ApiException.badRequest("'value' is missing; give the string, number or boolean whose records are erased");
    }
    checkEndpointName(endpoint);
    Retention.requireKnown(endpoint, schemas);
    if (!SubjectMatch.of(schemas, Table.PREDICTIONS, endpoint, key, value).possible()
        && !SubjectMatch.of(schemas, Table.FEEDBACK, endpoint, key, value).possible()) {
      throw ApiException.badRequest(
          "'key': endpoint '" + endpoint + "' has no key '" + key + "' in its predictions or feedback; use a logged key,"
              + " prediction_id, request_id, model_version or tags.<name>");
    }
    ObjectNode params = json.createObjectNode();
    params.put("endpoint", endpoint);
    params.put("key", key);
    params.set("value", value);
    return jobs.submit(JOB, params);
  }

  private static String text(JsonNode body, String field) {
    JsonNode v = body.get(field);
    if (v == null || !v.isTextual() || v.asText().isBlank()) {
      throw ApiException.badRequest("'" + field + "' is missing; send {\"endpoint\": \"...\", \"key\": \"...\", \"value\": ...}");
    }
    return v.asText();
  }

  private static void checkEndpointName(String endpoint) {
    if (!endpoint.matches("[a-z0-9][a-z0-9_-]{0,63}")) {
      throw ApiException.badRequest("'endpoint': '" + endpoint + "' is not an endpoint name");
    }
  }

  private void run(JobContext ctx) throws IOException {
    String endpoint = ctx.params().get("endpoint").asText();
    String key = ctx.params().get("key").asText();
    JsonNode value = ctx.params().get("value");
    SubjectMatch inPredictions = SubjectMatch.of(schemas, Table.PREDICTIONS, endpoint, key, value);
    SubjectMatch inFeedback = SubjectMatch.of(schemas, Table.FEEDBACK, endpoint, key, value);
    writer.flushNow();
    List<ErasedRecord> erased = edits.reading(() -> findPredictions(endpoint, inPredictions));
    Set<Partition> partitions =
        edits.reading(
            () -> {
              Set<Partition> found =
                  new LinkedHashSet<>(partitionsOf(Table.PREDICTIONS, endpoint, predictionCondition(inPredictions)));
              found.addAll(partitionsOf(Table.FEEDBACK, endpoint, feedbackCondition(inFeedback)));
              return found;
            });
    listener.erasing(endpoint, ctx.id(), erased);
    long files = 0;
    Map<Table, Long> rows = new LinkedHashMap<>(Map.of(Table.PREDICTIONS, 0L, Table.FEEDBACK, 0L));
    int done = 0;
    for (Partition p : partitions) {
      SubjectMatch match = p.table() == Table.PREDICTIONS ? inPredictions : inFeedback;
      LakeEdits.Removed removed = erase(p, p.table() == Table.PREDICTIONS ? predictionCondition(match) : feedbackCondition(match));
      files += removed.files();
      rows.merge(p.table(), removed.rows(), Long::sum);
      ctx.progress(++done / (double) (partitions.size() + 1));
    }
    ctx.count("predictions_erased", rows.get(Table.PREDICTIONS));
    ctx.count("feedback_erased", rows.get(Table.FEEDBACK));
    ctx.count("files_rewritten", files);
    rows.forEach(
        (table, n) ->
            Counter.builder("hindsight_erasure_records")
                .description("Records removed by erasure jobs")
                .tag("endpoint", endpoint)
                .tag("table", table.dirName())
                .register(registry)
                .increment(n));
    Map<String, Object> data = new LinkedHashMap<>();
    data.put("job", ctx.id());
    data.put("key", key);
    data.put("predictions", rows.get(Table.PREDICTIONS));
    data.put("feedback", rows.get(Table.FEEDBACK));
    data.put("files", files);
    timeline.record(
        endpoint,
        JOB,
        "erased " + rows.get(Table.PREDICTIONS) + " predictions and " + rows.get(Table.FEEDBACK)
            + " feedback records whose " + key + " matched (job " + ctx.id() + ")",
        data);
    ctx.progress(1);
  }

  /** Condition on a predictions file's columns, or null when nothing can match. */
  private static Condition predictionCondition(SubjectMatch match) {
    return columns -> match.applies(columns) ? match.condition() : null;
  }

  /** Feedback of an erased prediction goes too, whether or not it carries the key itself. */
  private static Condition feedbackCondition(SubjectMatch match) {
    return columns -> {
      String ofErased = "prediction_id IN (SELECT prediction_id FROM erased)";
      return match.applies(columns) ? "(" + ofErased + " OR " + match.condition() + ")" : ofErased;
    };
  }

  /** An SQL condition over files with the given columns; null when they cannot match. */
  private interface Condition {
    String over(Set<String> columns);
  }

  /** Fills the temporary table {@code erased} with the subject's predictions and returns them. */
  private List<ErasedRecord> findPredictions(String endpoint, SubjectMatch match) throws IOException {
    List<Path> files = files(Table.PREDICTIONS, endpoint);
    Set<String> columns = files.isEmpty() ? Set.of() : columnsOf(files);
    String select =
        match.applies(columns)
            ? "SELECT DISTINCT prediction_id, " + (columns.contains(Table.LEAF) ? Table.LEAF : "NULL::BIGINT") + " AS audit_index"
                + " FROM " + scan(files, false) + " WHERE " + match.condition()
            : "SELECT NULL::VARCHAR AS prediction_id, NULL::BIGINT AS audit_index WHERE false";
    List<ErasedRecord> out = new ArrayList<>();
    try (Statement st = edits.connection().createStatement()) {
      st.execute("CREATE OR REPLACE TEMP TABLE erased AS " + select);
      try (ResultSet rs = st.executeQuery("SELECT prediction_id, audit_index FROM erased ORDER BY audit_index, prediction_id")) {
        while (rs.next()) {
          Object index = rs.getObject(2);
          out.add(new ErasedRecord(rs.getString(1), index == null ? null : ((Number) index).longValue()));
        }
      }
    } catch (SQLException e) {
      throw new IOException("could not look for the records to erase: " + e.getMessage(), e);
    }
    return out;
  }

  /** The partitions of the endpoint in which the condition matches some row. */
  private List<Partition> partitionsOf(Table table, String endpoint, Condition condition) throws IOException {
    List<Partition> out = new ArrayList<>();
    for (Partition p : lake.partitions(table)) {
      if (!p.endpoint().equals(endpoint)) {
        continue;
      }
      List<Path> files = lake.dataFiles(p);
      String where = files.isEmpty() ? null : condition.over(columnsOf(files));
      if (where != null && edits.longValue("SELECT count(*) FROM " + scan(files, false) + " WHERE " + where) > 0) {
        out.add(p);
      }
    }
    return out;
  }

  /**
   * Rewrites the partition's files that hold matching rows, found again under the lake's lock (a
   * merge may have replaced files since the search); returns the files rewritten and rows removed.
   */
  private LakeEdits.Removed erase(Partition p, Condition condition) throws IOException {
    return edits.exclusively(
        () -> {
          List<Path> files = lake.dataFiles(p);
          String where = files.isEmpty() ? null : condition.over(columnsOf(files));
          if (where == null) {
            return LakeEdits.Removed.NONE;
          }
          List<String> affected = new ArrayList<>();
          try (Statement st = edits.connection().createStatement()) {
            st.execute(
                "CREATE OR REPLACE TEMP TABLE doomed AS SELECT filename, file_row_number FROM " + scan(files, true)
                    + " WHERE " + where);
            try (ResultSet rs = st.executeQuery("SELECT DISTINCT filename FROM doomed ORDER BY filename")) {
              while (rs.next()) {
                affected.add(rs.getString(1));
              }
            }
          } catch (SQLException e) {
            throw new IOException("could not look for the records to erase in " + lake.dir(p) + ": " + e.getMessage(), e);
          }
          long rows = 0;
          for (String f : affected) {
            rows +=
                edits.rewrite(
                    Path.of(f),
                    "file_row_number NOT IN (SELECT file_row_number FROM doomed WHERE filename = " + SqlText.string(f) + ")");
          }
          return new LakeEdits.Removed(affected.size(), rows);
        });
  }

  private List<Path> files(Table table, String endpoint) throws IOException {
    List<Path> out = new ArrayList<>();
    for (Partition p : lake.partitions(table)) {
      if (p.endpoint().equals(endpoint)) {
        out.addAll(lake.dataFiles(p));
      }
    }
    return out;
  }

  /** A scan of the files by column name (a column missing from a file reads as NULL there). */
  private static String scan(List<Path> files, boolean withRowPositions) {
    List<String> names = new ArrayList<>();
    files.forEach(f -> names.add(SqlText.string(f.toAbsolutePath().toString())));
    return "read_parquet([" + String.join(", ", names) + "], union_by_name = true, hive_partitioning = false"
        + (withRowPositions ? ", filename = true, file_row_number = true" : "") + ")";
  }

  private Set<String> columnsOf(List<Path> files) throws IOException {
    Set<String> out = new HashSet<>();
    try (Statement st = edits.connection().createStatement();
        ResultSet rs = st.executeQuery("DESCRIBE SELECT * FROM " + scan(files, false))) {
      while (rs.next()) {
        out.add(rs.getString(1));
      }
    } catch (SQLException e) {
      throw new IOException("could not read the columns of " + files.get(0).getParent() + ": " + e.getMessage(), e);
    }
    return out;
  }
}
