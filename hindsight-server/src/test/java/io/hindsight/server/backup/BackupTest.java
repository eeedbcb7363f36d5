package io.hindsight.server.backup;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.hindsight.server.TestServer;
import io.hindsight.server.audit.AuditVerifier;
import io.hindsight.server.objects.LocalS3;
import io.hindsight.server.objects.ObjectStore;
import io.hindsight.server.objects.S3Location;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A backup taken while two clients keep sending, then restored into a new data folder: the
 * restored server has every record acknowledged before the backup started, none twice, and its
 * audit log verifies.
 */
class BackupTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  @TempDir Path dir;

  @Test
  void aBackupUnderLoadRestoresEveryRecordAcknowledgedBeforeItStarted() throws Exception {
    Path data = dir.resolve("data");
    Path backup = dir.resolve("backup");
    Path restored = dir.resolve("restored");
    Set<String> acked = ConcurrentHashMap.newKeySet();
    Set<String> ackedBefore;
    try (TestServer s =
        new TestServer(
            data,
            c -> {
              c.audit.endpoints.put("fraud", Map.of("enabled", true));
              c.lake.compactionMinFiles = 2; // merges run while the backup is taken
              c.lake.compactionInterval = Duration.ofMillis(200);
            })) {
      AtomicBoolean running = new AtomicBoolean(true);
      List<Thread> clients = new ArrayList<>();
      for (int t = 0; t < 2; t++) {
        int client = t;
        Thread th =
            new Thread(
                () -> {
                  for (int batch = 0; running.get(); batch++) {
                    StringBuilder body = new StringBuilder("[");
                    List<String> ids = new ArrayList<>();
                    for (int i = 0; i < 50; i++) {
                      String id = "c" + client + "-" + batch + "-" + i;
                      ids.add(id);
                      body.append(i == 0 ? "" : ",").append("{\"prediction_id\": \"").append(id).append("\", \"data\": {\"x\": ")
                          .append(i).append(", \"f\": {\"b\": 1.0, \"a\": [").append(batch).append("]}}}");
                    }
                    if (s.predictions("fraud", body.append("]").toString()).status() == 200) {
                      acked.addAll(ids);
                    }
                  }
                });
        th.start();
        clients.add(th);
      }
      while (acked.size() < 2_000) {
        Thread.sleep(20);
      }
      ackedBefore = new HashSet<>(acked);
      TestServer.Response started = s.postJson("/v1/backups", "{\"to\": \"" + backup + "\"}");
      assertThat(started.status()).as(started.body()).isEqualTo(202);
      JsonNode job = s.awaitJob(started.json().get("id").asText());
      running.set(false);
      for (Thread th : clients) {
        th.join();
      }
      assertThat(job.path("state").asText()).as(job.toString()).isEqualTo("done");
      assertThat(job.path("counts").path("files").asLong()).isPositive();
      assertThat(acked.size()).isGreaterThan(ackedBefore.size()); // ingest went on around the backup
    }
    assertThat(backup.resolve(Backups.MANIFEST)).exists();
    assertThat(backup.resolve("tmp")).doesNotExist();

    Backups.restore(backup, restored, JSON);
    try (TestServer r = new TestServer(restored)) {
      r.flush();
      Set<String> ids = new HashSet<>();
      r.query("SELECT prediction_id FROM predictions").path("rows").forEach(row -> ids.add(row.get(0).asText()));
      assertThat(ids).containsAll(ackedBefore);
      assertThat(r.scalar("SELECT count(*) - count(DISTINCT prediction_id) FROM predictions").asLong()).isZero();
    }
    AuditVerifier.Report verify = new AuditVerifier(restored, JSON).verify("fraud");
    assertThat(verify.ok()).as(String.join("\n", verify.lines())).isTrue();
  }

  @Test
  void aBackupGoesToAnS3PrefixAndComesBackFromIt() throws Exception {
    Path restored = dir.resolve("restored");
    try (LocalS3 s3 = new LocalS3("backups");
        ObjectStore store = ObjectStore.open(s3.settings())) {
      try (TestServer s =
          new TestServer(
              dir.resolve("data"),
              c -> {
                c.lake.flushInterval = Duration.ofHours(1); // the records wait in the log, which the copy must hold
                c.backup.s3.endpoint = s3.endpoint().toString();
                c.backup.s3.pathStyle = true;
                c.backup.s3.accessKey = LocalS3.ACCESS_KEY;
                c.backup.s3.secretKey = LocalS3.SECRET_KEY;
              })) {
        assertThat(s.predictions("churn", "[{\"prediction_id\": \"a\", \"data\": {\"x\": 1}}, {\"prediction_id\": \"b\", \"data\": {\"x\": 2}}]").status())
            .isEqualTo(200);
        TestServer.Response started = s.postJson("/v1/backups", "{\"to\": \"s3://backups/nightly/1\"}");
        assertThat(started.status()).as(started.body()).isEqualTo(202);
        assertThat(s.awaitJob(started.json().get("id").asText()).path("state").asText()).isEqualTo("done");
        TestServer.Response again = s.postJson("/v1/backups", "{\"to\": \"s3://backups/nightly/1\"}");
        assertThat(again.status()).isEqualTo(409);
      }
      JsonNode manifest = Backups.restore(S3Location.parse("s3://backups/nightly/1"), store, restored, JSON);
      assertThat(manifest.path("files").asLong()).isPositive();
    }
    try (TestServer r = new TestServer(restored)) {
      r.flush();
      assertThat(r.scalar("SELECT count(*) FROM predictions").asLong()).isEqualTo(2);
    }
  }

  @Test
  void aBackupNeedsAnAbsoluteEmptyFolderOutsideTheDataFolderAndARestoreAnEmptyOne() throws Exception {
    Path data = dir.resolve("data");
    Path full = Files.createDirectories(dir.resolve("full"));
    Files.writeString(full.resolve("something"), "x");
    try (TestServer s = new TestServer(data)) {
      assertThat(s.postJson("/v1/backups", "{\"to\": \"relative/folder\"}").status()).isEqualTo(400);
      assertThat(s.postJson("/v1/backups", "{\"to\": \"" + data.resolve("inside") + "\"}").status()).isEqualTo(400);
      TestServer.Response notEmpty = s.postJson("/v1/backups", "{\"to\": \"" + full + "\"}");
      assertThat(notEmpty.status()).isEqualTo(409);
      assertThat(notEmpty.body()).contains("not empty");
    }
    assertThatThrownBy(() -> Backups.restore(full, dir.resolve("new"), JSON)).hasMessageContaining("BACKUP.json is missing");
    assertThatThrownBy(() -> Backups.restore(full, full, JSON)).hasMessageContaining("is not empty");
  }
}
