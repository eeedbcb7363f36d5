package io.hindsight.server.monitor;

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

/**
 * Computes what monitoring shows from the lake, for any endpoint and period: the figures of a
 * window (the metric store's rows), drift and evaluation. Reads through the query engine's own
 * connections, so it sees exactly what SQL sees.
 */
public final class Monitor {
  private final MonitoringConfigs configs;
  private final SchemaRegistry schemas;
  private final QueryEngine engine;

  public Monitor(MonitoringConfigs configs, SchemaRegistry schemas, QueryEngine engine) {
    this.configs = configs;
    this.schemas = schemas;
    this.engine = engine;
  }

  /** Endpoints that have logged predictions. */
  public List<String> endpoints() {
    List<String> out = new ArrayList<>();
    schemas.all(Table.PREDICTIONS).forEach(s -> out.add(s.endpoint()));
    return out;
  }

  /** Every figure of the metric store for one window of an endpoint, for all rows and per segment value. */
  public List<MetricValue> windowFigures(String endpoint, Instant from, Instant to) throws IOException {
    MonitoringConfig config = configs.get(endpoint);
    return engine.inProcess(
        conn -> {
          View view = view(conn, endpoint, config);
          return BaseMetrics.compute(
              conn, Slice.all(endpoint, from, to), view.segments(), view.features(), view.label(), view.labelReadable());
        });
  }

  /** The endpoint's monitored columns as SQL: features, segments, and where its label is. */
  record View(List<Features.Feature> features, List<SegmentColumn> segments, String label, boolean labelReadable) {}

  View view(Connection conn, String endpoint, MonitoringConfig config) throws SQLException {
    EndpointSchema schema = schemas.existing(Table.PREDICTIONS, endpoint);
    ColumnReferences refs =
        new ColumnReferences(endpoint, schema, config == null ? java.util.Set.of() : config.derived().keySet());
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
      return new View(features, segments, label, readable);
    } catch (IllegalArgumentException e) {
      throw ApiException.badRequest(e.getMessage());
    }
  }

  private static boolean feedbackViewHas(Connection conn, String key) throws SQLException {
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
