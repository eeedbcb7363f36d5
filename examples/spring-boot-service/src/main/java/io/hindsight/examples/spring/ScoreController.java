package io.hindsight.examples.spring;

import io.hindsight.Hindsight;
import io.hindsight.Prediction;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RestController;

/**
 * {@code POST /score}: one prediction per request. The prediction scope wraps the model call, so
 * the inputs, what the model computes and the decision become one record, shipped off the request
 * path when the scope closes (latency and errors are measured by the scope).
 */
@RestController
public class ScoreController {
  /** A transaction to score. */
  public record Transaction(String transactionId, double amount, String merchantCategory) {}

  /** The answer: the decision and the fraud probability. */
  public record Decision(String transactionId, String decision, double fraudProbability) {}

  private final Hindsight hindsight;
  private final FraudModel model;

  public ScoreController(Hindsight hindsight, FraudModel model) {
    this.hindsight = hindsight;
    this.model = model;
  }

  @PostMapping("/score")
  public Decision score(@RequestBody Transaction txn) {
    try (Prediction p = hindsight.startPrediction(txn.transactionId())) {
      Hindsight.log("amount", txn.amount());
      Hindsight.log("merchant_category", txn.merchantCategory());
      double fraud = model.score(txn.amount(), txn.merchantCategory());
      String decision = fraud >= FraudModel.THRESHOLD ? "declined" : "approved";
      Hindsight.log("decision", decision);
      p.tag("channel", "api");
      return new Decision(txn.transactionId(), decision, fraud);
    }
  }
}
