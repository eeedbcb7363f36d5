package io.hindsight.server.ingest;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.hindsight.server.TestServer;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** DESIGN §12: a prediction's {@code reasons} are checked record by record; a bad one rejects only its record. */
class PrincipalReasonsTest {
  @TempDir Path dir;

  @Test
  void wellFormedReasonsAreStoredAndShownWithTheDecisionBadOnesRejectOnlyTheirRecord() throws Exception {
    try (TestServer s = new TestServer(dir)) {
      JsonNode answer =
          s.predictions("credit", "["
              + "{\"prediction_id\": \"ok\", \"data\": {\"decision\": \"declined\", \"reasons\": [{\"code\": \"R07\", \"text\": \"debt ratio\", \"contribution\": 0.31}, {\"code\": \"R02\"}]}},"
              + "{\"data\": {\"reasons\": [{\"code\": \"a\"}, {\"code\": \"b\"}, {\"code\": \"c\"}, {\"code\": \"d\"}, {\"code\": \"e\"}]}},"
              + "{\"data\": {\"reasons\": [{\"text\": \"no code\"}]}},"
              + "{\"data\": {\"Reasons\": [{\"code\": \"R1\", \"contribution\": \"high\"}]}},"
              + "{\"data\": {\"reasons\": [{\"code\": \"R1\", \"weight\": 1}]}},"
              + "{\"data\": {\"reasons\": \"R1\"}}]").json();
      assertThat(answer.get("accepted").asInt()).as(answer.toString()).isEqualTo(1);
      assertThat(answer.get("rejected")).hasSize(5);
      assertThat(answer.get("rejected").get(0).get("error").asText()).contains("5 reasons", "at most 4");
      assertThat(answer.get("rejected").get(1).get("error").asText()).contains("reason 0 needs a 'code'");
      assertThat(answer.get("rejected").get(2).get("error").asText()).contains("'contribution' must be a number");
      assertThat(answer.get("rejected").get(3).get("error").asText()).contains("unknown field 'weight'");
      assertThat(answer.get("rejected").get(4).get("error").asText()).contains("'reasons' must be a list");
      s.flush();
      JsonNode record = s.get("/v1/endpoints/credit/predictions/ok").json().get("prediction");
      assertThat(record.get("data").get("decision").asText()).isEqualTo("declined");
      assertThat(record.get("data").get("reasons").get(0).get("code").asText()).isEqualTo("R07");
    }
  }
}
