package io.hindsight.server.alert;

import java.util.Locale;

/** A rule's state, as Prometheus names them. */
public enum AlertState {
  /** The condition is false (or the rule was never evaluated). */
  INACTIVE,
  /** The condition is true, for less than the rule's {@code for}. */
  PENDING,
  /** The condition has been true for {@code for}, or stopped less than {@code keep_firing_for} ago. */
  FIRING;

  /** The name in JSON and SQL: {@code inactive}, {@code pending}, {@code firing}. */
  public String jsonName() {
    return name().toLowerCase(Locale.ROOT);
  }
}
