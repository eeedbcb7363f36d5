package io.hindsight.examples.fraud;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Feature engineering: what the models see of a transaction. */
final class Features {
  static final List<String> NAMES =
      List.of(
          "log_amount",
          "amount_zscore",
          "is_night",
          "is_foreign",
          "velocity_24h",
          "log_distance_km",
          "new_device",
          "new_card",
          "high_risk_merchant",
          "online");

  static final int LOG_AMOUNT = 0;
  static final int AMOUNT_ZSCORE = 1;
  static final int IS_NIGHT = 2;
  static final int IS_FOREIGN = 3;
  static final int VELOCITY = 4;
  static final int LOG_DISTANCE = 5;
  static final int NEW_DEVICE = 6;
  static final int NEW_CARD = 7;
  static final int HIGH_RISK_MERCHANT = 8;
  static final int ONLINE = 9;

  private Features() {}

  static double[] of(Transaction t) {
    double[] x = new double[NAMES.size()];
    x[LOG_AMOUNT] = Math.log1p(t.amount());
    // Against the card's own history: 300 is routine for one card and alarming for another.
    double z = (t.amount() - t.cardAvgAmount()) / Math.max(1.0, t.cardStdAmount());
    x[AMOUNT_ZSCORE] = Math.max(-5, Math.min(20, z));
    x[IS_NIGHT] = t.hour() >= 23 || t.hour() < 6 ? 1 : 0;
    x[IS_FOREIGN] = t.merchantCountry().equals(t.cardCountry()) ? 0 : 1;
    x[VELOCITY] = t.txnCount24h();
    x[LOG_DISTANCE] = Math.log1p(t.distanceFromHomeKm());
    x[NEW_DEVICE] = t.newDevice() ? 1 : 0;
    x[NEW_CARD] = t.cardAgeDays() < 30 ? 1 : 0;
    x[HIGH_RISK_MERCHANT] =
        switch (t.merchantCategory()) {
          case "gift_cards", "electronics", "jewelry" -> 1;
          default -> 0;
        };
    x[ONLINE] = "online".equals(t.channel()) ? 1 : 0;
    return x;
  }

  /** Name to value, rounded for people reading the log. */
  static Map<String, Object> asMap(double[] x) {
    Map<String, Object> m = new LinkedHashMap<>();
    for (int i = 0; i < x.length; i++) {
      m.put(NAMES.get(i), round(x[i], 4));
    }
    return m;
  }

  static double round(double d, int places) {
    double f = Math.pow(10, places);
    return Math.round(d * f) / f;
  }
}
