package io.hindsight;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class BuilderTest {
  @Test
  void requiresAnEndpoint() {
    assertThatThrownBy(() -> Hindsight.builder().build())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("endpoint is required")
        .hasMessageContaining(".endpoint(\"fraud-model\")");
  }

  @Test
  void refusesAnInvalidEndpointNameWithASuggestion() {
    assertThatThrownBy(() -> Hindsight.builder().endpoint("Fraud Model").build())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("[a-z0-9][a-z0-9_-]{0,63}")
        .hasMessageContaining("\"fraud-model\"");
    assertThatThrownBy(() -> Hindsight.builder().endpoint("-x").build()).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> Hindsight.builder().endpoint("a".repeat(65)).build()).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void acceptsValidEndpointNames() {
    assertThat(HindsightBuilder.validEndpoint("fraud-model")).isTrue();
    assertThat(HindsightBuilder.validEndpoint("0_model-v2")).isTrue();
    assertThat(HindsightBuilder.validEndpoint("a".repeat(64))).isTrue();
  }

  @Test
  void refusesANullBodyFormatNamingBoth() {
    assertThatThrownBy(() -> Hindsight.builder().endpoint("e").bodyFormat(null).build())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("BodyFormat.JSON or BodyFormat.SMILE");
  }

  @Test
  void refusesABadServerUrl() {
    assertThatThrownBy(() -> Hindsight.builder().endpoint("e").serverUrl("localhost:7070").build())
        .hasMessageContaining("http(s) URL")
        .hasMessageContaining("http://localhost:7070");
  }

  @Test
  void refusesAnApiKeyWithATrailingNewline() {
    assertThatThrownBy(() -> Hindsight.builder().endpoint("e").apiKey("abc\n").build())
        .hasMessageContaining("trailing newline");
  }

  @Test
  void refusesInconsistentSizes() {
    assertThatThrownBy(() -> Hindsight.builder().endpoint("e").batchSize(1000).queueCapacity(10).build())
        .hasMessageContaining("queueCapacity (10) must be at least batchSize (1000)");
    assertThatThrownBy(() -> Hindsight.builder().endpoint("e").batchSize(0).build())
        .hasMessageContaining("batchSize");
    assertThatThrownBy(() -> Hindsight.builder().endpoint("e").sampleRate(1.5).build())
        .hasMessageContaining("sampleRate must be between 0.0 and 1.0");
    assertThatThrownBy(() -> Hindsight.builder().endpoint("e").linger(Duration.ofMillis(-1)).build())
        .hasMessageContaining("linger");
    assertThatThrownBy(() -> Hindsight.builder().endpoint("e").spoolMaxBytes(10).build())
        .hasMessageContaining("spoolMaxBytes");
    assertThatThrownBy(() -> Hindsight.builder().endpoint("e").retryBackoff(Duration.ofSeconds(2), Duration.ofSeconds(1)).build())
        .hasMessageContaining("max must be at least initial");
    assertThatThrownBy(() -> Hindsight.builder().endpoint("e").maxRequestsInFlight(0).build())
        .hasMessageContaining("maxRequestsInFlight must be between 1 and 16, got 0");
    assertThatThrownBy(() -> Hindsight.builder().endpoint("e").maxRequestsInFlight(17).build())
        .hasMessageContaining("maxRequestsInFlight must be between 1 and 16, got 17");
  }

  @Test
  void refusesAPiiPolicyOnAnInvalidKey() {
    assertThatThrownBy(() -> Hindsight.builder().pii("e-mail", PiiPolicy.drop()))
        .hasMessageContaining("pii(e-mail)");
  }

  @Test
  void buildsWithDefaults() {
    try (Hindsight h = Hindsight.builder().endpoint("fraud-model").closeOnShutdown(false).build()) {
      assertThat(h.endpoint()).isEqualTo("fraud-model");
      assertThat(h.stats().recorded()).isZero();
    }
  }
}
