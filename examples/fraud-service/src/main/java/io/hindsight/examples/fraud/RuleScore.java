package io.hindsight.examples.fraud;

import io.hindsight.Reason;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;

/**
 * The fraud team's hand-written rules, each adding to a risk score squashed into 0..1. Not
 * trained; kept in the ensemble because analysts trust it and it names its reasons.
 */
final class RuleScore {
  private RuleScore() {}

  /** The score and the rules that fired, the strongest first, each a reason with its code and weight. */
  record Result(double score, List<Reason> reasons) {
    /** The reasons as text. */
    List<String> texts() {
      return reasons.stream().map(Reason::text).toList();
    }

    /** The principal reasons for an adverse-action notice: at most {@link Reason#MAX}. */
    List<Reason> principal() {
      return reasons.subList(0, Math.min(Reason.MAX, reasons.size()));
    }
  }

  /** Records a rule that fired as a reason, weighted by what it adds to the score; returns the weight. */
  private static double fire(List<Reason> reasons, String code, String text, double weight) {
    reasons.add(Reason.of(code, text, weight));
    return weight;
  }

  static Result evaluate(double[] x) {
    double s = -3.5;
    List<Reason> reasons = new ArrayList<>();
    if (x[Features.AMOUNT_ZSCORE] > 3) {
      s += fire(reasons, "R01_AMOUNT", String.format(Locale.ROOT, "amount %.1f standard deviations above the card's average", x[Features.AMOUNT_ZSCORE]), 2.0);
    }
    if (x[Features.NEW_DEVICE] > 0) {
      s += fire(reasons, "R02_NEW_DEVICE", "device never seen with this card", 1.3);
    }
    if (x[Features.VELOCITY] >= 5) {
      s += fire(reasons, "R03_VELOCITY", String.format(Locale.ROOT, "%d transactions in the last 24 h", (int) x[Features.VELOCITY]), 1.2);
    }
    if (x[Features.IS_FOREIGN] > 0) {
      s += fire(reasons, "R04_FOREIGN", "merchant abroad", 1.2);
    }
    if (x[Features.HIGH_RISK_MERCHANT] > 0) {
      s += fire(reasons, "R05_MERCHANT_RISK", "high-risk merchant category", 0.9);
    }
    if (x[Features.IS_NIGHT] > 0) {
      s += fire(reasons, "R06_NIGHT", "night-time transaction", 0.8);
    }
    if (x[Features.NEW_CARD] > 0) {
      s += fire(reasons, "R07_NEW_CARD", "card issued less than 30 days ago", 0.7);
    }
    reasons.sort(Comparator.comparingDouble(r -> -r.contribution()));
    return new Result(LogisticRegression.sigmoid(s), reasons);
  }
}
