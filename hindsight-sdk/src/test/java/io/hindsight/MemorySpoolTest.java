package io.hindsight;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** The in-memory spool's order and accounting, which {@link Stats} reports as "spooled". */
class MemorySpoolTest {
  private static Batch batch(Kind kind, String key, int records, int bodyBytes) {
    return new Batch(kind, key, records, BodyFormat.JSON, new byte[bodyBytes]);
  }

  @Test
  void countsRecordsAndBytesPerKindAsBatchesComeAndGo() {
    MemorySpool spool = new MemorySpool(1 << 20);
    Batch a = batch(Kind.PREDICTIONS, "a", 10, 100);
    Batch b = batch(Kind.FEEDBACK, "b", 3, 50);
    spool.add(a);
    spool.add(b);
    assertThat(spool.records()).isEqualTo(13);
    assertThat(spool.records(Kind.PREDICTIONS)).isEqualTo(10);
    assertThat(spool.records(Kind.FEEDBACK)).isEqualTo(3);
    assertThat(spool.bytes()).isEqualTo(a.size() + b.size());
    spool.removeHead();
    assertThat(spool.peek(0)).isSameAs(b);
    assertThat(spool.records()).isEqualTo(3);
    assertThat(spool.records(Kind.PREDICTIONS)).isZero();
    assertThat(spool.bytes()).isEqualTo(b.size());
  }

  @Test
  void aSplitHeadIsReplacedByItsHalvesInOrderWithTheSameRecords() {
    MemorySpool spool = new MemorySpool(1 << 20);
    spool.add(batch(Kind.PREDICTIONS, "whole", 4, 100));
    Batch next = batch(Kind.PREDICTIONS, "next", 1, 10);
    spool.add(next);
    Batch first = batch(Kind.PREDICTIONS, "whole-1", 2, 60);
    Batch second = batch(Kind.PREDICTIONS, "whole-2", 2, 60);
    spool.replaceHead(java.util.List.of(first, second));
    assertThat(spool.size()).isEqualTo(3);
    assertThat(spool.peek(0)).isSameAs(first);
    assertThat(spool.peek(1)).isSameAs(second);
    assertThat(spool.peek(2)).isSameAs(next);
    assertThat(spool.records()).isEqualTo(5);
    assertThat(spool.records(Kind.PREDICTIONS)).isEqualTo(5);
    assertThat(spool.bytes()).isEqualTo(first.size() + second.size() + next.size());
  }

  @Test
  void dropsTheOldestBatchBehindTheOnesInFlight() {
    MemorySpool spool = new MemorySpool(1 << 20);
    Batch inFlight = batch(Kind.PREDICTIONS, "in-flight", 1, 10);
    Batch oldest = batch(Kind.EVENTS, "oldest", 7, 10);
    spool.add(inFlight);
    spool.add(oldest);
    Spool.Removed removed = spool.removeOldestAfter(1);
    assertThat(removed).isEqualTo(new Spool.Removed(Kind.EVENTS, 7));
    assertThat(spool.size()).isEqualTo(1);
    assertThat(spool.records(Kind.EVENTS)).isZero();
    assertThat(spool.removeOldestAfter(1)).isNull();
  }

  @Test
  void fitsUpToItsLimitExactly() {
    Batch b = batch(Kind.PREDICTIONS, "k", 1, 68);
    MemorySpool spool = new MemorySpool(2 * b.size());
    assertThat(spool.fits(b)).isTrue();
    spool.add(b);
    assertThat(spool.fits(b)).as("exactly at the limit").isTrue();
    spool.add(b);
    assertThat(spool.fits(batch(Kind.PREDICTIONS, "k", 1, 1))).isFalse();
  }
}
