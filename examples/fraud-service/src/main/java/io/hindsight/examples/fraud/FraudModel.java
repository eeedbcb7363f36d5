package io.hindsight.examples.fraud;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Map;

/**
 * The fraud model: an ensemble of a logistic regression, a shallow decision tree and the fraud
 * team's rules, averaged into a fraud probability, with a decision threshold tuned on held-out
 * data. Training is deterministic: the same data gives the same model.
 *
 * <p>Decisions: at or above {@link #threshold()} the transaction is declined and the card
 * blocked; at or above {@link #reviewThreshold()} it goes to review with a step-up
 * authentication (3-D Secure, a push to the banking app); below it is approved.
 */
public final class FraudModel {
  public static final String APPROVE = "approve";
  public static final String REVIEW = "review";
  public static final String DECLINE = "decline";

  private final String version;
  private final LogisticRegression logistic;
  private final DecisionTree tree;
  private final double threshold;
  private final int treeDepth;
  private final int trainedOn;

  /**
   * What the model made of one transaction.
   *
   * @param features the engineered features, by name
   * @param logistic the logistic regression's fraud probability
   * @param tree the decision tree's fraud probability
   * @param rules the rule score, 0 to 1
   * @param pLegit the ensemble's probability that the transaction is legitimate
   * @param pFraud the ensemble's probability of fraud
   * @param decision approve, review or decline
   * @param action none, step_up_auth or block_card
   * @param reasons the rules that fired, most weighty first
   * @param topFactors the features that raised the logistic score the most
   */
  public record Score(
      Map<String, Object> features,
      double logistic,
      double tree,
      double rules,
      double pLegit,
      double pFraud,
      String decision,
      String action,
      List<String> reasons,
      List<String> topFactors,
      List<io.hindsight.Reason> principalReasons) {}

  private FraudModel(String version, LogisticRegression logistic, DecisionTree tree, double threshold, int treeDepth, int trainedOn) {
    this.version = version;
    this.logistic = logistic;
    this.tree = tree;
    this.threshold = threshold;
    this.treeDepth = treeDepth;
    this.trainedOn = trainedOn;
  }

  /**
   * Trains the members on three quarters of {@code data} and tunes the decline threshold for the
   * best F1 on the last quarter.
   *
   * @param version the model version recorded with every prediction, e.g. {@code v1.0.0}
   * @param data labelled transactions, at least 200, with both classes
   * @param treeDepth depth of the decision tree, 1 to 8
   */
  public static FraudModel train(String version, List<LabeledTransaction> data, int treeDepth) {
    if (data.size() < 200) {
      throw new IllegalArgumentException("training needs at least 200 transactions, got " + data.size());
    }
    if (treeDepth < 1 || treeDepth > 8) {
      throw new IllegalArgumentException("treeDepth must be 1 to 8, was " + treeDepth);
    }
    int cut = data.size() * 3 / 4;
    double[][] x = new double[cut][];
    boolean[] y = new boolean[cut];
    boolean anyFraud = false;
    boolean anyLegit = false;
    for (int i = 0; i < cut; i++) {
      x[i] = Features.of(data.get(i).transaction());
      y[i] = data.get(i).fraud();
      anyFraud |= y[i];
      anyLegit |= !y[i];
    }
    if (!anyFraud || !anyLegit) {
      throw new IllegalArgumentException("training data needs both fraud and legitimate transactions");
    }
    LogisticRegression lr = LogisticRegression.train(x, y, 300, 0.5, 1e-3);
    DecisionTree dt = DecisionTree.train(x, y, treeDepth);
    FraudModel untuned = new FraudModel(version, lr, dt, 0.5, treeDepth, cut);
    List<LabeledTransaction> holdout = data.subList(cut, data.size());
    double[] p = new double[holdout.size()];
    for (int i = 0; i < p.length; i++) {
      p[i] = untuned.probability(Features.of(holdout.get(i).transaction()));
    }
    double best = 0.5;
    double bestF1 = -1;
    for (int step = 20; step <= 80; step++) {
      double t = step / 100.0;
      int tp = 0;
      int fp = 0;
      int fn = 0;
      for (int i = 0; i < p.length; i++) {
        boolean flagged = p[i] >= t;
        boolean fraud = holdout.get(i).fraud();
        tp += flagged && fraud ? 1 : 0;
        fp += flagged && !fraud ? 1 : 0;
        fn += !flagged && fraud ? 1 : 0;
      }
      double f1 = tp == 0 ? 0 : 2.0 * tp / (2.0 * tp + fp + fn);
      if (f1 > bestF1) {
        bestF1 = f1;
        best = t;
      }
    }
    return new FraudModel(version, lr, dt, best, treeDepth, cut);
  }

