package io.hindsight.server.schema;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.hindsight.Hindsight;
import io.hindsight.Prediction;
import io.hindsight.server.TestServer;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Media references (DESIGN §14 "Media") against a real server: the schema marks their column
 * {@code media}, the lake keeps their JSON text like any object, and the type rules of §6 hold.
 */
class MediaColumnTest {
  private static final String PHOTO = "{\"uri\": \"s3://scans/42.png\", \"content_type\": \"image/png\"}";

  @TempDir Path dir;
  TestServer s;

  @BeforeEach
  void start() throws Exception {
    s = new TestServer(dir);
  }

  @AfterEach
  void stop() {
    s.close();
  }

  @Test
  void theSchemaMarksAReferenceColumnMediaAndTheLakeKeepsItsJsonText() {
    JsonNode answer = s.predictions("scans", "{\"prediction_id\": \"p1\", \"data\": {\"photo\": " + PHOTO + ", \"score\": 0.9}}").json();
    assertThat(answer.get("accepted").asInt()).isEqualTo(1);
    s.flush();

    assertThat(type("scans", "photo")).isEqualTo("media");
    assertThat(s.scalar("SELECT photo->>'content_type' FROM predictions WHERE prediction_id = 'p1'").asText()).isEqualTo("image/png");
    assertThat(s.scalar("SELECT typeof(photo) FROM predictions WHERE prediction_id = 'p1'").asText()).isEqualTo("VARCHAR");
    JsonNode record = s.get("/v1/endpoints/scans/predictions/p1").json().get("prediction");
    assertThat(record.get("data").get("photo").get("uri").asText()).isEqualTo("s3://scans/42.png");
  }

  @Test
  void aNumberUnderAMediaKeyIsAConflictLikeAnyOtherTypeChange() {
    s.predictions("scans", "{\"data\": {\"photo\": " + PHOTO + "}}");
    JsonNode answer = s.predictions("scans", "{\"prediction_id\": \"p2\", \"data\": {\"photo\": 7}}").json();

    assertThat(answer.get("accepted").asInt()).isEqualTo(1);
    assertThat(answer.get("warnings").get(0).get("warning").asText()).contains("'photo' is media").contains("bigint");
    s.flush();
    assertThat(s.scalar("SELECT _conflicts->>'photo' FROM predictions WHERE prediction_id = 'p2'").asText()).isEqualTo("7");
    assertThat(type("scans", "photo")).isEqualTo("media");
  }

  @Test
  void anOrdinaryObjectUnderAMediaKeyIsAConflictButAReferenceFitsAJsonColumn() {
    s.predictions("scans", "{\"data\": {\"photo\": " + PHOTO + ", \"meta\": {\"a\": 1}}}");
    JsonNode answer = s.predictions("scans", "{\"data\": {\"photo\": {\"a\": 1}, \"meta\": " + PHOTO + "}}").json();

    assertThat(answer.get("warnings")).hasSize(1);
    assertThat(answer.get("warnings").get(0).get("warning").asText()).contains("'photo' is media").contains("json");
    assertThat(type("scans", "meta")).isEqualTo("json");
  }

  @Test
  void aReferenceWithAContentTypeOutsideTheMediaFamiliesIsRejectedWithTheFix() {
    JsonNode answer =
        s.predictions("scans", "[{\"data\": {\"doc\": {\"uri\": \"/d/a.pdf\", \"content_type\": \"application/pdf\"}}},"
            + " {\"data\": {\"doc\": {\"uri\": \"\", \"content_type\": \"text/plain\"}}},"
            + " {\"data\": {\"score\": 1}}]").json();

    assertThat(answer.get("accepted").asInt()).isEqualTo(1);
    assertThat(answer.get("rejected").get(0).get("error").asText())
        .contains("key 'doc'")
        .contains("\"application/pdf\"")
        .contains("image/*, audio/*, video/* or text/*")
        .contains("give it a further key");
    assertThat(answer.get("rejected").get(1).get("error").asText()).contains("'uri' must be a non-empty string");
    assertThat(s.get("/v1/endpoints/scans/schema").json().get("columns").toString()).doesNotContain("\"doc\"");
  }

  @Test
  void anObjectWithFurtherKeysIsOrdinaryJson() {
    s.predictions("scans", "{\"data\": {\"doc\": {\"uri\": \"/d/a.png\", \"content_type\": \"image/png\", \"bytes\": 12}}}");

    assertThat(type("scans", "doc")).isEqualTo("json");
  }

  @Test
  void theSdkHelperLogsAReferenceTheSchemaTypesMedia() {
    try (Hindsight h = Hindsight.builder().endpoint("calls").serverUrl(s.url("")).spoolDirectory(dir.resolve("spool")).build()) {
      try (Prediction p = h.startPrediction("c1")) {
        Hindsight.logMedia("recording", "/data/calls/c1.wav", "audio/wav");
      }
      assertThat(h.flush(Duration.ofSeconds(30))).isTrue();
    }
    s.flush();

    assertThat(type("calls", "recording")).isEqualTo("media");
    assertThat(s.scalar("SELECT recording->>'uri' FROM predictions WHERE prediction_id = 'c1'").asText()).isEqualTo("/data/calls/c1.wav");
  }

  @Test
  void aMediaColumnIsNoDefaultFeatureOfDrift() {
    StringBuilder batch = new StringBuilder("[");
    for (int i = 0; i < 20; i++) {
      String ts = (i < 10 ? "2026-11-20T10:00:" : "2026-11-21T10:00:") + String.format("%02d", i) + "Z";
      batch.append(i == 0 ? "" : ",").append("{\"ts\": \"").append(ts).append("\", \"data\": {\"score\": ").append(i)
          .append(", \"photo\": {\"uri\": \"/d/").append(i).append(".png\", \"content_type\": \"image/png\"}}}");
    }
    assertThat(s.predictions("scans", batch.append("]").toString()).json().get("accepted").asInt()).isEqualTo(20);
    s.flush();

    JsonNode drift = s.get("/v1/endpoints/scans/drift?from=2026-11-21T00:00:00Z&to=2026-11-22T00:00:00Z"
        + "&reference_from=2026-11-20T00:00:00Z&reference_to=2026-11-21T00:00:00Z").json();
    assertThat(drift.get("columns").findValuesAsText("column")).containsExactly("score");
  }

  private String type(String endpoint, String column) {
    for (JsonNode c : s.get("/v1/endpoints/" + endpoint + "/schema").json().get("columns")) {
      if (c.get("name").asText().equals(column)) {
        return c.get("type").asText();
      }
    }
    throw new AssertionError("no column " + column);
  }
}
