package io.hindsight.server.wal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.hindsight.server.schema.Row;
import io.hindsight.server.schema.Table;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** What the log keeps, hands back on open, and lets go of: the base of "nothing acknowledged is lost". */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class WriteAheadLogTest {
  @TempDir Path dir;

  private static WalEntry entry(String... ids) {
    List<Row> rows = new ArrayList<>();
    for (String id : ids) {
      rows.add(new Row(Table.PREDICTIONS, "e", 1_790_000_000_000_000L, Map.of("prediction_id", id)));
    }
    return new WalEntry(null, null, rows);
  }

  /** One replayed row: its sequence number and id. */
  private record Replayed(long seq, String id) {}

  private static WriteAheadLog open(Path dir, long segmentBytes, long minNextSeq, List<Replayed> replayed)
      throws Exception {
    return WriteAheadLog.open(
        dir,
        segmentBytes,
        16,
        minNextSeq,
        (first, e) -> {
          long seq = first;
          for (Row r : e.rows()) {
            replayed.add(new Replayed(seq++, (String) r.values().get("prediction_id")));
          }
        },
        (s, r, e) -> {});
  }

  private static long segments(Path dir) throws Exception {
    try (Stream<Path> files = Files.list(dir)) {
      return files.filter(p -> p.getFileName().toString().endsWith(".log")).count();
    }
  }

  /** The first sequence number of each segment, from its name {@code wal-<first seq>-<n>.log}. */
  private static List<Long> firstSeqs(Path dir) throws Exception {
    try (Stream<Path> files = Files.list(dir)) {
      return files
          .map(p -> p.getFileName().toString())
          .filter(n -> n.endsWith(".log"))
          .map(n -> Long.parseLong(n.substring(n.indexOf('-') + 1, n.indexOf('-') + 21)))
          .toList();
    }
  }

  @Test
  void replaysEveryRowInOrderWithItsSequenceNumberAndContinuesAfterIt() throws Exception {
    try (WriteAheadLog wal = open(dir, 1 << 20, 0, new ArrayList<>())) {
      assertThat(wal.append(entry("a")).get()).isZero();
      assertThat(wal.append(entry("b", "c")).get()).isEqualTo(1);
      assertThat(wal.append(entry("d")).get()).isEqualTo(3);
    }
    List<Replayed> replayed = new ArrayList<>();
    try (WriteAheadLog wal = open(dir, 1 << 20, 0, replayed)) {
      assertThat(replayed)
          .containsExactly(new Replayed(0, "a"), new Replayed(1, "b"), new Replayed(2, "c"), new Replayed(3, "d"));
      assertThat(wal.append(entry("e")).get()).as("numbering goes on after the log").isEqualTo(4);
    }
  }

  @Test
  void startsNumberingAboveWhatTheLakeAlreadyHolds() throws Exception {
    try (WriteAheadLog wal = open(dir, 1 << 20, 100, new ArrayList<>())) {
      assertThat(wal.append(entry("a")).get()).isEqualTo(100);
    }
  }

  @Test
  void truncationDropsOnlySegmentsWhoseRowsAreAllInTheLake() throws Exception {
    try (WriteAheadLog wal = open(dir, 1, 0, new ArrayList<>())) {
      for (String id : List.of("a", "b", "c", "d")) {
        wal.append(entry(id)).get(); // a segment of 1 byte rolls after every write: one entry each
      }
      assertThat(firstSeqs(dir)).contains(0L, 1L, 2L, 3L);
      long bytes = wal.sizeBytes();
      wal.deleteUpTo(1);
      assertThat(firstSeqs(dir)).doesNotContain(0L, 1L).contains(2L, 3L);
      assertThat(wal.sizeBytes()).isLessThan(bytes).isPositive();
      wal.deleteUpTo(Long.MAX_VALUE - 1);
      assertThat(segments(dir)).as("the segment being written is never deleted").isPositive();
    }
    List<Replayed> replayed = new ArrayList<>();
    try (WriteAheadLog wal = open(dir, 1 << 20, 0, replayed)) {
      assertThat(replayed).isEmpty();
      assertThat(wal.append(entry("e")).get()).as("numbers are never reused").isEqualTo(4);
    }
  }

  @Test
  void truncationKeepsEverySegmentWithARowAboveTheMark() throws Exception {
    try (WriteAheadLog wal = open(dir, 1, 0, new ArrayList<>())) {
      for (int i = 0; i < 4; i++) {
        wal.append(entry("r" + i)).get();
      }
      wal.deleteUpTo(2);
    }
    List<Replayed> replayed = new ArrayList<>();
    try (WriteAheadLog wal = open(dir, 1 << 20, 0, replayed)) {
      assertThat(replayed).extracting(Replayed::seq).containsExactly(3L);
    }
  }

  @Test
  void refusesWhatWouldTakeTheDisksReserveSaysWhyMeanwhileAndTakesRecordsOnceThereIsRoom() throws Exception {
    try (WriteAheadLog wal = open(dir, 1 << 20, 0, new ArrayList<>())) {
      assertThat(wal.freeBytes()).isCloseTo(Files.getFileStore(dir).getUsableSpace(), org.assertj.core.data.Offset.offset(64L << 20));
      wal.keepFree(wal.freeBytes() + (1L << 40));
      assertThatThrownBy(() -> wal.append(entry("a")).get())
          .hasCauseInstanceOf(java.io.IOException.class)
          .hasMessageContaining("MB free and")
          .hasMessageContaining("MB of it are kept for writing the lake (wal.min-free-bytes)");
      assertThat(wal.problems()).singleElement().asString().startsWith("the write-ahead log refuses records since ").contains("wal.min-free-bytes");
      long refusedSize = wal.sizeBytes();

      wal.keepFree(1 << 20);
      assertThat(wal.append(entry("b")).get()).as("the refused entry took no number").isZero();
      assertThat(wal.problems()).isEmpty();
      assertThat(wal.sizeBytes()).isGreaterThan(refusedSize);
    }
    List<Replayed> replayed = new ArrayList<>();
    try (WriteAheadLog wal = open(dir, 1 << 20, 0, replayed)) {
      assertThat(replayed).containsExactly(new Replayed(0, "b"));
    }
  }

  /** The log's one segment with entries, after writing {@code values} as entries. */
  private Path segmentOf(String... values) throws Exception {
    try (WriteAheadLog wal = open(dir, 1 << 20, 0, new ArrayList<>())) {
      for (String v : values) {
        wal.append(entry(v)).get();
      }
    }
    try (Stream<Path> files = Files.list(dir)) {
      return files.filter(p -> p.toString().endsWith(".log")).filter(p -> p.toFile().length() > 0).findFirst().orElseThrow();
    }
  }

  @Test
  void anEntryDamagedOnDiskIsSkippedAndTheIntactOnesAfterItAreStillRead() throws Exception {
    Path segment = segmentOf("first-entry", "second-entry", "third-entry");
    byte[] bytes = Files.readAllBytes(segment);
    int at = new String(bytes, java.nio.charset.StandardCharsets.ISO_8859_1).indexOf("second-entry");
    assertThat(at).isPositive();
    bytes[at] ^= 0x20; // one flipped bit, as a failing disk makes
    Files.write(segment, bytes);

    List<Replayed> replayed = new ArrayList<>();
    try (WriteAheadLog wal = open(dir, 1 << 20, 0, replayed)) {
      assertThat(replayed).containsExactly(new Replayed(0, "first-entry"), new Replayed(2, "third-entry"));
      assertThat(wal.damagedEntries()).isEqualTo(1);
      assertThat(Files.size(segment)).as("an intact entry follows the damage: nothing is cut").isEqualTo(bytes.length);
      assertThat(wal.append(entry("fourth-entry")).get()).isEqualTo(3);
    }
  }

  /** A damaged length in a frame's header: the scan finds the next intact entry behind it. */
  @ParameterizedTest
  @ValueSource(ints = {Integer.MAX_VALUE, 24, -5, 0x0100_0000})
  void anEntryWhoseLengthIsDamagedIsSkippedAndTheIntactOnesAfterItAreStillRead(int damagedLength) throws Exception {
    Path segment = segmentOf("first-entry", "second-entry", "third-entry", "fourth-entry");
    byte[] bytes = Files.readAllBytes(segment);
    java.nio.ByteBuffer frames = java.nio.ByteBuffer.wrap(bytes);
    int second = 8 + frames.getInt(0);
    frames.putInt(second, damagedLength);
    Files.write(segment, bytes);

    List<Replayed> replayed = new ArrayList<>();
    try (WriteAheadLog wal = open(dir, 1 << 20, 0, replayed)) {
      assertThat(replayed)
          .containsExactly(new Replayed(0, "first-entry"), new Replayed(2, "third-entry"), new Replayed(3, "fourth-entry"));
      assertThat(wal.damagedEntries()).isEqualTo(1);
      assertThat(Files.size(segment)).as("intact entries follow the damage: nothing is cut").isEqualTo(bytes.length);
      assertThat(wal.append(entry("fifth-entry")).get()).isEqualTo(4);
    }
    List<Long> read = new ArrayList<>();
    WriteAheadLog.read(dir, (firstSeq, entry) -> read.add(firstSeq));
    assertThat(read).as("what tools read past the damage too").containsExactly(0L, 2L, 3L, 4L);
  }
}
