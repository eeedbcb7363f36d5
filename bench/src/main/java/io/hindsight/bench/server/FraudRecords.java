package io.hindsight.bench.server;

import java.nio.charset.StandardCharsets;
import java.util.Random;

/**
 * Realistic fraud-scoring prediction records of about 1 KB: system fields, four tags, and ~25
 * data keys (raw inputs, engineered features, a nested {@code features} object, ensemble member
 * scores, class probabilities, the decision and the action). Values are drawn per record from
 * plausible distributions, with the precision a real service would log (money in cents, model
 * scores as full doubles), so compression figures are not flattered by repetition.
 */
final class FraudRecords {
  private static final String[] MODEL_VERSIONS = {"fraud-gbm-2.4.1", "fraud-gbm-2.5.0"};
  private static final String[] ENVS = {"prod", "prod", "prod", "canary"};
  private static final String[] SEGMENTS = {"retail", "high_value", "new_customer", "business", "student"};
  private static final String[] CHANNELS = {"web", "mobile_app", "pos", "moto", "recurring"};
  private static final String[] REGIONS = {"eu-west", "eu-central", "us-east", "us-west", "ap-south"};
  private static final String[] MCC = {
    "5411", "5812", "5999", "4111", "5732", "5311", "7995", "4829", "5912", "5541", "5814", "6011"
  };
  private static final String[] COUNTRIES = {"DE", "FR", "GB", "US", "NL", "ES", "IT", "PL", "SE", "BR", "IN", "NG"};
  private static final String[] CURRENCIES = {"EUR", "EUR", "GBP", "USD", "EUR", "EUR", "EUR", "PLN", "SEK", "BRL", "INR", "NGN"};
  private static final String[] CARD_TYPES = {"debit", "credit", "prepaid", "corporate"};
  private static final String[] DEVICE_OS = {"ios", "android", "windows", "macos", "linux", "unknown"};
  private static final String[] REASONS = {"R01_velocity", "R07_geo_mismatch", "R12_new_device", "R18_amount_spike", "R22_mcc_risk"};

  private final Random random;

  FraudRecords(long seed) {
    this.random = new Random(seed);
  }

  /** A JSON array of {@code n} records with placeholder ids and ts, and where they are. */
  BatchTemplate batch(int n) {
    StringBuilder sb = new StringBuilder(n * 1100);
    int[] ids = new int[n];
    int[] ts = new int[n];
    sb.append('[');
    for (int i = 0; i < n; i++) {
      if (i > 0) {
        sb.append(',');
      }
      record(sb, ids, ts, i);
    }
    sb.append(']');
    byte[] body = sb.toString().getBytes(StandardCharsets.US_ASCII);
    return new BatchTemplate(body, ids, ts);
  }

