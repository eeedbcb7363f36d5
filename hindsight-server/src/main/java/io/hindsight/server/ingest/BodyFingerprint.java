package io.hindsight.server.ingest;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.zip.CRC32;
import java.util.zip.CRC32C;

/**
 * A body that fingerprints what is read from it, so a reused Idempotency-Key can be told apart
 * from a retry of the same request without holding the body in memory. The fingerprint is the
 * body's CRC-32C, CRC-32 and length: two different bodies share it by accident with odds of
 * about one in 2^64, at a tenth of SHA-256's cost on the request path. It need not resist a
 * crafted collision: keys are scoped to their caller, so a caller could only hide its own request.
 */
final class BodyFingerprint extends FilterInputStream {
  private final CRC32C crc32c = new CRC32C();
  private final CRC32 crc32 = new CRC32();
  private long length;
  private boolean closed;
  private String fingerprint;

  BodyFingerprint(InputStream in) {
    super(in);
  }

  @Override
  public int read() throws IOException {
    int b = super.read();
    if (b >= 0) {
      crc32c.update(b);
      crc32.update(b);
      length++;
    }
    return b;
  }

  @Override
  public int read(byte[] b, int off, int len) throws IOException {
    int n = super.read(b, off, len);
    if (n > 0) {
      crc32c.update(b, off, n);
      crc32.update(b, off, n);
      length += n;
    }
    return n;
  }

  @Override
  public long skip(long n) throws IOException {
    // Skipped bytes must be hashed too.
    byte[] buf = new byte[(int) Math.min(8192, Math.max(0, n))];
    long skipped = 0;
    while (skipped < n) {
      int r = read(buf, 0, (int) Math.min(buf.length, n - skipped));
      if (r < 0) {
        break;
      }
      skipped += r;
    }
    return skipped;
  }

  @Override
  public boolean markSupported() {
    return false;
  }

  @Override
  public void close() throws IOException {
    closed = true;
    super.close();
  }

  /** Reads what is left of the body and returns the fingerprint of all of it. */
  String finish() throws IOException {
    if (fingerprint == null) {
      // A parser that closed the body had read it to its end: it refuses trailing content.
      byte[] rest = new byte[8192];
      while (!closed && read(rest, 0, rest.length) >= 0) {
        // fingerprinted by read
      }
      fingerprint = String.format("%08x%08x-%d", crc32c.getValue(), crc32.getValue(), length);
    }
    return fingerprint;
  }
}