  /** The version recorded with every prediction of this model. */
  public String version() {
    return version;
  }

  /** The fraud probability at and above which a transaction is declined. */
  public double threshold() {
    return threshold;
  }

  /** The fraud probability at and above which a transaction goes to review: half the threshold. */
  public double reviewThreshold() {
    return Features.round(threshold / 2, 3);
  }

  /** Depth of the tree member. */
  public int treeDepth() {
    return treeDepth;
  }

  /** How many transactions the members were trained on. */
  public int trainedOn() {
    return trainedOn;
  }

  /** Scores one transaction. Thread-safe. */
  public Score score(Transaction t) {
    double[] x = Features.of(t);
    double lr = logistic.score(x);
    double dt = tree.score(x);
    RuleScore.Result rules = RuleScore.evaluate(x);
    double pFraud = (lr + dt + rules.score()) / 3;
    String decision = pFraud >= threshold ? DECLINE : pFraud >= reviewThreshold() ? REVIEW : APPROVE;
    String action =
        switch (decision) {
          case DECLINE -> "block_card";
          case REVIEW -> "step_up_auth";
          default -> "none";
        };
    double[] c = logistic.contributions(x);
    List<String> top = new ArrayList<>();
    Integer[] order = new Integer[c.length];
    for (int j = 0; j < c.length; j++) {
      order[j] = j;
    }
    Arrays.sort(order, Comparator.comparingDouble(j -> -c[j]));
    for (int j = 0; j < 3 && c[order[j]] > 0.1; j++) {
      top.add(Features.NAMES.get(order[j]));
    }
    return new Score(
        Features.asMap(x),
        Features.round(lr, 6),
        Features.round(dt, 6),
        Features.round(rules.score(), 6),
        Features.round(1 - pFraud, 6),
        Features.round(pFraud, 6),
        decision,
        action,
        rules.texts(),
        top,
        rules.principal());
  }

  private double probability(double[] x) {
    return (logistic.score(x) + tree.score(x) + RuleScore.evaluate(x).score()) / 3;
  }

  /** Area under the ROC curve of the fraud probability on labelled transactions (0.5 = chance). */
  public double auc(List<LabeledTransaction> data) {
    int n = data.size();
    double[] p = new double[n];
    for (int i = 0; i < n; i++) {
      p[i] = probability(Features.of(data.get(i).transaction()));
    }
    Integer[] order = new Integer[n];
    for (int i = 0; i < n; i++) {
      order[i] = i;
    }
    Arrays.sort(order, Comparator.comparingDouble(i -> p[i]));
    // Mann-Whitney U with average ranks for ties.
    double rankSumPos = 0;
    long pos = 0;
    int i = 0;
    while (i < n) {
      int j = i;
      while (j + 1 < n && p[order[j + 1]] == p[order[i]]) {
        j++;
      }
      double rank = (i + j) / 2.0 + 1;
      for (int k = i; k <= j; k++) {
        if (data.get(order[k]).fraud()) {
          rankSumPos += rank;
          pos++;
        }
      }
      i = j + 1;
    }
    long neg = n - pos;
    if (pos == 0 || neg == 0) {
      throw new IllegalArgumentException("AUC needs both fraud and legitimate transactions");
    }
    return (rankSumPos - pos * (pos + 1) / 2.0) / ((double) pos * neg);
  }

  /** Share of transactions where "declined" agrees with "fraud". */
  public double accuracy(List<LabeledTransaction> data) {
    int right = 0;
    for (LabeledTransaction l : data) {
      boolean declined = probability(Features.of(l.transaction())) >= threshold;
      right += declined == l.fraud() ? 1 : 0;
    }
    return (double) right / data.size();
  }
}
