package io.hindsight.server.ingest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.hindsight.server.ops.ManualScheduler;
import io.hindsight.server.schema.Row;
import io.hindsight.server.schema.Table;
import io.hindsight.server.wal.WalEntry;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The answers remembered per Idempotency-Key: scope, body, expiry, eviction and the keys file. */
class IdempotencyStoreTest {
  private static final Duration TTL = Duration.ofHours(1);

  @TempDir Path dir;
  private final ManualScheduler time = new ManualScheduler();

  private IdempotencyStore open(int maxKeys) throws IOException {
    return new IdempotencyStore(dir, time.clock(), TTL, maxKeys);
  }

  private static byte[] answer(String text) {
    return text.getBytes(StandardCharsets.UTF_8);
  }

  private static final String SCOPE = IdempotencyStore.scope("predictions", "churn", "key-1", "k");

  @Test
  void aScopeNamesTableEndpointKeyAndCaller() {
    assertThat(IdempotencyStore.scope("predictions", "churn", null, "k")).isEqualTo("predictions/churn/k");
    assertThat(SCOPE).isEqualTo("predictions/churn/k\ncaller=key-1");
    assertThat(IdempotencyStore.logged(SCOPE, "f")).isEqualTo(SCOPE + "\nbody=f");
  }

  @Test
  void theFirstRequestOwnsAKeyOthersWaitForItsAnswer() throws Exception {
    IdempotencyStore store = open(10);
    assertThat(store.claim(SCOPE)).isNull();
    CompletableFuture<IdempotencyStore.Answer> waiting = store.claim(SCOPE);
    assertThat(waiting).isNotDone();
    store.complete(SCOPE, "fp", answer("first"));
    assertThat(waiting.get().response()).isEqualTo(answer("first"));
    assertThat(store.claim(SCOPE).get().response()).isEqualTo(answer("first"));
    assertThat(store.answer(SCOPE).bodyFingerprint()).isEqualTo("fp");
  }

  @Test
  void anAbandonedKeyFailsItsWaitersAndCanBeClaimedAgain() throws IOException {
    IdempotencyStore store = open(10);
    assertThat(store.claim(SCOPE)).isNull();
    CompletableFuture<IdempotencyStore.Answer> waiting = store.claim(SCOPE);
    store.abandon(SCOPE, new IOException("log broken"));
    assertThatThrownBy(waiting::get).isInstanceOf(ExecutionException.class).hasRootCauseMessage("log broken");
    assertThat(store.claim(SCOPE)).isNull();
  }

  @Test
  void aRetryIsTheSameBodyAndAKeyFromBeforeFingerprintsMatchAnyBody() {
    IdempotencyStore.Answer fingerprinted = new IdempotencyStore.Answer(answer("a"), "fp", 0);
    assertThat(fingerprinted.sameBody("fp")).isTrue();
    assertThat(fingerprinted.sameBody("other")).isFalse();
    assertThat(new IdempotencyStore.Answer(answer("a"), null, 0).sameBody("anything")).isTrue();
  }

  @Test
  void anAnswerExpiresAfterItsTtl() throws IOException {
    IdempotencyStore store = open(10);
    store.complete(SCOPE, "fp", answer("first"));
    time.advance(TTL);
    assertThat(store.answer(SCOPE)).as("at the TTL").isNotNull();
    time.advance(Duration.ofMillis(1));
    assertThat(store.answer(SCOPE)).isNull();
    assertThat(store.claim(SCOPE)).isNull();
  }

  @Test
  void theOldestKeysAreEvictedPastTheMaximumAndCounted() throws IOException {
    IdempotencyStore store = open(2);
    for (String k : List.of("a", "b", "c")) {
      store.complete(k, "fp", answer(k));
    }
    assertThat(store.size()).isEqualTo(2);
    assertThat(store.evicted()).isEqualTo(1);
    assertThat(store.answer("a")).isNull();
    assertThat(store.answer("c")).isNotNull();
    store.complete("b", "fp", answer("b again"));
    store.complete("d", "fp", answer("d"));
    assertThat(store.answer("c")).as("b was renewed, so c was the oldest").isNull();
    assertThat(store.answer("b").response()).isEqualTo(answer("b again"));
  }

  @Test
  void expiredKeysAreDroppedWhenNewOnesArrive() throws IOException {
    IdempotencyStore store = open(10);
    store.complete("old", "fp", answer("old"));
    time.advance(TTL.plusMillis(1));
    store.complete("new", "fp", answer("new"));
    assertThat(store.size()).isEqualTo(1);
    assertThat(store.evicted()).as("expiry is not eviction").isZero();
  }

