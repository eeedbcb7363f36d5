package io.hindsight.server.lake;

import static io.hindsight.server.lake.LakeFixture.DAY_START;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.hindsight.server.objects.LocalS3;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** What a crash between the store of record and the local folder leaves, and how a start takes it up. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class S3LakeRecoveryTest {
  private static final long MB = 1 << 20;

  @TempDir Path dir;
  private LocalS3 s3;
  private S3LakeStore store;

  @BeforeEach
  void startStore() throws Exception {
    s3 = new LocalS3("lake");
    store = S3LakeStore.connect("s3://lake/hindsight", s3.settings());
  }

  @AfterEach
  void stopStore() throws Exception {
    store.close();
    s3.close();
  }

  @Test
  void aWriterStartFetchesAFileLeftInTheStoreAloneAndRemovesOneLeftHereAlone() throws Exception {
    try (LakeFixture f = new LakeFixture(dir, store)) {
      LakeFollower.recoverWriter(f.lake);
      f.writeEachToAFile(0,
          f.prediction("fraud", DAY_START, "a", 1),
          f.prediction("fraud", DAY_START, "b", 2));
      Partition p = f.partition("fraud", DAY_START);
      List<Path> files = f.lake.dataFiles(p);
      // Uploaded, then the crash came before the rename: the rows of seq 2 are in the store only.
      Path uploadedOnly = files.get(0).resolveSibling(Lake.dataFileName(2));
      store.put(f.lake.storeName(uploadedOnly), files.get(1));
      // Deleted from the store, then the crash came before the local delete.
      store.delete(f.lake.storeName(files.get(0)));

      LakeFollower.recoverWriter(f.lake);

      assertThat(f.lake.dataFiles(p)).containsExactly(files.get(1), uploadedOnly);
      assertThat(f.lake.flushedSeqByPartition()).containsEntry(p, 2L);
      assertThat(store.list().keySet()).containsExactlyInAnyOrder(f.lake.storeName(files.get(1)), f.lake.storeName(uploadedOnly));
    }
  }

  /** A file another writer merged away between the listing and its download is passed over, not an error. */
  @Test
  void aFileDeletedFromTheStoreBetweenListingAndDownloadIsPassedOver() throws Exception {
    try (LakeFixture f = new LakeFixture(dir, store)) {
      f.writeEachToAFile(0, f.prediction("fraud", DAY_START, "a", 1));
      Partition p = f.partition("fraud", DAY_START);
      Path file = f.lake.dataFiles(p).get(0);
      Path elsewhere = dir.resolve("other-writer-lake");
      String gone = f.lake.storeName(file.resolveSibling(Lake.dataFileName(7)));
      UndeletableStore listingAGhost = new UndeletableStore(store) {
        @Override
        public Map<String, Stored> list() throws IOException {
          Map<String, Stored> out = new java.util.HashMap<>(super.list());
          out.put(gone, new Stored(100, "deleted-since"));
          return out;
        }
      };
      Lake other = new Lake(elsewhere, listingAGhost);

      LakeFollower.recoverWriter(other);

      assertThat(other.dataFiles(p)).containsExactly(elsewhere.resolve(f.lake.storeName(file)));
    }
  }

  @Test
  void aPartitionsMarkCountsTheFilesAnotherWriterPutInTheStore() throws Exception {
    try (LakeFixture f = new LakeFixture(dir, store)) {
      LakeFollower.recoverWriter(f.lake);
      f.writeEachToAFile(0, f.prediction("fraud", DAY_START, "a", 1));
      Partition p = f.partition("fraud", DAY_START);
      Path mine = f.lake.dataFiles(p).get(0);
      // Another writer on the same prefix fed this partition further (its files are not here).
      store.put(f.lake.storeName(mine.resolveSibling(Lake.dataFileName(41))), mine);
      Partition other = f.partition("churn", DAY_START);
      store.put(f.lake.storeName(f.lake.dir(other).resolve(Lake.dataFileName(7))), mine);

      assertThat(f.lake.flushedSeqByPartition()).containsEntry(p, 41L).containsEntry(other, 7L);
    }
  }

  @Test
  void theFirstStartWithAStoreUploadsTheLakeThatWasKeptLocally() throws Exception {
    try (LakeFixture local = new LakeFixture(dir)) {
      local.writeEachToAFile(0, local.prediction("fraud", DAY_START, "a", 1));
    }
    try (LakeFixture f = new LakeFixture(dir, store)) {
      LakeFollower.recoverWriter(f.lake);
      List<Path> files = f.lake.dataFiles(f.partition("fraud", DAY_START));
      assertThat(files).hasSize(1);
      assertThat(store.list().keySet()).containsExactly(f.lake.storeName(files.get(0)));
    }
  }

  @Test
  void compactionRecoveryFinishesAndUndoesMergesInTheStoreToo() throws Exception {
    try (LakeFixture f = new LakeFixture(dir, store)) {
      f.writeEachToAFile(0,
          f.prediction("churn", DAY_START, "a", 1),
          f.prediction("churn", DAY_START, "b", 2),
          f.prediction("fraud", DAY_START, "c", 3),
          f.prediction("fraud", DAY_START, "d", 4));
      List<Path> churn = f.lake.dataFiles(f.partition("churn", DAY_START));
      List<Path> fraud = f.lake.dataFiles(f.partition("fraud", DAY_START));
      // churn: the output is in place here and in the store; its inputs are still in both.
      Path churnOutput = churn.get(0).resolveSibling(Lake.dataFileName(1));
      Files.copy(churn.get(1), churnOutput);
      store.put(f.lake.storeName(churnOutput), churnOutput);
      // fraud: the output was uploaded, not yet renamed into place.
      Path fraudOutput = fraud.get(0).resolveSibling(Lake.dataFileName(3));
      Files.copy(fraud.get(1), Lake.tempFor(fraudOutput));
      store.put(f.lake.storeName(fraudOutput), fraud.get(1));
      Path journal = dir.resolve("journal");
      Files.createDirectories(journal);
      ObjectMapper json = new ObjectMapper();
      Files.write(journal.resolve("churn.json"), json.writeValueAsBytes(Map.of(
          "output", churnOutput.toString(), "inputs", churn.stream().map(Path::toString).toList())));
      Files.write(journal.resolve("fraud.json"), json.writeValueAsBytes(Map.of(
          "output", fraudOutput.toString(), "inputs", fraud.stream().map(Path::toString).toList())));

      try (CompactionJob job = new CompactionJob(f.time, f.lake, f.schemas, LakeFixture.duckdb(), journal, new CompactionPolicy(2, MB, 10 * MB))) {
        job.recover();
      }

      // In the store of record both merges are done (their outputs are there): the inputs go.
      assertThat(store.list().keySet()).containsExactlyInAnyOrder(f.lake.storeName(churnOutput), f.lake.storeName(fraudOutput));
      assertThat(f.lake.dataFiles(f.partition("churn", DAY_START))).containsExactly(churnOutput);
      assertThat(f.lake.dataFiles(f.partition("fraud", DAY_START))).containsExactly(fraudOutput);
    }
  }

  @Test
  void aMergeWhoseOutputNeverReachedTheStoreIsUndone() throws Exception {
    try (LakeFixture f = new LakeFixture(dir, store)) {
      f.writeEachToAFile(0, f.prediction("fraud", DAY_START, "c", 3), f.prediction("fraud", DAY_START, "d", 4));
      List<Path> fraud = f.lake.dataFiles(f.partition("fraud", DAY_START));
      Path output = fraud.get(0).resolveSibling(Lake.dataFileName(3));
      Files.copy(fraud.get(1), Lake.tempFor(output));
      Path journal = Files.createDirectories(dir.resolve("journal"));
      Files.write(journal.resolve("fraud.json"), new ObjectMapper().writeValueAsBytes(Map.of(
          "output", output.toString(), "inputs", fraud.stream().map(Path::toString).toList())));

      try (CompactionJob job = new CompactionJob(f.time, f.lake, f.schemas, LakeFixture.duckdb(), journal, new CompactionPolicy(2, MB, 10 * MB))) {
        job.recover();
      }

      assertThat(store.list().keySet()).containsExactlyInAnyOrderElementsOf(fraud.stream().map(f.lake::storeName).toList());
      assertThat(f.lake.dataFiles(f.partition("fraud", DAY_START))).containsExactlyElementsOf(fraud);
      assertThat(Lake.tempFor(output)).doesNotExist();
    }
  }

  /**
   * Writers sharing a store: a merge another writer began and did not end (killed, its disk lost)
   * is finished or undone, by the journal it kept in the store, by the next writer that merges
   * the partition, and only by that one.
   */
  @Test
  void aMergeAnotherWriterLeftUnfinishedIsTakenUpFromItsJournalInTheStore() throws Exception {
    try (LakeFixture f = new LakeFixture(dir, store)) {
      f.writeEachToAFile(0,
          f.prediction("churn", DAY_START, "a", 1),
          f.prediction("churn", DAY_START, "b", 2),
          f.prediction("fraud", DAY_START, "c", 3),
          f.prediction("fraud", DAY_START, "d", 4),
          f.prediction("loans", DAY_START, "e", 5),
          f.prediction("loans", DAY_START, "g", 6));
      // The other writer's merges: churn's output reached the store, fraud's did not; loans is not
      // this writer's partition.
      List<Path> churn = f.lake.dataFiles(f.partition("churn", DAY_START));
      String churnOutput = f.lake.storeName(churn.get(0).resolveSibling(Lake.dataFileName(1)));
      store.put(churnOutput, churn.get(1));
      Path notes = Files.createDirectories(dir.resolve("other-writer"));
      for (String endpoint : List.of("churn", "fraud", "loans")) {
        List<Path> inputs = f.lake.dataFiles(f.partition(endpoint, DAY_START));
        String output = endpoint.equals("churn") ? churnOutput : f.lake.storeName(inputs.get(0).resolveSibling(Lake.dataFileName(9)));
        Path note = notes.resolve(endpoint + ".json");
        Files.write(note, new ObjectMapper().writeValueAsBytes(Map.of(
            "output", "/elsewhere/" + output, "inputs", List.of(),
            "output_name", output, "input_names", inputs.stream().map(f.lake::storeName).toList())));
        store.put(CompactionJob.MERGES + "/" + endpoint + ".json", note);
      }
      Map<String, LakeStore.Stored> before = store.list();

      Path journal = dir.resolve("journal");
      try (CompactionJob job = new CompactionJob(f.time, f.lake, f.schemas, LakeFixture.duckdb(), journal, new CompactionPolicy(100, MB, 10 * MB))) {
        job.mergeOnly(p -> !p.endpoint().equals("loans"));
        assertThat(job.compactNow()).as("no merge of its own: too few files").isZero();
      }

      assertThat(store.list().keySet()).as("churn's inputs gone, fraud's and loans' kept")
          .containsExactlyInAnyOrderElementsOf(before.keySet().stream()
              .filter(n -> !n.contains("endpoint=churn") || n.equals(churnOutput)).toList());
      assertThat(f.lake.dataFiles(f.partition("churn", DAY_START))).as("the inputs' copies here are gone too").isEmpty();
      assertThat(store.notes(CompactionJob.MERGES).keySet()).containsExactly(CompactionJob.MERGES + "/loans.json");
    }
  }

  /**
   * Writers sharing a store each hold copies of files another writer may since have merged away:
   * those are not merged again (their rows would then be in the lake twice).
   */
  @Test
  void filesNoLongerInTheStoreAreNotMergedAgain() throws Exception {
    try (LakeFixture f = new LakeFixture(dir, store)) {
      f.writeEachToAFile(0,
          f.prediction("fraud", DAY_START, "a", 1),
          f.prediction("fraud", DAY_START, "b", 2),
          f.prediction("fraud", DAY_START, "c", 3));
      List<Path> files = f.lake.dataFiles(f.partition("fraud", DAY_START));
      // Another writer merged the first two into a file of its own and removed them from the store.
      store.delete(f.lake.storeName(files.get(0)));
      store.delete(f.lake.storeName(files.get(1)));
      Map<String, LakeStore.Stored> before = store.list();

      try (CompactionJob job = new CompactionJob(f.time, f.lake, f.schemas, LakeFixture.duckdb(), dir.resolve("journal"), new CompactionPolicy(2, MB, 10 * MB))) {
        assertThat(job.compactNow()).isZero();
      }
      assertThat(store.list()).isEqualTo(before);
    }
  }

  @Test
  void scheduledFlushesBackOffWhileTheStoreRefusesWritesAndCatchUpOnceItTakesThem() throws Exception {
    RefusingStore refusing = new RefusingStore();
    try (LakeFixture f = new LakeFixture(dir, refusing)) {
      f.writer.start(Duration.ofMillis(100));
      f.accept(0, f.prediction("fraud", DAY_START, "a", 1));
      for (int i = 0; i < 100; i++) {
        f.time.advance(Duration.ofMillis(100));
      }
      assertThat(refusing.attempts.get())
          .as("ten seconds of 100 ms flushes that double their wait after each failure")
          .isBetween(4, 8);
      assertThat(f.writer.problems()).singleElement().asString().contains("lake writer: cannot write 1 rows", "store refuses");
      assertThat(f.lake.dataFiles(f.partition("fraud", DAY_START))).isEmpty();
      assertThat(f.marks).isEmpty();

      refusing.refusing.set(false);
      f.time.advance(LakeWriter.MAX_BACKOFF);
      assertThat(f.lake.dataFiles(f.partition("fraud", DAY_START))).hasSize(1);
      assertThat(f.writer.problems()).isEmpty();
      assertThat(f.marks).containsExactly(0L);
    }
  }

  @Test
  void aMergeWhoseInputsTheStoreCouldNotDeleteIsFinishedByTheNextPass() throws Exception {
    try (LakeFixture f = new LakeFixture(dir, store)) {
      f.writeEachToAFile(0,
          f.prediction("fraud", DAY_START, "a", 1),
          f.prediction("fraud", DAY_START, "b", 2));
      List<String> inputs = List.copyOf(store.list().keySet());
      UndeletableStore undeletable = new UndeletableStore(store);
      Lake sameLake = new Lake(f.lake.root(), undeletable);
      Path journal = dir.resolve("journal");
      try (CompactionJob job = new CompactionJob(f.time, sameLake, f.schemas, LakeFixture.duckdb(), journal, new CompactionPolicy(2, MB, 10 * MB))) {
        assertThatThrownBy(job::compactNow).hasMessageContaining("the store refuses to delete");
        Path merged = sameLake.dataFiles(f.partition("fraud", DAY_START)).get(0);
        assertThat(sameLake.dataFiles(f.partition("fraud", DAY_START))).as("merged here").containsExactly(merged);
        assertThat(store.list().keySet()).as("both in the store until the next pass")
            .containsAll(inputs).contains(sameLake.storeName(merged));

        undeletable.refusing.set(false);
        job.compactNow();

        assertThat(store.list().keySet()).containsExactly(sameLake.storeName(merged));
        try (var left = Files.list(journal)) {
          assertThat(left).isEmpty();
        }
      }
    }
  }

  /** The S3 store, except that it refuses deletes while {@link #refusing} is set. */
  private static class UndeletableStore implements LakeStore {
    final AtomicBoolean refusing = new AtomicBoolean(true);
    private final LakeStore store;

    UndeletableStore(LakeStore store) {
      this.store = store;
    }

    @Override
    public boolean remote() {
      return true;
    }

    @Override
    public void put(String file, Path content) throws IOException {
      store.put(file, content);
    }

    @Override
    public void delete(String file) throws IOException {
      if (refusing.get()) {
        throw new IOException("the store refuses to delete " + file);
      }
      store.delete(file);
    }

    @Override
    public Map<String, Stored> list() throws IOException {
      return store.list();
    }

    @Override
    public Map<String, Stored> list(String folder) throws IOException {
      return store.list(folder);
    }

    @Override
    public Map<String, Stored> notes(String folder) throws IOException {
      return store.notes(folder);
    }

    @Override
    public void get(String file, Path target) throws IOException {
      store.get(file, target);
    }

    @Override
    public String describe() {
      return store.describe();
    }

    @Override
    public void close() {}
  }

  /** A store that refuses every write while {@link #refusing} is set, and counts the attempts. */
  private static final class RefusingStore implements LakeStore {
    final AtomicBoolean refusing = new AtomicBoolean(true);
    final AtomicInteger attempts = new AtomicInteger();

    @Override
    public boolean remote() {
      return true;
    }

    @Override
    public void put(String file, Path content) throws IOException {
      attempts.incrementAndGet();
      if (refusing.get()) {
        throw new IOException("the store refuses " + file);
      }
    }

    @Override
    public void delete(String file) {}

    @Override
    public Map<String, Stored> list() {
      return Map.of();
    }

    @Override
    public Map<String, Stored> list(String folder) {
      return Map.of();
    }

    @Override
    public Map<String, Stored> notes(String folder) {
      return Map.of();
    }

    @Override
    public void get(String file, Path target) {}

    @Override
    public String describe() {
      return "a refusing store";
    }

    @Override
    public void close() {}
  }
}
