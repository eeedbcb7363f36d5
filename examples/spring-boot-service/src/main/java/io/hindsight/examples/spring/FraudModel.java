package io.hindsight.examples.spring;

import io.hindsight.Hindsight;
import java.util.List;
import org.springframework.stereotype.Component;

/**
 * A stand-in fraud model: a logistic score over two features. It logs what it computes with
 * {@link Hindsight#log}, which reaches the prediction scope the controller opened on this thread.
 */
@Component
public class FraudModel {
  static final String VERSION = "fraud-logit-1.0";
  static final double THRESHOLD = 0.5;

  /** The probability that the transaction is fraud. */
  public double score(double amount, String merchantCategory) {
    double amountFeature = Math.log1p(Math.max(0, amount));
    double categoryFeature = "electronics".equals(merchantCategory) ? 1.0 : 0.0;
    Hindsight.log("features", List.of(amountFeature, categoryFeature));
    double fraud = 1 / (1 + Math.exp(-(0.9 * amountFeature + 1.5 * categoryFeature - 6.0)));
    Hindsight.log("probabilities", List.of(1 - fraud, fraud));
    return fraud;
  }
}
