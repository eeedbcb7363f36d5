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
  public Batch peek() {
    return batches.peekFirst();
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
  public long removeOldestAfterHead() {
    if (batches.size() < 2) {
      return -1;
    }
    Batch head = batches.pollFirst();
    Batch victim = batches.pollFirst();
    batches.addFirst(head);
    bytes -= victim.size();
    records -= victim.records;
    return victim.records;
  }

  @Override
  public boolean isEmpty() {
    return batches.isEmpty();
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
