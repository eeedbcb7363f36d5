package io.hindsight;

import java.util.ArrayDeque;
import java.util.List;
import java.util.concurrent.atomic.AtomicLongArray;

/** The spool when no spool directory is configured: bounded, in memory, lost on exit. */
final class MemorySpool implements Spool {
  private final ArrayDeque<Batch> batches = new ArrayDeque<>();
  private final long maxBytes;
  private volatile long bytes;
  private volatile long records;
  private final AtomicLongArray recordsByKind = new AtomicLongArray(Kind.values().length);

  MemorySpool(long maxBytes) {
    this.maxBytes = maxBytes;
  }

  @Override
  public void add(Batch batch) {
    batches.addLast(batch);
    bytes += batch.size();
    records += batch.records;
    recordsByKind.addAndGet(batch.kind.ordinal(), batch.records);
  }

  @Override
  public Batch peek(int index) {
    return Spool.nth(batches, index);
  }

  @Override
  public void removeHead() {
    Batch b = batches.pollFirst();
    if (b != null) {
      forget(b);
    }
  }

  private void forget(Batch b) {
    bytes -= b.size();
    records -= b.records;
    recordsByKind.addAndGet(b.kind.ordinal(), -b.records);
  }

  @Override
  public void replaceHead(List<Batch> replacements) {
    removeHead();
    for (int i = replacements.size() - 1; i >= 0; i--) {
      batches.addFirst(replacements.get(i));
    }
    for (Batch b : replacements) {
      bytes += b.size();
      records += b.records;
      recordsByKind.addAndGet(b.kind.ordinal(), b.records);
    }
  }

  @Override
  public Removed removeOldestAfter(int skip) {
    Batch victim = peek(skip);
    if (victim == null) {
      return null;
    }
    batches.removeFirstOccurrence(victim);
    forget(victim);
    return new Removed(victim.kind, victim.records);
  }

  @Override
  public boolean isEmpty() {
    return batches.isEmpty();
  }

  @Override
  public int size() {
    return batches.size();
  }

  @Override
  public boolean fits(Batch batch) {
    return bytes + batch.size() <= maxBytes;
  }

  @Override
  public long records() {
    return records;
  }

  @Override
  public long records(Kind kind) {
    return recordsByKind.get(kind.ordinal());
  }

  @Override
  public long bytes() {
    return bytes;
  }

  @Override
  public boolean durable() {
    return false;
  }

  @Override
  public void close() {}
}
