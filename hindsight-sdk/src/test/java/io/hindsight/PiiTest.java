package io.hindsight;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

class PiiTest {
  private static final String SECRET = "0123456789abcdef-test-secret";

  private HindsightBuilder policies(HindsightBuilder b) {
    return b.endpoint("fraud-model")
        .piiSecret(SECRET)
        .pii("email", PiiPolicy.pseudonymize())
        .pii("card_number", PiiPolicy.mask(4))
        .pii("ssn", PiiPolicy.drop());
  }

  @Test
  void pseudonymsAreStableKeyedAndNotTheInput() {
    String a = PiiPolicy.pseudonym("alice@example.com", SECRET.getBytes(StandardCharsets.UTF_8));
    String b = PiiPolicy.pseudonym("alice@example.com", SECRET.getBytes(StandardCharsets.UTF_8));
    String other = PiiPolicy.pseudonym("alice@example.com", "another-secret-of-16b".getBytes(StandardCharsets.UTF_8));
    assertThat(a).isEqualTo(b).startsWith("hmac:").hasSize(5 + 32).doesNotContain("alice");
    assertThat(other).isNotEqualTo(a);
  }

  @Test
  void masksAllButTheLastCharacters() {
    assertThat(PiiPolicy.mask("4111111111111111", 4)).isEqualTo("************1111");
    assertThat(PiiPolicy.mask("123", 4)).isEqualTo("***");
  }

  @Test
  void appliesPoliciesWhenLoggedCaseInsensitively() {
    LocalContext ctx = policies(Hindsight.builder()).buildLocal();
    Hindsight.log("Email", "alice@example.com");
    Hindsight.log("card_number", 4111111111111111L);
    Hindsight.log("ssn", "078-05-1120");
    Hindsight.log("amount", 12.5);
    assertThat(ctx.logs().get("Email")).asString().startsWith("hmac:");
    assertThat(ctx.logs()).containsEntry("card_number", "************1111").doesNotContainKey("ssn");
    assertThatThrownBy(() -> Hindsight.log("SSN", "again")).hasMessageContaining("already logged");
    ctx.close();
    assertThat(ctx.sentJson().get(0)).doesNotContain("alice").doesNotContain("078-05").doesNotContain("ssn");
  }

  @Test
  void piiNeverReachesTheWire() throws Exception {
    try (Fakes.Receiver server = new Fakes.Receiver();
        Hindsight h = policies(Hindsight.builder()).serverUrl(server.url()).closeOnShutdown(false)
            .linger(Duration.ofMillis(10)).build()) {
      try (Prediction p = h.startPrediction("t1")) {
        Hindsight.log("email", "alice@example.com");
        Hindsight.log("card_number", "4111-1111-1111-1111");
        Hindsight.log("ssn", "078-05-1120");
        Hindsight.log("nested", Map.of("fine", 1));
      }
      h.feedback("t1", Map.of("email", "alice@example.com", "label", "fraud"));
      assertThat(h.flush(Duration.ofSeconds(5))).isTrue();
      assertThat(server.store.requests).hasSize(2);
      for (Fakes.Request r : server.store.requests) {
        String wire = r.text();
        assertThat(wire).doesNotContain("alice").doesNotContain("4111-1111-1111").doesNotContain("078-05-1120");
        // and not even inside the compressed bytes
        assertThat(new String(r.rawBody, StandardCharsets.ISO_8859_1)).doesNotContain("alice");
      }
      Map<?, ?> data = (Map<?, ?>) server.store.predictions.get(0).get("data");
      Map<?, ?> fb = (Map<?, ?>) server.store.feedback.get(0).get("data");
      assertThat(data.get("email")).isEqualTo(fb.get("email")); // joinable pseudonym
      assertThat(data.get("card_number")).isEqualTo("***************1111");
    }
  }

  @Test
  void pseudonymizeWithoutASecretFailsTheBuild() {
    assertThatThrownBy(() -> Hindsight.builder().endpoint("e").pii("email", PiiPolicy.pseudonymize()).build())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("piiSecret");
  }
}
