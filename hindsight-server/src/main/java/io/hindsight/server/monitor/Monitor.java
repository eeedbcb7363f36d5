package io.hindsight.server.monitor;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.hindsight.server.ApiException;
import io.hindsight.server.query.QueryEngine;
import io.hindsight.server.schema.EndpointSchema;
import io.hindsight.server.schema.SchemaRegistry;
import io.hindsight.server.schema.Table;
import java.io.IOException;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * Computes what monitoring shows from the lake, for any endpoint and period: the figures of a
 * window (the metric store's rows), drift and evaluation. Reads through the query engine's own
 * connections, so it sees exactly what SQL sees.
 */
public final class Monitor {
  private final MonitoringConfigs configs;
  private final SchemaRegistry schemas;
  private final QueryEngine engine;
  private final WindowFigures figures;

  /** @param clock how old a kept reference profile is (see {@link ReferenceProfiles}) */
  public Monitor(MonitoringConfigs configs, SchemaRegistry schemas, QueryEngine engine, java.time.Clock clock) {
    this.configs = configs;
    this.schemas = schemas;
    this.engine = engine;
    this.figures = new WindowFigures(this, clock);
  }

  QueryEngine engine() {
    return engine;
  }

  MonitoringConfig config(String endpoint) {
    return configs.get(endpoint);
  }

  EndpointSchema predictionsSchema(String endpoint) {
    return schemas.existing(Table.PREDICTIONS, endpoint);
  }

  /** Endpoints that have logged predictions. */
  public List<String> endpoints() {
    List<String> out = new ArrayList<>();
    schemas.all(Table.PREDICTIONS).forEach(s -> out.add(s.endpoint()));
    return out;
  }

  /** Every figure of the metric store for one window of an endpoint (see {@link WindowFigures}). */
  public List<MetricValue> windowFigures(String endpoint, Instant from, Instant to) throws IOException {
    return figures.all(endpoint, from, to);
  }

  /** An open window's figures from its sketches (see {@link OpenWindows}), but those of feedback and quality. */
  List<MetricValue> stateFigures(String endpoint, MetricStore.Window w, OpenWindows.WindowState state) throws IOException {
    return figures.fromState(endpoint, w, state);
  }

  /** A window's figures of feedback and quality ({@link MetricNames#fromLabels}), from its rows. */
  List<MetricValue> labelFigures(String endpoint, Instant from, Instant to) throws IOException {
    return figures.labelFigures(endpoint, from, to);
  }

  /**
   * One figure over any window and segment, as an alert rule watches it; empty when the window has
   * no rows for it.
   *
   * @param column the feature for per-column metrics, else null
   * @param segment '' for all rows, else {@code <reference>=<value>}
   */
  public java.util.OptionalDouble metric(String endpoint, String metric, String column, String segment, Instant from, Instant to)
      throws IOException {
    return figures.metric(endpoint, metric, column, segment, from, to);
  }

  /** What {@code GET .../drift} asks: the current window, optionally a reference, a segment, a method. */
  public record DriftQuery(
      Instant from, Instant to, Instant referenceFrom, Instant referenceTo, String segment, String method) {}

  /** Drift of the endpoint's features (DESIGN §10), in the API's JSON shape. */
  public ObjectNode drift(String endpoint, DriftQuery q, ObjectMapper json) throws IOException {
    MonitoringConfig config = configs.get(endpoint);
    DriftMethod method;
    try {
      method = q.method() == null || q.method().isBlank() ? null : DriftMethod.fromPublicName(q.method());
    } catch (IllegalArgumentException e) {
      throw ApiException.badRequest("'method': " + e.getMessage());
    }
    requireRows(endpoint);
    return engine.inProcess(
        conn -> {
          View view = view(conn, endpoint, config);
          Slice current = segmented(endpoint, q.from(), q.to(), q.segment(), config);
          Slice reference = referenceOf(conn, current, q, config);
          List<MonitoredColumn> columns = new ArrayList<>();
          view.features().forEach(f -> columns.add(new MonitoredColumn(f.name(), f.sql())));
          DriftReport report;
          try {
            report =
                new DriftCalculator(conn)
                    .compute(reference.relation("predictions", "*"), current.relation("predictions", "*"), columns, method);
          } catch (IllegalArgumentException e) {
            throw ApiException.badRequest(
                e.getMessage().startsWith("the reference window has no rows")
                    ? "the reference window " + reference.from() + " .. " + reference.to() + " has no rows of endpoint '"
                        + endpoint + "'" + (reference.segmentSql() == null ? "" : " in segment " + q.segment())
                        + "; choose another with reference_from and reference_to, or set the config's reference"
                    : e.getMessage());
          }
          ObjectNode out = json.createObjectNode();
          out.putObject("reference").put("from", reference.from().toString()).put("to", reference.to().toString())
              .put("rows", report.referenceRows());
          out.putObject("current").put("from", current.from().toString()).put("to", current.to().toString())
              .put("rows", report.currentRows());
          ArrayNode cols = out.putArray("columns");
          for (ColumnDrift d : report.columns()) {
            ObjectNode c = cols.addObject();
            c.put("column", d.column());
            c.put("kind", d.kind());
            c.put("method", d.method());
            c.put("statistic", d.statistic());
            c.put("p_value", d.pValue());
            c.put("threshold", d.threshold());
            c.put("drifted", d.drifted());
            c.put("reference_missing_share", d.referenceMissingShare());
            c.put("current_missing_share", d.currentMissingShare());
          }
          out.put("drifted_share", report.driftedShare());
          out.put("dataset_drift", report.datasetDrift());
          return out;
        });
  }

  /** What {@code GET .../evaluation} asks: the window and what to group by (a column reference, or null). */
  public record EvaluationQuery(Instant from, Instant to, String by) {}

  /** Realized and estimated quality per group (DESIGN §10), in the API's JSON shape. */
  public ObjectNode evaluation(String endpoint, EvaluationQuery q, ObjectMapper json) throws IOException {
    requireRows(endpoint);
    MonitoringConfig config = configs.get(endpoint);
    if (config == null || config.label() == null || (config.score() == null && config.prediction() == null)) {
      throw ApiException.badRequest(
          "evaluation needs the endpoint's monitoring config with task, score (or prediction) and label: PUT it to /v1/endpoints/"
              + endpoint + "/monitoring");
    }
    String labelProblem =
        MonitoringConfigs.labelProblem(endpoint, config.label(), schemas.existing(Table.FEEDBACK, endpoint));
    if (labelProblem != null) {
      throw ApiException.badRequest(labelProblem);
    }
    return engine.inProcess(
        conn -> {
          if (!feedbackViewHas(conn, config.label())) {
            throw ApiException.badRequest(
                "'label': feedback with the key '" + config.label() + "' is not in the lake yet; retry in a moment");
          }
          Slice current = segmented(endpoint, q.from(), q.to(), null, config);
          Slice reference = referenceOf(conn, current, new DriftQuery(q.from(), q.to(), null, null, null, null), config);
          LabeledRows rows = new LabeledRows(endpoint, config, schemas.existing(Table.PREDICTIONS, endpoint), true);
          String by = q.by() == null || q.by().isBlank() ? null : q.by();
          String groupSql = rows.groupSql(by);
          EvaluationSpec spec =
              new EvaluationSpec(config.threshold(), config.positiveClass() == null ? "true" : config.positiveClass());
          List<GroupEvaluation> groups =
              new Evaluator(conn).evaluate(config.task(), rows.relation(current, groupSql), rows.relation(reference, "''"), spec);
          ObjectNode out = json.createObjectNode();
          out.put("task", config.task().wireName());
          out.putObject("current").put("from", current.from().toString()).put("to", current.to().toString());
          out.putObject("reference").put("from", reference.from().toString()).put("to", reference.to().toString());
          ArrayNode arr = out.putArray("groups");
          for (GroupEvaluation g : groups) {
            ObjectNode o = arr.addObject();
            ObjectNode group = o.putObject("group");
            if (by != null) {
              group.put(by, g.group());
            }
            o.put("rows", g.rows());
            o.put("labeled", g.labeled());
            o.put("missing_score", g.missingScore());
            ObjectNode realized = o.putObject("realized");
            g.realized().forEach(realized::put);
            ObjectNode estimated = o.putObject("estimated");
            g.estimated().forEach(estimated::put);
          }
          return out;
        });
  }

  void requireRows(String endpoint) {
    if (schemas.existing(Table.PREDICTIONS, endpoint) == null) {
      throw ApiException.notFound("endpoint '" + endpoint + "' has no predictions yet");
    }
  }

  /** The window, narrowed to one segment value when {@code segment} is {@code <reference>=<value>}. */
  Slice segmented(String endpoint, Instant from, Instant to, String segment, MonitoringConfig config) {
    Slice all;
    try {
      all = Slice.all(endpoint, from, to);
    } catch (IllegalArgumentException e) {
      throw ApiException.badRequest(e.getMessage());
    }
    if (segment == null || segment.isBlank()) {
      return all;
    }
    int eq = segment.indexOf('=');
    if (eq <= 0) {
      throw ApiException.badRequest(
          "'segment' is <column reference>=<value>, e.g. tags.segment=high_value or model_version=v2, not '" + segment + "'");
    }
    ColumnReferences refs = references(endpoint, config);
    String sql;
    try {
      sql = refs.resolve("segment", segment.substring(0, eq)).sql();
    } catch (IllegalArgumentException e) {
      throw ApiException.badRequest(e.getMessage());
    }
    return new Slice(endpoint, from, to, sql, segment.substring(eq + 1));
  }

  /** The reference: the query's window, else the config's (a window, a version's first week, or the period before). */
  Slice referenceOf(Connection conn, Slice current, DriftQuery q, MonitoringConfig config) throws SQLException {
    try {
      if (q.referenceFrom() != null || q.referenceTo() != null) {
        if (q.referenceFrom() == null || q.referenceTo() == null) {
          throw ApiException.badRequest("give both reference_from and reference_to, or neither");
        }
        return current.during(q.referenceFrom(), q.referenceTo());
      }
      MonitoringConfig.Reference ref = config == null ? MonitoringConfig.DEFAULT_REFERENCE : config.reference();
      if (ref instanceof MonitoringConfig.Reference.Window w) {
        return current.during(w.from(), w.to());
      }
      if (ref instanceof MonitoringConfig.Reference.Version v) {
        Instant first = firstSeen(conn, current.endpoint(), v.modelVersion());
        return current.during(first, first.plus(java.time.Duration.ofDays(7)));
      }
      java.time.Duration length = ((MonitoringConfig.Reference.Previous) ref).length();
      return current.during(current.from().minus(length), current.from());
    } catch (IllegalArgumentException e) {
      throw ApiException.badRequest("reference: " + e.getMessage());
    }
  }

  private static Instant firstSeen(Connection conn, String endpoint, String version) throws SQLException {
    try (java.sql.PreparedStatement st =
        conn.prepareStatement("SELECT min(ts) FROM predictions WHERE endpoint = ? AND model_version = ?")) {
      st.setString(1, endpoint);
      st.setString(2, version);
      try (java.sql.ResultSet rs = st.executeQuery()) {
        rs.next();
        java.time.OffsetDateTime t = rs.getObject(1, java.time.OffsetDateTime.class);
        if (t == null) {
          throw ApiException.badRequest(
              "reference: endpoint '" + endpoint + "' has no predictions of model_version '" + version + "'");
        }
        return t.toInstant();
      }
    }
  }

  /** What column references of the endpoint name: its logged keys and its config's derived columns. */
  private ColumnReferences references(String endpoint, MonitoringConfig config) {
    return new ColumnReferences(
        endpoint, predictionsSchema(endpoint), config == null ? java.util.Set.of() : config.derived().keySet());
  }

  /** The endpoint's monitored columns as SQL: features, segments, and where its label is. */
  record View(
      List<Features.Feature> features, List<SegmentColumn> segments, String label, boolean labelReadable, String scoreSql) {}

  View view(Connection conn, String endpoint, MonitoringConfig config) throws SQLException {
    ColumnReferences refs = references(endpoint, config);
    try {
      List<String> featureRefs =
          config == null || config.defaultFeatures() ? refs.scalarKeys() : config.features();
      List<Features.Feature> features = Features.resolve(conn, refs, endpoint, "features", featureRefs);
      List<SegmentColumn> segments = new ArrayList<>();
      if (config != null) {
        for (String s : config.segments()) {
          segments.add(new SegmentColumn(s, refs.resolve("segments", s).sql()));
        }
      }
      String label = config == null ? null : config.label();
      EndpointSchema feedback = schemas.existing(Table.FEEDBACK, endpoint);
      boolean readable = label != null && feedback != null && feedback.column(label) != null && feedbackViewHas(conn, label);
      String score = config == null || config.score() == null ? null : "TRY_CAST(" + refs.resolve("score", config.score()).sql() + " AS DOUBLE)";
      return new View(features, segments, label, readable, score);
    } catch (IllegalArgumentException e) {
      throw ApiException.badRequest(e.getMessage());
    }
  }

  static boolean feedbackViewHas(Connection conn, String key) throws SQLException {
    try (var st = conn.createStatement();
        var rs = st.executeQuery("DESCRIBE feedback")) {
      while (rs.next()) {
        if (rs.getString(1).equals(key)) {
          return true;
        }
      }
    }
    return false;
  }
}
