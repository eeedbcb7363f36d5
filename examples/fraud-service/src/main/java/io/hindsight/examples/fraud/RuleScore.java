package io.hindsight.examples.fraud;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The fraud team's hand-written rules, each adding to a risk score squashed into 0..1. Not
 * trained; kept in the ensemble because analysts trust it and it names its reasons.
 */
final class RuleScore {
  private RuleScore() {}

  record Result(double score, List<String> reasons) {}

  static Result evaluate(double[] x) {
    double s = -3.5;
    List<String> reasons = new ArrayList<>();
    if (x[Features.AMOUNT_ZSCORE] > 3) {
      s += 2.0;
      reasons.add(String.format(Locale.ROOT, "amount %.1f standard deviations above the card's average", x[Features.AMOUNT_ZSCORE]));
    }
    if (x[Features.NEW_DEVICE] > 0) {
      s += 1.3;
      reasons.add("device never seen with this card");
    }
    if (x[Features.VELOCITY] >= 5) {
      s += 1.2;
      reasons.add(String.format(Locale.ROOT, "%d transactions in the last 24 h", (int) x[Features.VELOCITY]));
    }
    if (x[Features.IS_FOREIGN] > 0) {
      s += 1.2;
      reasons.add("merchant abroad");
    }
    if (x[Features.HIGH_RISK_MERCHANT] > 0) {
      s += 0.9;
      reasons.add("high-risk merchant category");
    }
    if (x[Features.IS_NIGHT] > 0) {
      s += 0.8;
      reasons.add("night-time transaction");
    }
    if (x[Features.NEW_CARD] > 0) {
      s += 0.7;
      reasons.add("card issued less than 30 days ago");
    }
    return new Result(LogisticRegression.sigmoid(s), reasons);
  }
}
