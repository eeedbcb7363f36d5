package com.example.scoring;

import io.hindsight.Hindsight;
import io.hindsight.Prediction;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/** Scores three transactions, logging each prediction to the Hindsight server named by args[0]. */
public final class ScoringJob {
  public static void main(String[] args) {
    Hindsight hindsight =
        Hindsight.builder().endpoint("consumer-scoring").modelVersion("v1").serverUrl(args[0]).build();
    for (int i = 1; i <= 3; i++) {
      try (Prediction p = hindsight.startPrediction("job-" + i)) {
        double amount = 100.0 * i;
        Hindsight.log("amount", amount);
        Hindsight.log("probabilities", List.of(1 - i / 10.0, i / 10.0));
        Hindsight.log("decision", i == 3 ? "declined" : "approved");
      }
    }
    hindsight.feedback("job-3", Map.of("label", "fraud"));
    boolean flushed = hindsight.close(Duration.ofSeconds(20));
    System.out.println("sdk " + Hindsight.VERSION + " flushed " + flushed);
    System.exit(flushed ? 0 : 1);
  }
}
