package io.hindsight.server.lake;

import static org.assertj.core.api.Assertions.assertThat;

import io.hindsight.server.schema.Table;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDate;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The lake's folders and file names: partitions, data files, recovery marks and leftovers. */
class LakeLayoutTest {
  private static final LocalDate DAY = LocalDate.parse("2026-11-30");

  @TempDir Path dir;

  private static Path touch(Path file) throws IOException {
    Files.createDirectories(file.getParent());
    return Files.write(file, new byte[] {1});
  }

  @Test
  void createsAFolderPerTableAndPlacesPartitionsInIt() throws IOException {
    Lake lake = new Lake(dir);
    for (Table t : Table.values()) {
      assertThat(lake.tableDir(t)).isDirectory().isEqualTo(dir.resolve(t.dirName()));
    }
    assertThat(lake.root()).isEqualTo(dir);
    assertThat(lake.dir(new Partition(Table.PREDICTIONS, "churn", DAY)))
        .isEqualTo(dir.resolve("predictions/endpoint=churn/date=2026-11-30"));
    assertThat(lake.dir(new Partition(Table.EVENTS, "churn", null))).isEqualTo(dir.resolve("events/endpoint=churn"));
  }

  @Test
  void namesDataFilesByTheirHighestSeqSoTheySortInLogOrder() {
    String name = Lake.dataFileName(42);
    assertThat(name).matches("part-00000000000000000042-[0-9a-f]{8}\\.parquet");
    assertThat(Lake.dataFileName(42)).as("fresh each time").isNotEqualTo(name);
    assertThat(Lake.maxSeqOf(Path.of("x", name))).isEqualTo(42);
    assertThat(Lake.maxSeqOf(Path.of(Lake.dataFileName(Long.MAX_VALUE)))).isEqualTo(Long.MAX_VALUE);
    assertThat(Lake.dataFileName(9).compareTo(Lake.dataFileName(10))).isNegative();
  }

  @Test
  void aTemporaryFileIsHiddenNextToItsFinalName() {
    Path target = Path.of("lake", "p", "part-1.parquet");
    assertThat(Lake.tempFor(target)).isEqualTo(Path.of("lake", "p", ".part-1.parquet.tmp"));
    assertThat(Lake.isDataFile(Lake.tempFor(target))).isFalse();
    assertThat(Lake.isDataFile(target)).isTrue();
    assertThat(Lake.isDataFile(Path.of("part-1.json"))).isFalse();
    assertThat(Lake.isDataFile(Path.of("data-1.parquet"))).isFalse();
  }

  @Test
  void listsPartitionFoldersOnly() throws IOException {
    Lake lake = new Lake(dir);
    Path predictions = lake.tableDir(Table.PREDICTIONS);
    Files.createDirectories(predictions.resolve("endpoint=churn/date=2026-11-30"));
    Files.createDirectories(predictions.resolve("endpoint=churn/date=2026-12-01"));
    Files.createDirectories(predictions.resolve("endpoint=churn/other"));
    touch(predictions.resolve("endpoint=churn/date=2026-12-02"));
    Files.createDirectories(predictions.resolve("endpoint=fraud"));
    Files.createDirectories(predictions.resolve("scratch/date=2026-11-30"));
    touch(predictions.resolve("endpoint=file"));
    Files.createDirectories(lake.tableDir(Table.EVENTS).resolve("endpoint=churn"));
    touch(lake.tableDir(Table.EVENTS).resolve("endpoint=stray"));

    assertThat(lake.partitions(Table.PREDICTIONS))
        .containsExactlyInAnyOrder(
            new Partition(Table.PREDICTIONS, "churn", DAY), new Partition(Table.PREDICTIONS, "churn", DAY.plusDays(1)));
    assertThat(lake.partitions(Table.EVENTS)).containsExactly(new Partition(Table.EVENTS, "churn", null));
    assertThat(lake.partitions(Table.FEEDBACK)).isEmpty();
  }

  @Test
  void listsAPartitionsDataFilesOldestFirst() throws IOException {
    Lake lake = new Lake(dir);
    Partition p = new Partition(Table.PREDICTIONS, "churn", DAY);
    assertThat(lake.dataFiles(p)).as("no folder yet").isEmpty();
    Path later = touch(lake.dir(p).resolve(Lake.dataFileName(20)));
    Path earlier = touch(lake.dir(p).resolve(Lake.dataFileName(3)));
    touch(Lake.tempFor(lake.dir(p).resolve(Lake.dataFileName(30))));
    touch(lake.dir(p).resolve("notes.txt"));
    assertThat(lake.dataFiles(p)).containsExactly(earlier, later);
  }

  @Test
  void knowsWhichTablesHaveData() throws IOException {
    Lake lake = new Lake(dir);
    Partition p = new Partition(Table.FEEDBACK, "churn", DAY);
    Files.createDirectories(lake.dir(p));
    assertThat(lake.hasData(Table.FEEDBACK)).as("an empty partition").isFalse();
    touch(lake.dir(p).resolve(Lake.dataFileName(1)));
    assertThat(lake.hasDataFast(Table.FEEDBACK)).as("not looked at yet").isFalse();
    assertThat(lake.hasData(Table.FEEDBACK)).isTrue();
    assertThat(lake.hasDataFast(Table.FEEDBACK)).isTrue();
    assertThat(lake.hasData(Table.EVENTS)).isFalse();
    lake.markHasData(Table.EVENTS);
    assertThat(lake.hasDataFast(Table.EVENTS)).isTrue();
    assertThat(lake.hasData(Table.EVENTS)).isTrue();
  }

  @Test
  void theMarkOfAPartitionIsTheHighestSeqOfItsFiles() throws IOException {
    Lake lake = new Lake(dir);
    Partition churn = new Partition(Table.PREDICTIONS, "churn", DAY);
    Partition events = new Partition(Table.EVENTS, "churn", null);
    touch(lake.dir(churn).resolve(Lake.dataFileName(7)));
    touch(lake.dir(churn).resolve(Lake.dataFileName(12)));
    touch(lake.dir(churn).resolve(Lake.dataFileName(9)));
    touch(lake.dir(events).resolve(Lake.dataFileName(3)));
    Files.createDirectories(lake.dir(new Partition(Table.FEEDBACK, "empty", DAY)));
    assertThat(lake.flushedSeqByPartition()).isEqualTo(Map.of(churn, 12L, events, 3L));
  }

  @Test
  void removesOnlyTheHiddenTemporaryFilesACrashLeft() throws IOException {
    Lake lake = new Lake(dir);
    Path p = lake.dir(new Partition(Table.PREDICTIONS, "churn", DAY));
    Path data = touch(p.resolve(Lake.dataFileName(1)));
    Path temp = touch(Lake.tempFor(p.resolve(Lake.dataFileName(2))));
    Path visibleTmp = touch(p.resolve("notes.tmp"));
    Path hidden = touch(p.resolve(".keep"));
    lake.removeLeftovers();
    assertThat(temp).doesNotExist();
    assertThat(data).exists();
    assertThat(visibleTmp).exists();
    assertThat(hidden).exists();
  }
}
