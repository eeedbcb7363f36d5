package io.hindsight;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The SDK's half of the naming contract in {@code contract/names.json}; the server runs the same
 * cases against its HTTP API, so the two can never disagree on what a valid name is.
 */
class NamingContractTest {
  private static final Map<?, ?> CONTRACT = load();

  @SuppressWarnings("unchecked")
  private static List<String> cases(String section, String kind) {
    return (List<String>) ((Map<?, ?>) CONTRACT.get(section)).get(kind);
  }

  @Test
  void endpointNames() {
    assertThat(cases("endpoints", "valid")).allMatch(HindsightBuilder::validEndpoint);
    assertThat(cases("endpoints", "invalid")).noneMatch(HindsightBuilder::validEndpoint);
  }

  @Test
  void predictionKeys() {
    assertThat(cases("keys", "valid")).allMatch(k -> Keys.problem(k) == null);
    assertThat(cases("keys", "invalid")).allMatch(k -> Keys.problem(k) != null);
    assertThat(cases("predictions", "reserved")).allMatch(k -> Keys.problem(k) != null);
  }

  @Test
  void feedbackKeys() {
    for (String key : cases("keys", "valid")) {
      assertThat(Keys.ofFeedback(key).name).isEqualTo(key);
    }
    for (String key : cases("feedback", "allowed")) {
      assertThat(Keys.ofFeedback(key).name).isEqualTo(key);
    }
    for (String key : cases("keys", "invalid")) {
      assertThatThrownBy(() -> Keys.ofFeedback(key)).isInstanceOf(IllegalArgumentException.class);
    }
    for (String key : cases("feedback", "reserved")) {
      assertThatThrownBy(() -> Keys.ofFeedback(key)).isInstanceOf(IllegalArgumentException.class);
    }
  }

  @Test
  void mediaReferences() {
    Map<?, ?> media = (Map<?, ?>) CONTRACT.get("media");
    try (LocalContext ctx = Hindsight.localContext()) {
      int i = 0;
      for (Object o : (List<?>) media.get("valid")) {
        Map<?, ?> ref = (Map<?, ?>) o;
        Hindsight.logMedia("m" + i++, (String) ref.get("uri"), (String) ref.get("content_type"));
      }
      for (Object o : (List<?>) media.get("invalid")) {
        Map<?, ?> ref = (Map<?, ?>) o;
        assertThatThrownBy(() -> Hindsight.logMedia("bad", (String) ref.get("uri"), (String) ref.get("content_type")))
            .as("%s", ref)
            .isInstanceOf(IllegalArgumentException.class);
      }
    }
  }

  /** The contract file, found from the module folder Maven runs the tests in. */
  static Map<?, ?> load() {
    Path dir = Path.of("").toAbsolutePath();
    while (dir != null && !Files.isRegularFile(dir.resolve("contract/names.json"))) {
      dir = dir.getParent();
    }
    if (dir == null) {
      throw new IllegalStateException("contract/names.json not found above " + Path.of("").toAbsolutePath());
    }
    try {
      return (Map<?, ?>) JsonIn.parse(Files.readString(dir.resolve("contract/names.json"), StandardCharsets.UTF_8));
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }
}
