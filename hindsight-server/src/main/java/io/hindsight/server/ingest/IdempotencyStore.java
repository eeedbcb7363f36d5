package io.hindsight.server.ingest;

import io.hindsight.server.files.FileSync;
import io.hindsight.server.wal.WalEntry;
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
 * answer and stores nothing twice, also across restarts. A key belongs to one {@link #scope scope}
 * (table, endpoint and caller), so one API key's keys never answer another's requests, and it
 * remembers a fingerprint of the body it came with, so a reuse with another body is told apart
 * from a retry (as Stripe does, DESIGN §4). A key is first made durable inside the
 * log entry of its request; before the log drops an entry, {@link #persist()} appends the keys
 * added since the last call to {@code keys.log}. Keys expire after a TTL and the oldest are
 * evicted past a maximum count (both configurable, evictions counted).
 */
public final class IdempotencyStore {
  private static final Logger log = LoggerFactory.getLogger(IdempotencyStore.class);

  /** Separates the parts of a stored key; HTTP header values can hold no line break. */
  private static final String CALLER = "\ncaller=";
  private static final String BODY = "\nbody=";

  /**
   * The first answer sent for a key, and the fingerprint of the body it answered (null for keys
   * stored before fingerprints were kept: they match any body).
   */
  public record Answer(byte[] response, String bodyFingerprint, long createdMillis) {
    /** Whether a request with this body fingerprint is a retry of the one answered. */
    public boolean sameBody(String fingerprint) {
      return bodyFingerprint == null || bodyFingerprint.equals(fingerprint);
    }
  }

  /**
   * The scope of an Idempotency-Key: the table and endpoint it was sent to and the caller (an API
   * key id, or null without keys).
   */
  public static String scope(String table, String endpoint, String caller, String key) {
    String base = table + "/" + endpoint + "/" + key;
    return caller == null ? base : base + CALLER + caller;
  }

  /** The key as the write-ahead log stores it: its scope and the fingerprint of its body. */
  public static String logged(String scope, String bodyFingerprint) {
    return scope + BODY + bodyFingerprint;
  }

  private final Path file;
  private final Clock clock;
  private final Duration ttl;
  private final int maxKeys;
  private final LinkedHashMap<String, Answer> answers = new LinkedHashMap<>();
  private final List<String> unpersisted = new ArrayList<>();
  private final Map<String, CompletableFuture<Answer>> inFlight = new ConcurrentHashMap<>();
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
        put(new String(key, StandardCharsets.UTF_8), response, created);
      }
    }
    evictOverflow();
  }

  /** The stored answer for a scoped key, or null. */
  public synchronized Answer answer(String scope) {
    Answer a = answers.get(scope);
    if (a == null || a.createdMillis() < clock.millis() - ttl.toMillis()) {
      return null;
    }
    return a;
  }

  /**
   * Claims a scoped key for a request about to run. Returns null when the caller owns it;
   * otherwise a future of the answer of the request that owns it (already done if it finished
   * earlier).
   */
  public CompletableFuture<Answer> claim(String scope) {
    Answer done = answer(scope);
    if (done != null) {
      return CompletableFuture.completedFuture(done);
    }
    CompletableFuture<Answer> mine = new CompletableFuture<>();
    CompletableFuture<Answer> other = inFlight.putIfAbsent(scope, mine);
    if (other != null) {
      return other;
    }
    Answer raced = answer(scope);
    if (raced != null) {
      inFlight.remove(scope, mine);
      return CompletableFuture.completedFuture(raced);
    }
    return null;
  }

  /** Records the answer of a claimed key (its log entry is durable) and releases waiters. */
  public void complete(String scope, String bodyFingerprint, byte[] response) {
    Answer a = remember(logged(scope, bodyFingerprint), response, clock.millis());
    CompletableFuture<Answer> f = inFlight.remove(scope);
    if (f != null) {
      f.complete(a);
    }
  }

  /** Releases a claimed key whose request failed; a retry runs it again. */
  public void abandon(String key, Throwable cause) {
    CompletableFuture<Answer> f = inFlight.remove(key);
    if (f != null) {
      f.completeExceptionally(cause);
    }
  }

  /** Adds a key as the log stored it ({@link #logged}), e.g. found in a replayed log entry. */
  /** On start-up: the key and answer a replayed log entry carries, if it carries one. */
  public void rememberLogged(WalEntry entry, long nowMillis) {
    if (entry.idempotencyKey() != null) {
      remember(entry.idempotencyKey(), entry.response(), nowMillis);
    }
  }

  public Answer remember(String loggedKey, byte[] response, long createdMillis) {
    synchronized (this) {
      int body = loggedKey.lastIndexOf(BODY);
      unpersisted.add(body < 0 ? loggedKey : loggedKey.substring(0, body));
      Answer a = put(loggedKey, response, createdMillis);
      evictOverflow();
      return a;
    }
  }

  private Answer put(String loggedKey, byte[] response, long createdMillis) {
    int body = loggedKey.lastIndexOf(BODY);
    String scope = body < 0 ? loggedKey : loggedKey.substring(0, body);
    Answer a = new Answer(response, body < 0 ? null : loggedKey.substring(body + BODY.length()), createdMillis);
    answers.remove(scope);
    answers.put(scope, a);
    return a;
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
      String fingerprint = e.getValue().bodyFingerprint();
      byte[] k = (fingerprint == null ? e.getKey() : logged(e.getKey(), fingerprint)).getBytes(StandardCharsets.UTF_8);
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
