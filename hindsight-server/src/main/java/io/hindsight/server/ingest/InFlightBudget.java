package io.hindsight.server.ingest;

import io.hindsight.server.ApiException;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.time.Duration;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;

/**
 * The heap all ingest requests together may hold (ingest.max-in-flight-bytes). A request reserves,
 * as it goes, the larger of the body bytes it has read (what parsing one large record may hold) and
 * twice its accepted rows' encoded size (the rows, then the log entry built from them), and gives
 * it back when it is answered. When the budget is spent, a request waits a moment for others to
 * finish, then is answered 503 with Retry-After, nothing stored. A request that alone needs more
 * than the whole budget could never be served and is refused with 413: tiny records cost about
 * 200 bytes each once encoded (their ids and system fields), so a body of them needs many times
 * its size.
 */
final class InFlightBudget {
  /** Reservations are taken in steps of this many bytes, so reading is not a semaphore call per chunk. */
  private static final int STEP = 256 * 1024;

  private final Semaphore kib;
  private final long maxBytes;
  private final Duration wait;

  InFlightBudget(long maxBytes, Duration wait) {
    this.maxBytes = Math.max(STEP, maxBytes);
    this.kib = new Semaphore((int) Math.min(Integer.MAX_VALUE, this.maxBytes >> 10));
    this.wait = wait;
  }

  /** Bytes of budget reserved now, by every request. */
  long inUse() {
    return maxBytes - ((long) kib.availablePermits() << 10);
  }

  /** The body, reserving budget as it is read; {@link Body#release()} gives the reservation back. */
  Body track(InputStream body) {
    return new Body(body);
  }

  /** A request body that holds its share of the budget until closed. */
  final class Body extends FilterInputStream {
    private long read;
    private long encoded;
    private int reservedKib;

    private Body(InputStream in) {
      super(in);
    }

    @Override
    public int read() throws IOException {
      int b = super.read();
      if (b >= 0) {
        reserveFor(1);
      }
      return b;
    }

    @Override
    public int read(byte[] buf, int off, int len) throws IOException {
      int n = super.read(buf, off, len);
      if (n > 0) {
        reserveFor(n);
      }
      return n;
    }

    private void reserveFor(int n) {
      read += n;
      reserve();
    }

    /** Accounts for the accepted rows encoded so far. */
    void encoded(long bytes) {
      encoded = bytes;
      reserve();
    }

    private void reserve() {
      long need = Math.max(read, 2 * encoded);
      if (need > maxBytes) {
        throw new ApiException(
            413,
            "the records of this body need more than the server's memory budget for requests ("
                + (maxBytes >> 20) + " MiB, ingest.max-in-flight-bytes) once read; send them in smaller batches;"
                + " nothing was stored");
      }
      while (need > ((long) reservedKib << 10)) {
        int step = (int) Math.min(STEP >> 10, (maxBytes >> 10) - reservedKib);
        acquire(step);
        reservedKib += step;
      }
    }

    private void acquire(int stepKib) {
      try {
        if (!kib.tryAcquire(stepKib, wait.toNanos(), TimeUnit.NANOSECONDS)) {
          throw new ApiException(
              503,
              "the server is holding as many request bodies as its memory budget allows ("
                  + (maxBytes >> 20) + " MiB, ingest.max-in-flight-bytes); nothing was stored, retry shortly",
              "1");
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new ApiException(503, "interrupted while waiting for memory to read the body; retry", "1");
      }
    }

    /**
     * Stays open: the parser closes its source when done, but the request holds what it read
     * until it is answered, and the body itself belongs to the HTTP layer.
     */
    @Override
    public void close() {}

    /** Gives the reservation back, once the request no longer holds what it read. */
    void release() {
      kib.release(reservedKib);
      reservedKib = 0;
    }
  }
}
