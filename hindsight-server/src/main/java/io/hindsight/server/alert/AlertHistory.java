package io.hindsight.server.alert;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Locale;

/**
 * How state changes are kept: each is an event of kind {@code alert} on the endpoint's timeline
 * (so it goes through the log into the lake like any event, and shows on the endpoint's charts),
 * and the SQL table {@code alerts} is a view of those events.
 */
public final class AlertHistory {
  private AlertHistory() {}

  /** The name of the SQL view. */
  public static final String VIEW = "alerts";

  /** The view's SELECT over {@code events}. */
  public static final String SELECT =
      "SELECT endpoint, ts, json_extract_string(data, '$.rule') AS rule, json_extract_string(data, '$.metric') AS metric,"
          + " json_extract_string(data, '$.column') AS column_name, json_extract_string(data, '$.segment') AS segment,"
          + " json_extract_string(data, '$.from') AS from_state, json_extract_string(data, '$.to') AS to_state,"
          + " TRY_CAST(json_extract_string(data, '$.value') AS DOUBLE) AS value, json_extract_string(data, '$.op') AS op,"
          + " TRY_CAST(json_extract_string(data, '$.threshold') AS DOUBLE) AS threshold,"
          + " json_extract(data, '$.labels') AS labels, json_extract(data, '$.annotations') AS annotations, text"
          + " FROM events WHERE kind = 'alert'";

  /** The event recording a change: {@code {ts, kind: "alert", text, data}}. */
  public static ObjectNode event(AlertTransition t) {
    ObjectNode e = JsonNodeFactory.instance.objectNode();
    e.put("ts", t.at().toString());
    e.put("kind", "alert");
    e.put(
        "text",
        t.rule() + ": " + t.from().jsonName() + " -> " + t.to().jsonName() + " (" + t.metric()
            + (t.column() == null ? "" : " of " + t.column())
            + (t.segment() == null || t.segment().isEmpty() ? "" : " in " + t.segment()) + " = "
            + (t.value() == null ? "no data" : String.format(Locale.ROOT, "%.6g", t.value())) + ", " + t.op() + " "
            + t.threshold() + ")");
    e.set("data", t.toJson());
    return e;
  }
}
