package io.hindsight.server.ingest;

import java.security.SecureRandom;
import java.time.Clock;
import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;

/** Time-ordered UUIDv7 ids (RFC 9562): 48 bits of Unix milliseconds, then random bits. */
final class UuidV7 {
  private static final SecureRandom SEED = new SecureRandom();

  private UuidV7() {}

  static String next(Clock clock) {
    long millis = clock.millis();
    ThreadLocalRandom r = ThreadLocalRandom.current();
    long msb = (millis << 16) | 0x7000L | (r.nextLong() & 0x0FFFL);
    long lsb = (r.nextLong() & 0x3FFFFFFFFFFFFFFFL) | 0x8000000000000000L;
    return new UUID(msb, lsb).toString();
  }

  static {
    // Touch the secure source once so a later first call does not pay for seeding.
    SEED.nextInt();
  }
}