  private void record(StringBuilder sb, int[] ids, int[] ts, int i) {
    Random r = random;
    int country = r.nextInt(COUNTRIES.length);
    double amount = Math.round(Math.exp(3.5 + 1.3 * r.nextGaussian()) * 100) / 100.0;
    double avg30 = Math.round(Math.exp(3.6 + 0.8 * r.nextGaussian()) * 100) / 100.0;
    int cnt1h = r.nextInt(4);
    int cnt24h = cnt1h + r.nextInt(8);
    int cnt7d = cnt24h + r.nextInt(30);
    double gbm = r.nextDouble() * r.nextDouble();
    double nn = clamp(gbm + 0.08 * r.nextGaussian());
    double logreg = clamp(gbm + 0.12 * r.nextGaussian());
    double p1 = clamp(0.6 * gbm + 0.3 * nn + 0.1 * logreg);
    String decision = p1 > 0.8 ? "declined" : p1 > 0.55 ? "review" : "approved";
    String action = p1 > 0.8 ? "block" : p1 > 0.55 ? "step_up_auth" : "allow";

    sb.append("{\"prediction_id\":\"");
    ids[i] = sb.length();
    sb.append("x".repeat(IdStyle.LENGTH)).append("\",\"ts\":");
    ts[i] = sb.length();
    sb.append("0".repeat(BatchTemplate.TS_DIGITS));
    sb.append(",\"model_version\":\"").append(MODEL_VERSIONS[r.nextInt(10) == 0 ? 1 : 0]).append('"');
    sb.append(",\"request_id\":\"req-").append(Long.toHexString(r.nextLong() | Long.MIN_VALUE)).append('"');
    sb.append(",\"tags\":{\"env\":\"").append(pick(ENVS)).append("\",\"segment\":\"").append(pick(SEGMENTS))
        .append("\",\"channel\":\"").append(pick(CHANNELS)).append("\",\"region\":\"").append(pick(REGIONS))
        .append("\"}");
    sb.append(",\"data\":{");
    // raw inputs
    sb.append("\"amount\":").append(amount);
    sb.append(",\"currency\":\"").append(CURRENCIES[country]).append('"');
    sb.append(",\"merchant_category\":\"").append(pick(MCC)).append('"');
    sb.append(",\"merchant_id\":\"m-").append(100_000 + r.nextInt(900_000)).append('"');
    sb.append(",\"country\":\"").append(COUNTRIES[country]).append('"');
    sb.append(",\"ip_country\":\"").append(r.nextInt(8) == 0 ? pick(COUNTRIES) : COUNTRIES[country]).append('"');
    sb.append(",\"card_type\":\"").append(pick(CARD_TYPES)).append('"');
    sb.append(",\"card_age_days\":").append(r.nextInt(3650));
    sb.append(",\"customer_age\":").append(18 + r.nextInt(70));
    sb.append(",\"device_os\":\"").append(pick(DEVICE_OS)).append('"');
    sb.append(",\"is_international\":").append(r.nextInt(6) == 0);
    sb.append(",\"hour_of_day\":").append(r.nextInt(24));
    // engineered features
    sb.append(",\"txn_count_1h\":").append(cnt1h);
    sb.append(",\"txn_count_24h\":").append(cnt24h);
    sb.append(",\"avg_amount_30d\":").append(avg30);
    sb.append(",\"amount_zscore\":").append(round(r.nextGaussian() * 1.5, 4));
    sb.append(",\"distance_from_home_km\":").append(round(Math.abs(r.nextGaussian()) * 300, 1));
    sb.append(",\"merchant_risk\":").append(round(r.nextDouble() * 0.3, 4));
    sb.append(",\"features\":{\"txn_count_7d\":").append(cnt7d)
        .append(",\"amount_ratio_30d\":").append(round(amount / Math.max(1, avg30), 4))
        .append(",\"device_trust\":").append(round(r.nextDouble(), 4))
        .append(",\"merchant\":{\"fraud_rate_90d\":").append(round(r.nextDouble() * 0.02, 5))
        .append(",\"first_seen_days\":").append(r.nextInt(2000)).append('}')
        .append(",\"embedding\":[");
    for (int k = 0; k < 8; k++) {
      sb.append(k == 0 ? "" : ",").append(round(r.nextGaussian(), 4));
    }
    sb.append("]}");
    // intermediate states: ensemble members
    sb.append(",\"score_gbm\":").append(gbm);
    sb.append(",\"score_nn\":").append(nn);
    sb.append(",\"score_logreg\":").append(logreg);
    // outputs
    sb.append(",\"probabilities\":[").append(1 - p1).append(',').append(p1).append(']');
    sb.append(",\"threshold\":0.8");
    sb.append(",\"decision\":\"").append(decision).append('"');
    sb.append(",\"action\":\"").append(action).append('"');
    sb.append(",\"reason_codes\":[");
    if (p1 > 0.55) {
      sb.append('"').append(pick(REASONS)).append("\",\"").append(pick(REASONS)).append('"');
    }
    sb.append("]}}");
  }

  private String pick(String[] values) {
    return values[random.nextInt(values.length)];
  }

  private static double clamp(double p) {
    return Math.max(0.0001, Math.min(0.9999, p));
  }

  private static double round(double v, int digits) {
    double f = Math.pow(10, digits);
    return Math.round(v * f) / f;
  }
}
