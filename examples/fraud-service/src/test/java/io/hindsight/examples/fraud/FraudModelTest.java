package io.hindsight.examples.fraud;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The fraud model learns the generator's fraud mechanism, and does so deterministically. */
class FraudModelTest {
  private static List<LabeledTransaction> training;
  private static List<LabeledTransaction> heldOut;
  private static FraudModel model;

  @BeforeAll
  static void train() {
    training = new TransactionGenerator(1).next(4_000);
    heldOut = new TransactionGenerator(2).next(3_000);
    model = FraudModel.train("v1.0.0", training, 3);
  }

  @Test
  void generatorMixesInFraudAtAboutTheConfiguredRate() {
    double rate = heldOut.stream().filter(LabeledTransaction::fraud).count() / (double) heldOut.size();
    assertThat(rate).isBetween(0.03, 0.09);
  }

  @Test
  void generatorIsDeterministicForASeed() {
    assertThat(new TransactionGenerator(7).next(50)).isEqualTo(new TransactionGenerator(7).next(50));
    assertThat(new TransactionGenerator(7).next(50)).isNotEqualTo(new TransactionGenerator(8).next(50));
  }

  @Test
  void separatesFraudFromLegitimateOnHeldOutTransactions() {
    assertThat(model.auc(heldOut)).isGreaterThan(0.9);
  }

  @Test
  void beatsTheAlwaysApproveBaselineOnHeldOutTransactions() {
    double baseline = heldOut.stream().filter(l -> !l.fraud()).count() / (double) heldOut.size();
    assertThat(model.accuracy(heldOut)).isGreaterThan(baseline);
  }

  @Test
  void declinesMoreFraudThanLegitimateTransactions() {
    long fraudDeclined = heldOut.stream().filter(LabeledTransaction::fraud)
        .filter(l -> model.score(l.transaction()).decision().equals(FraudModel.DECLINE)).count();
    long fraud = heldOut.stream().filter(LabeledTransaction::fraud).count();
    long legitDeclined = heldOut.stream().filter(l -> !l.fraud())
        .filter(l -> model.score(l.transaction()).decision().equals(FraudModel.DECLINE)).count();
    assertThat((double) fraudDeclined / fraud).isGreaterThan(0.4);
    assertThat((double) legitDeclined / (heldOut.size() - fraud)).isLessThan(0.03);
  }

  @Test
  void sameDataAndSeedGiveTheSameModel() {
    FraudModel again = FraudModel.train("v1.0.0", new TransactionGenerator(1).next(4_000), 3);
    assertThat(again.threshold()).isEqualTo(model.threshold());
    for (LabeledTransaction l : heldOut.subList(0, 200)) {
      assertThat(again.score(l.transaction())).isEqualTo(model.score(l.transaction()));
    }
  }

  @Test
  void scoreExplainsItself() {
    Transaction risky = new Transaction("t-risky", "card-1", 1_900, "electronics", "RO", "US", "online", 3, 12, 7, 7_400,
        true, 48, 30);
    FraudModel.Score s = model.score(risky);
    assertThat(s.decision()).isEqualTo(FraudModel.DECLINE);
    assertThat(s.action()).isEqualTo("block_card");
    assertThat(s.pLegit() + s.pFraud()).isCloseTo(1.0, org.assertj.core.data.Offset.offset(1e-6));
    assertThat(s.pFraud()).isGreaterThanOrEqualTo(model.threshold());
    assertThat(s.features()).containsKeys("log_amount", "amount_zscore", "is_foreign", "velocity_24h", "new_device");
    assertThat(s.reasons()).contains("merchant abroad", "device never seen with this card");
    assertThat(s.topFactors()).isNotEmpty();

    Transaction routine = new Transaction("t-routine", "card-2", 42, "grocery", "US", "US", "pos", 11, 900, 1, 3,
        false, 48, 30);
    assertThat(model.score(routine).decision()).isEqualTo(FraudModel.APPROVE);
    assertThat(model.score(routine).action()).isEqualTo("none");
  }

  @Test
  void refusesTooLittleTrainingData() {
    assertThatThrownBy(() -> FraudModel.train("v0", new TransactionGenerator(3).next(50), 3))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("at least 200");
  }
}
