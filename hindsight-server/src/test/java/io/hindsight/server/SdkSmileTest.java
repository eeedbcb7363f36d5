package io.hindsight.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.hindsight.BodyFormat;
import io.hindsight.Hindsight;
import io.hindsight.Prediction;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The SDK sending Smile to a real server: the same predictions, feedback and events as an SDK
 * sending JSON to another endpoint, read back alike by lookups and SQL.
 */
class SdkSmileTest {
  private static final int RECORDS = 400;
  @TempDir Path dir;
  private TestServer server;

  @BeforeEach
  void start() throws Exception {
    server = new TestServer(dir.resolve("data"));
  }

  @AfterEach
  void stop() {
    server.close();
  }

  @Test
  void whatTheSdkSendsAsSmileReadsBackAsWhatItSendsAsJson() throws Exception {
    for (BodyFormat format : BodyFormat.values()) {
      Hindsight h =
          Hindsight.builder()
              .endpoint(endpoint(format))
              .modelVersion("v7")
              .serverUrl(server.url(""))
              .bodyFormat(format)
              .captureSystem()
              .maxRecordBytes(64 << 10)
              .build();
      try {
        log(h);
        assertThat(h.flush(Duration.ofSeconds(30))).as("flushed: %s", h.stats()).isTrue();
        assertThat(h.stats().predictions().sent()).isEqualTo(RECORDS);
        assertThat(h.stats().predictions().trimmed()).isEqualTo(RECORDS / 100);
        assertThat(h.stats().lost()).isZero();
      } finally {
        h.close();
      }
    }

    for (int i = 0; i < RECORDS; i++) {
      JsonNode json = lookup(BodyFormat.JSON, "p-" + i);
      JsonNode smile = lookup(BodyFormat.SMILE, "p-" + i);
      assertThat(smile).as("p-%d", i).isEqualTo(json);
    }
    assertThat(lookup(BodyFormat.SMILE, "p-3").get("data").get("note").asText()).isEqualTo("Zoë \"quoted\"\n\t😀 €");
    assertThat(lookup(BodyFormat.SMILE, "p-100").get("data").get("hindsight_removed").toString())
        .isEqualTo(lookup(BodyFormat.JSON, "p-100").get("data").get("hindsight_removed").toString());
    JsonNode full = server.get("/v1/endpoints/" + endpoint(BodyFormat.SMILE) + "/predictions/p-3").json();
    assertThat(full.get("feedback").toString()).contains("\"label\":\"fraud\"").contains("\"loss\":129.5");

    server.flush();
    String sql = "SELECT count(*), count(DISTINCT prediction_id), sum(n), sum(amount), count(note), min(model_version),"
        + " count(*) FILTER (WHERE status = 'error'), count(*) FILTER (WHERE system->>'host' IS NOT NULL)"
        + " FROM predictions WHERE endpoint = ?";
    JsonNode fromJson = server.query(sql.replace("?", "'" + endpoint(BodyFormat.JSON) + "'")).get("rows");
    JsonNode fromSmile = server.query(sql.replace("?", "'" + endpoint(BodyFormat.SMILE) + "'")).get("rows");
    assertThat(fromSmile).isEqualTo(fromJson);
    assertThat(fromSmile.get(0).get(0).asInt()).isEqualTo(RECORDS);
    assertThat(fromSmile.get(0).get(7).asInt()).isEqualTo(RECORDS);
    assertThat(server.query("SELECT kind, text FROM events WHERE endpoint = '" + endpoint(BodyFormat.SMILE) + "'").get("rows").toString())
        .isEqualTo("[[\"deploy\",\"v7 out\"]]");
    assertThat(schema(BodyFormat.SMILE)).isEqualTo(schema(BodyFormat.JSON));
  }

  private static String endpoint(BodyFormat format) {
    return "sdk-" + format.name().toLowerCase();
  }

  /** Every kind of value the SDK takes, the same for both formats. */
  private static void log(Hindsight h) {
    for (int i = 0; i < RECORDS; i++) {
      Random r = new Random(i);
      try (Prediction p = h.startPrediction("p-" + i)) {
        p.timestamp(Instant.parse("2026-12-03T10:00:00Z").plusMillis(i));
        p.tag("segment", i % 2 == 0 ? "a" : "b");
        Hindsight.log("n", i);
        Hindsight.log("amount", Math.round(r.nextGaussian() * 1e6) / 100.0);
        Hindsight.log("score", r.nextDouble());
        Hindsight.log("tiny", Double.longBitsToDouble(r.nextLong() & 0x3FFF_FFFF_FFFF_FFFFL) * 1e-200);
        Hindsight.log("big", r.nextLong());
        Hindsight.log("flag", r.nextBoolean());
        Hindsight.log("probabilities", List.of(r.nextDouble(), r.nextFloat(), 1e14, -0.5));
        Map<String, Object> features = new LinkedHashMap<>();
        features.put("count", r.nextInt(100));
        features.put("ratio", r.nextDouble());
        features.put("name", "feature é " + i);
        features.put("huge", new BigInteger("123456789012345678901234567890").add(BigInteger.valueOf(i)));
        features.put("exact", new BigDecimal("0.1000000000000000055511151231257827").movePointLeft(i % 5));
        features.put("nested", Map.of("list", List.of(1, "two", false), "empty", Map.of()));
        Hindsight.log("features", features);
        if (i % 3 == 0) {
          Hindsight.log("note", "Zoë \"quoted\"\n\t😀 €");
        }
        if (i % 50 == 0) {
          Hindsight.log("long_text", "x".repeat(300) + i);
        }
        if (i % 100 == 0) {
          Hindsight.log("raw_text", "y".repeat(100_000)); // over maxRecordBytes: left out
        }
        if (i % 7 == 0) {
          p.fail("timeout after " + i + " ms");
        }
      }
    }
    h.feedback("p-3", Map.of("label", "fraud", "loss", 129.5));
    h.event("deploy", "v7 out", Map.of("by", "ci", "replicas", 3));
  }

  /** A prediction's lookup without what differs between the two runs or endpoints. */
  private JsonNode lookup(BodyFormat format, String id) {
    ObjectNode p = (ObjectNode) server.get("/v1/endpoints/" + endpoint(format) + "/predictions/" + id).json().get("prediction");
    assertThat(p).as("%s %s", format, id).isNotNull();
    p.remove(List.of("endpoint", "latency_ms"));
    ObjectNode data = (ObjectNode) p.get("data");
    assertThat(data.get("system").get("pid").asLong()).isEqualTo(ProcessHandle.current().pid());
    ObjectNode system = (ObjectNode) data.get("system");
    system.remove(List.of("heap_used_bytes", "cpu_load", "gc_ms_since_previous"));
    return p;
  }

  private List<String> schema(BodyFormat format) {
    JsonNode s = server.get("/v1/endpoints/" + endpoint(format) + "/schema").json();
    List<String> columns = new ArrayList<>();
    for (JsonNode c : s.get("columns")) {
      columns.add(c.get("name").asText() + " " + c.get("type").asText());
    }
    return columns;
  }
}
