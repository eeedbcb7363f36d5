package io.hindsight.compat;

import io.hindsight.server.HindsightServer;
import io.hindsight.server.ServerConfig;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * A real server writing a lake, and the sample these tests put in it: two endpoints, three dates,
 * every value type, a key that appears only in later records, a bigint key that later gets a
 * double, feedback and an event; two flushes, so the later keys and the widened type land in
 * files of their own.
 */
final class LakeSample {
  /** Rewrites of widened columns run this often, so tests can wait for them without sleeping long. */
  static final Duration QUICK_COMPACTION = Duration.ofMillis(100);

  static final Duration NO_COMPACTION = Duration.ofHours(1);

  private LakeSample() {}

  static HindsightServer start(Path dataDir, Duration compactionInterval) throws IOException {
    return start(dataDir, compactionInterval, c -> {});
  }

  /** As {@link #start(Path, Duration)}, with more settings (such as a lake on object storage). */
  static HindsightServer start(Path dataDir, Duration compactionInterval, java.util.function.Consumer<ServerConfig> settings)
      throws IOException {
    ServerConfig config = new ServerConfig();
    config.dataDir = dataDir;
    config.port = 0;
    // Only flushLake() writes files, so each batch of the sample lands in files of its own.
    config.lake.flushInterval = Duration.ofHours(1);
    config.lake.compactionInterval = compactionInterval;
    settings.accept(config);
    return HindsightServer.start(config);
  }

  /** Writes the sample with a server that compacts rarely, then stops it. */
  static void writeWithStoppedServer(Path dataDir) throws Exception {
    writeWithStoppedServer(dataDir, c -> {});
  }

  /** As {@link #writeWithStoppedServer(Path)}, with more settings. */
  static void writeWithStoppedServer(Path dataDir, java.util.function.Consumer<ServerConfig> settings) throws Exception {
    try (HindsightServer server = start(dataDir, NO_COMPACTION, settings)) {
      record(new IngestClient(server.port()), server);
    }
  }

  static void record(IngestClient api, HindsightServer server) throws Exception {
    List<String> first = new ArrayList<>();
    String[] days = {"2026-11-20T08:00:00Z", "2026-11-20T09:30:00Z", "2026-11-21T10:00:00Z",
        "2026-11-21T23:59:59Z", "2026-11-22T00:00:00Z", "2026-11-22T10:15:00Z"};
    for (int i = 1; i <= 6; i++) {
      first.add(prediction("fraud-" + i, days[i - 1], "v1", i % 2 == 1 ? "a" : "b",
          "{\"amount\": " + (i + 0.5) + ", \"count\": " + i + ", \"ok\": " + (i % 2 == 1)
              + ", \"label\": \"l" + i + "\", \"features\": {\"n\": " + i + ", \"country\": \"FR\"}"
              + ", \"probs\": [0.25, 0.75], \"score\": " + (i * 10) + "}"));
    }
    api.post("/v1/endpoints/fraud/predictions", "[" + String.join(",", first) + "]", 6);
    api.post("/v1/endpoints/churn/predictions", "["
        + prediction("churn-1", "2026-11-21T12:00:00Z", "c1", "a", "{\"churn_prob\": 0.3, \"label\": \"stay\"}")
        + "," + prediction("churn-2", "2026-11-22T12:00:00Z", "c1", "b", "{\"churn_prob\": 0.7, \"label\": \"leave\"}")
        + "]", 2);
    server.flushLake();

    List<String> later = new ArrayList<>();
    String[] laterDays = {"2026-11-20T15:00:00Z", "2026-11-21T15:00:00Z", "2026-11-22T15:00:00Z"};
    for (int i = 7; i <= 9; i++) {
      // score gets a double (the column widens), amount gets an integer (stored as double), reviewer is new.
      later.add(prediction("fraud-" + i, laterDays[i - 7], "v2", "a",
          "{\"amount\": " + i + ", \"count\": " + i + ", \"ok\": true, \"label\": \"l" + i + "\""
              + ", \"features\": {\"n\": " + i + ", \"country\": \"DE\"}, \"probs\": [0.5, 0.5]"
              + ", \"score\": " + (i + 0.5) + ", \"reviewer\": \"ana\"}"));
    }
    api.post("/v1/endpoints/fraud/predictions", "[" + String.join(",", later) + "]", 3);
    api.post("/v1/endpoints/fraud/feedback", "["
        + "{\"prediction_id\": \"fraud-1\", \"ts\": \"2026-11-22T12:00:00Z\", \"data\": {\"is_fraud\": true, \"loss\": 120.5}},"
        + "{\"prediction_id\": \"fraud-7\", \"ts\": \"2026-11-22T12:00:00Z\", \"data\": {\"is_fraud\": false, \"loss\": 0.0}}"
        + "]", 2);
    api.post("/v1/endpoints/fraud/events",
        "[{\"ts\": \"2026-11-21T09:00:00Z\", \"kind\": \"deploy\", \"text\": \"v2 rollout\","
            + " \"data\": {\"model_version\": \"v2\", \"canary\": 0.1}}]", 1);
    server.flushLake();
  }

  static String prediction(String id, String ts, String modelVersion, String segment, String data) {
    return "{\"prediction_id\": \"" + id + "\", \"ts\": \"" + ts + "\", \"model_version\": \"" + modelVersion
        + "\", \"tags\": {\"segment\": \"" + segment + "\"}, \"data\": " + data + "}";
  }
}
