package io.hindsight.server.ingest;

import io.hindsight.server.files.FileSync;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.zip.CRC32C;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Remembers the answer sent for each {@code Idempotency-Key}, so a retried request gets the first
 * answer and stores nothing twice, also across restarts. A key is first made durable inside the
 * log entry of its request; before the log drops an entry, {@link #persist()} appends the keys
 * added since the last call to {@code keys.log}. Keys expire after a TTL and the oldest are
 * evicted past a maximum count (both configurable, evictions counted).
 */
public final class IdempotencyStore {
  private static final Logger log = LoggerFactory.getLogger(IdempotencyStore.class);

  private record Answer(byte[] response, long createdMillis) {}

  private final Path file;
  private final Clock clock;
  private final Duration ttl;
  private final int maxKeys;
  private final LinkedHashMap<String, Answer> answers = new LinkedHashMap<>();
  private final List<String> unpersisted = new ArrayList<>();
  private final Map<String, CompletableFuture<byte[]>> inFlight = new ConcurrentHashMap<>();
  private long evicted;

  public IdempotencyStore(Path dir, Clock clock, Duration ttl, int maxKeys) throws IOException {
    Files.createDirectories(dir);
    this.file = dir.resolve("keys.log");
    this.clock = clock;
    this.ttl = ttl;
    this.maxKeys = maxKeys;
    load();
  }

  private void load() throws IOException {
    if (!Files.exists(file)) {
      return;
    }
    byte[] data = Files.readAllBytes(file);
    ByteBuffer buf = ByteBuffer.wrap(data);
    long cutoff = clock.millis() - ttl.toMillis();
    while (buf.remaining() >= 8) {
      int len = buf.getInt();
      int crc = buf.getInt();
      if (len < 0 || len > buf.remaining()) {
        break;
      }
      CRC32C c = new CRC32C();
      c.update(data, buf.position(), len);
      if ((int) c.getValue() != crc) {
        break;
      }
      long created = buf.getLong();
      byte[] key = new byte[buf.getInt()];
      buf.get(key);
      byte[] response = new byte[buf.getInt()];
      buf.get(response);
      if (created >= cutoff) {
        answers.put(new String(key, StandardCharsets.UTF_8), new Answer(response, created));
      }
    }
    evictOverflow();
  }

  /** The stored answer for a key, or null. */
  public synchronized byte[] answer(String key) {
    Answer a = answers.get(key);
    if (a == null || a.createdMillis() < clock.millis() - ttl.toMillis()) {
      return null;
    }
    return a.response();
  }

  /**
   * Claims a key for a request about to run. Returns null when the caller owns it; otherwise a
   * future of the answer of the request that owns it (already done if it finished earlier).
   */
  public CompletableFuture<byte[]> claim(String key) {
    byte[] done = answer(key);
    if (done != null) {
      return CompletableFuture.completedFuture(done);
    }
    CompletableFuture<byte[]> mine = new CompletableFuture<>();
    CompletableFuture<byte[]> other = inFlight.putIfAbsent(key, mine);
    if (other != null) {
      return other;
    }
    byte[] raced = answer(key);
    if (raced != null) {
      inFlight.remove(key, mine);
      return CompletableFuture.completedFuture(raced);
    }
    return null;
  }

  /** Records the answer of a claimed key (its log entry is durable) and releases waiters. */
  public void complete(String key, byte[] response) {
    remember(key, response, clock.millis());
    CompletableFuture<byte[]> f = inFlight.remove(key);
    if (f != null) {
      f.complete(response);
    }
  }

  /** Releases a claimed key whose request failed; a retry runs it again. */
  public void abandon(String key, Throwable cause) {
    CompletableFuture<byte[]> f = inFlight.remove(key);
    if (f != null) {
      f.completeExceptionally(cause);
    }
  }

  /** Adds a key found in a replayed log entry. */
  public void remember(String key, byte[] response, long createdMillis) {
    synchronized (this) {
      answers.remove(key);
      answers.put(key, new Answer(response, createdMillis));
      unpersisted.add(key);
      evictOverflow();
    }
  }

  private void evictOverflow() {
    long cutoff = clock.millis() - ttl.toMillis();
    Iterator<Map.Entry<String, Answer>> it = answers.entrySet().iterator();
    while (it.hasNext()) {
      Map.Entry<String, Answer> e = it.next();
      if (answers.size() > maxKeys) {
        it.remove();
        evicted++;
      } else if (e.getValue().createdMillis() < cutoff) {
        it.remove();
      } else {
        break;
      }
    }
  }

  public synchronized int size() {
    return answers.size();
  }

  public synchronized long evicted() {
    return evicted;
  }

  /**
   * Makes every key added since the last call durable in {@code keys.log}; called before the log
   * deletes entries. The file is rewritten with only live keys when it has grown well past them.
   */
  public void persist() throws IOException {
    List<Map.Entry<String, Answer>> batch = new ArrayList<>();
    boolean rewrite;
    synchronized (this) {
      if (unpersisted.isEmpty()) {
        return;
      }
      for (String k : unpersisted) {
        Answer a = answers.get(k);
        if (a != null) {
          batch.add(Map.entry(k, a));
        }
      }
      unpersisted.clear();
      rewrite = Files.exists(file) && Files.size(file) > 64L * 1024 * 1024;
      if (rewrite) {
        batch = new ArrayList<>(answers.entrySet());
      }
    }
    byte[] bytes = encode(batch);
    if (rewrite) {
      FileSync.writeAtomically(file, bytes);
      log.info("rewrote idempotency keys: {} live", batch.size());
      return;
    }
    try (FileChannel ch =
        FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE, StandardOpenOption.APPEND)) {
      ByteBuffer b = ByteBuffer.wrap(bytes);
      while (b.hasRemaining()) {
        ch.write(b);
      }
      ch.force(true);
    }
  }

  private static byte[] encode(List<Map.Entry<String, Answer>> entries) {
    int size = 0;
    List<byte[]> keys = new ArrayList<>(entries.size());
    for (Map.Entry<String, Answer> e : entries) {
      byte[] k = e.getKey().getBytes(StandardCharsets.UTF_8);
      keys.add(k);
      size += 8 + 8 + 4 + k.length + 4 + e.getValue().response().length;
    }
    ByteBuffer out = ByteBuffer.allocate(size);
    for (int i = 0; i < entries.size(); i++) {
      Answer a = entries.get(i).getValue();
      byte[] k = keys.get(i);
      int len = 8 + 4 + k.length + 4 + a.response().length;
      int start = out.position();
      out.putInt(len).putInt(0).putLong(a.createdMillis()).putInt(k.length).put(k).putInt(a.response().length).put(a.response());
      CRC32C c = new CRC32C();
      c.update(out.array(), start + 8, len);
      out.putInt(start + 4, (int) c.getValue());
    }
    return out.array();
  }
}
