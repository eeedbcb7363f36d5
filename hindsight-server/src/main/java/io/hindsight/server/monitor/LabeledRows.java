package io.hindsight.server.monitor;

import io.hindsight.server.schema.SqlText;
import io.hindsight.server.ApiException;
import io.hindsight.server.schema.EndpointSchema;

/**
 * An endpoint's predictions joined with the latest label of each, shaped as {@link Evaluator}
 * reads them ({@code grp, score, predicted, label}) from the monitoring config's column references.
 * Without a configured positive class, a binary label or prediction of {@code true}, {@code 1} or
 * {@code 1.0} is positive and anything else negative.
 */
final class LabeledRows {
  private final String endpoint;
  private final MonitoringConfig config;
  private final ColumnReferences refs;
  private final boolean labelReadable;

  /** @param labelReadable whether the lake has feedback with the label key yet (else no row is labeled) */
  LabeledRows(String endpoint, MonitoringConfig config, EndpointSchema schema, boolean labelReadable) {
    this.endpoint = endpoint;
    this.config = config;
    this.labelReadable = labelReadable;
    this.refs = new ColumnReferences(endpoint, schema, config.derived().keySet());
  }

  /** SQL of the group value for {@code by} (a column reference), or '' when not grouped. */
  String groupSql(String by) {
    if (by == null) {
      return "''";
    }
    return "coalesce(CAST(" + resolve("by", by) + " AS VARCHAR), '')";
  }

  /** The rows of {@code slice} as a FROM-item. */
  String relation(Slice slice, String groupSql) {
    String score = config.score() == null ? "NULL" : "TRY_CAST(" + resolve("score", config.score()) + " AS DOUBLE)";
    String predicted = config.prediction() == null ? "NULL" : classOf(resolve("prediction", config.prediction()));
    String truth =
        config.task() == Task.REGRESSION ? "TRY_CAST(f.label_value AS DOUBLE)" : classOf("f.label_value");
    return "(SELECT " + groupSql + " AS grp, " + score + " AS score, " + predicted + " AS predicted, " + truth + " AS label"
        + withFeedback(endpoint, labelReadable ? config.label() : null) + " WHERE " + slice.where("p") + ")";
  }

  /**
   * {@code FROM predictions p} joined with each prediction's feedback as {@code f}: how many
   * feedback records ({@code f.feedback_n}) and the latest non-null value of the {@code label} key
   * ({@code f.label_value}; NULL when {@code label} is null, e.g. no feedback has it yet).
   */
  static String withFeedback(String endpoint, String label) {
    String value = label == null ? "NULL" : SqlText.identifier(label);
    return " FROM predictions p LEFT JOIN (SELECT prediction_id, count(*) AS feedback_n, arg_max(" + value
        + ", ts) FILTER (WHERE " + value + " IS NOT NULL) AS label_value FROM feedback WHERE endpoint = "
        + SqlText.string(endpoint) + " GROUP BY prediction_id) f ON p.prediction_id = f.prediction_id";
  }

  /** A class as text; for binary without a positive class, true/1/1.0 read as 'true', the rest 'false'. */
  private String classOf(String sql) {
    String text = "CAST(" + sql + " AS VARCHAR)";
    if (config.task() != Task.BINARY_CLASSIFICATION || config.positiveClass() != null) {
      return text;
    }
    return "CASE WHEN " + sql + " IS NULL THEN NULL WHEN lower(" + text + ") IN ('true', '1', '1.0') THEN 'true' ELSE 'false' END";
  }

  private String resolve(String field, String reference) {
    try {
      return refs.resolve(field, reference).sql();
    } catch (IllegalArgumentException e) {
      throw ApiException.badRequest(e.getMessage());
    }
  }
}
