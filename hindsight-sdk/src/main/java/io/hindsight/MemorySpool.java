package io.hindsight;

import java.util.ArrayDeque;

/** The spool when no spool directory is configured: bounded, in memory, lost on exit. */
final class MemorySpool implements Spool {
  private final ArrayDeque<Batch> batches = new ArrayDeque<>();
  private final long maxBytes;
  private volatile long bytes;
  private volatile long records;

  MemorySpool(long maxBytes) {
    this.maxBytes = maxBytes;
  }

  @Override
  public void add(Batch batch) {
    batches.addLast(batch);
    bytes += batch.size();
    records += batch.records;
  }

  @Override
  public Batch peek(int index) {
    return Spool.nth(batches, index);
  }

  @Override
  public void removeHead() {
    Batch b = batches.pollFirst();
    if (b != null) {
      bytes -= b.size();
      records -= b.records;
    }
  }

  @Override
  public long removeOldestAfter(int skip) {
    Batch victim = peek(skip);
    if (victim == null) {
      return -1;
    }
    batches.removeFirstOccurrence(victim);
    bytes -= victim.size();
    records -= victim.records;
    return victim.records;
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
