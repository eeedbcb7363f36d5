package io.hindsight.server.monitor;

import java.util.Arrays;

/** What a model predicts, which decides the metrics an evaluation computes. */
public enum Task {
  /** A positive-class probability (and optionally a predicted class) against a two-class label. */
  BINARY_CLASSIFICATION("binary_classification"),
  /** A predicted class against a class label. */
  MULTICLASS_CLASSIFICATION("multiclass_classification"),
  /** A predicted number against a numeric label. */
  REGRESSION("regression");

  private final String wireName;

  Task(String wireName) {
    this.wireName = wireName;
  }

  /** The name used in the monitoring config and the API, e.g. {@code binary_classification}. */
  public String wireName() {
    return wireName;
  }

  /** The task with this wire name; the message lists the valid names. */
  public static Task fromWireName(String name) {
    for (Task t : values()) {
      if (t.wireName.equals(name)) {
        return t;
      }
    }
    throw new IllegalArgumentException(
        "unknown task '" + name + "': use one of "
            + Arrays.stream(values()).map(Task::wireName).toList());
  }
}