  @Test
  void persistedKeysWithTheirBodiesAreThereAfterARestart() throws IOException {
    IdempotencyStore store = open(10);
    store.complete(SCOPE, "fp", answer("first"));
    store.remember("legacy/key", answer("old"), time.now().toEpochMilli());
    store.persist();
    store.persist();
    store.complete("later", "fp2", answer("later"));
    store.persist();

    IdempotencyStore reopened = open(10);
    assertThat(reopened.size()).isEqualTo(3);
    IdempotencyStore.Answer a = reopened.answer(SCOPE);
    assertThat(a.response()).isEqualTo(answer("first"));
    assertThat(a.bodyFingerprint()).isEqualTo("fp");
    assertThat(a.createdMillis()).isEqualTo(time.now().toEpochMilli());
    assertThat(reopened.answer("legacy/key").bodyFingerprint()).isNull();
    assertThat(reopened.answer("later").bodyFingerprint()).isEqualTo("fp2");
  }

  @Test
  void onlyKeysThatWereNotYetPersistedAreAppended() throws IOException {
    IdempotencyStore store = open(10);
    store.complete("a", "fp", answer("a"));
    store.persist();
    long size = Files.size(dir.resolve("keys.log"));
    store.persist();
    assertThat(Files.size(dir.resolve("keys.log"))).isEqualTo(size);
    store.complete("b", "fp", answer("b"));
    store.persist();
    assertThat(Files.size(dir.resolve("keys.log"))).isEqualTo(2 * size);
  }

  @Test
  void aRestartDropsExpiredKeysAndKeepsTheNewestWithinTheMaximum() throws IOException {
    IdempotencyStore store = open(10);
    store.complete("expired", "fp", answer("x"));
    time.advance(TTL.plusMillis(1));
    for (String k : List.of("a", "b", "c")) {
      store.complete(k, "fp", answer(k));
    }
    store.persist();
    IdempotencyStore reopened = open(2);
    assertThat(reopened.size()).isEqualTo(2);
    assertThat(reopened.answer("a")).isNull();
    assertThat(reopened.answer("expired")).isNull();
    assertThat(reopened.answer("c")).isNotNull();
  }

  @Test
  void aTornOrCorruptTailOfTheKeysFileIsIgnored() throws IOException {
    IdempotencyStore store = open(10);
    store.complete("a", "fp", answer("a"));
    store.persist();
    store.complete("b", "fp", answer("b"));
    store.persist();
    Path file = dir.resolve("keys.log");
    byte[] whole = Files.readAllBytes(file);
    int one = whole.length / 2;

    Files.write(file, java.util.Arrays.copyOf(whole, whole.length - 1));
    IdempotencyStore torn = open(10);
    assertThat(torn.answer("a")).isNotNull();
    assertThat(torn.answer("b")).isNull();

    byte[] corrupt = whole.clone();
    corrupt[one + 12] ^= 1;
    Files.write(file, corrupt);
    assertThat(open(10).size()).isEqualTo(1);

    byte[] badLength = whole.clone();
    badLength[one] = (byte) 0x80;
    Files.write(file, badLength);
    assertThat(open(10).size()).isEqualTo(1);
  }

  @Test
  void aReplayedLogEntryBringsBackItsKeyWithItsBody() throws IOException {
    IdempotencyStore store = open(10);
    Row row = new Row(Table.PREDICTIONS, "churn", 0, Map.of());
    long now = time.now().toEpochMilli();
    store.rememberLogged(new WalEntry(IdempotencyStore.logged(SCOPE, "fp"), answer("first"), List.of(row)), now);
    store.rememberLogged(new WalEntry(null, null, List.of(row)), now);
    assertThat(store.size()).isEqualTo(1);
    assertThat(store.answer(SCOPE).response()).isEqualTo(answer("first"));
    assertThat(store.answer(SCOPE).sameBody("fp")).isTrue();
    assertThat(store.answer(SCOPE).sameBody("other")).isFalse();
  }

  @Test
  void aKeyExactlyTtlOldIsStillKeptWhenOthersArriveAndAfterARestart() throws IOException {
    IdempotencyStore store = open(10);
    store.complete("a", "fp", answer("a"));
    store.persist();
    time.advance(TTL);
    store.complete("b", "fp", answer("b"));
    assertThat(store.size()).isEqualTo(2);
    assertThat(open(10).answer("a")).isNotNull();
  }
}
