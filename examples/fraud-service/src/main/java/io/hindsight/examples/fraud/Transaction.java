package io.hindsight.examples.fraud;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A card transaction as the payment switch sends it for scoring. The card's spending history
 * ({@code cardAvgAmount}, {@code cardStdAmount}) comes along, as a feature store would supply it.
 *
 * @param transactionId the id feedback will refer to (also the prediction id)
 * @param cardId the card
 * @param amount amount in the card's currency
 * @param merchantCategory grocery, restaurant, fuel, online_retail, electronics, travel,
 *     gift_cards, jewelry or atm
 * @param merchantCountry ISO country of the merchant
 * @param cardCountry ISO country that issued the card
 * @param channel pos, online or atm
 * @param hour local hour of the day, 0 to 23
 * @param cardAgeDays days since the card was issued
 * @param txnCount24h the card's transactions in the last 24 hours before this one
 * @param distanceFromHomeKm distance between the merchant and the cardholder's home
 * @param newDevice whether the device or terminal was never seen with this card
 * @param cardAvgAmount the card's mean amount over its history
 * @param cardStdAmount the standard deviation of the card's amounts
 */
public record Transaction(
    String transactionId,
    String cardId,
    double amount,
    String merchantCategory,
    String merchantCountry,
    String cardCountry,
    String channel,
    int hour,
    int cardAgeDays,
    int txnCount24h,
    double distanceFromHomeKm,
    boolean newDevice,
    double cardAvgAmount,
    double cardStdAmount) {

  /** The transaction as the JSON map {@code POST /score} takes (and the service logs as input). */
  public Map<String, Object> toMap() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("transaction_id", transactionId);
    m.put("card_id", cardId);
    m.put("amount", amount);
    m.put("merchant_category", merchantCategory);
    m.put("merchant_country", merchantCountry);
    m.put("card_country", cardCountry);
    m.put("channel", channel);
    m.put("hour", hour);
    m.put("card_age_days", cardAgeDays);
    m.put("txn_count_24h", txnCount24h);
    m.put("distance_from_home_km", distanceFromHomeKm);
    m.put("new_device", newDevice);
    m.put("card_avg_amount", cardAvgAmount);
    m.put("card_std_amount", cardStdAmount);
    return m;
  }

  /** The request body for {@code POST /score}. */
  public String toJson() {
    return Json.write(toMap());
  }

  /**
   * Reads a transaction from its JSON map; throws {@link IllegalArgumentException} naming the first
   * missing or mistyped field.
   */
  public static Transaction fromMap(Map<String, Object> m) {
    return new Transaction(
        text(m, "transaction_id"),
        text(m, "card_id"),
        number(m, "amount"),
        text(m, "merchant_category"),
        text(m, "merchant_country"),
        text(m, "card_country"),
        text(m, "channel"),
        (int) number(m, "hour"),
        (int) number(m, "card_age_days"),
        (int) number(m, "txn_count_24h"),
        number(m, "distance_from_home_km"),
        bool(m, "new_device"),
        number(m, "card_avg_amount"),
        number(m, "card_std_amount"));
  }

  private static String text(Map<String, Object> m, String key) {
    Object v = m.get(key);
    if (!(v instanceof String) || ((String) v).isEmpty()) {
      throw new IllegalArgumentException("field '" + key + "' must be a non-empty string");
    }
    return (String) v;
  }

  private static double number(Map<String, Object> m, String key) {
    Object v = m.get(key);
    if (!(v instanceof Number)) {
      throw new IllegalArgumentException("field '" + key + "' must be a number");
    }
    double d = ((Number) v).doubleValue();
    if (!Double.isFinite(d) || d < 0) {
      throw new IllegalArgumentException("field '" + key + "' must be a finite number >= 0");
    }
    return d;
  }

  private static boolean bool(Map<String, Object> m, String key) {
    Object v = m.get(key);
    if (!(v instanceof Boolean)) {
      throw new IllegalArgumentException("field '" + key + "' must be true or false");
    }
    return (Boolean) v;
  }
}
