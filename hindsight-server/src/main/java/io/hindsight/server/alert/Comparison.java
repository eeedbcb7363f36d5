package io.hindsight.server.alert;

import java.util.Arrays;
import java.util.stream.Collectors;

/** A rule's {@code op}: how the metric's value is compared with the threshold. */
public enum Comparison {
  GREATER(">"),
  GREATER_OR_EQUAL(">="),
  LESS("<"),
  LESS_OR_EQUAL("<="),
  EQUAL("=="),
  NOT_EQUAL("!=");

  private final String symbol;

  Comparison(String symbol) {
    this.symbol = symbol;
  }

  /** The operator as written in a rule: {@code >}, {@code >=}, ... */
  public String symbol() {
    return symbol;
  }

  public boolean holds(double value, double threshold) {
    return switch (this) {
      case GREATER -> value > threshold;
      case GREATER_OR_EQUAL -> value >= threshold;
      case LESS -> value < threshold;
      case LESS_OR_EQUAL -> value <= threshold;
      case EQUAL -> value == threshold;
      case NOT_EQUAL -> value != threshold;
    };
  }

  static Comparison ofSymbolIn(String what, String symbol) {
    return Arrays.stream(values())
        .filter(c -> c.symbol.equals(symbol))
        .findFirst()
        .orElseThrow(
            () ->
                new IllegalArgumentException(
                    what + ": op must be one of "
                        + Arrays.stream(values()).map(Comparison::symbol).collect(Collectors.joining(" "))
                        + ", got '" + symbol + "'"));
  }
}
