package io.hindsight.server.ingest;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * A body that hashes (SHA-256) what is read from it, so a reused Idempotency-Key can be told
 * apart from a retry of the same request without holding the body in memory.
 */
final class BodyFingerprint extends FilterInputStream {
  private final MessageDigest digest;
  private String fingerprint;

  BodyFingerprint(InputStream in) {
    super(in);
    try {
      digest = MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  @Override
  public int read() throws IOException {
    int b = super.read();
    if (b >= 0) {
      digest.update((byte) b);
    }
    return b;
  }

  @Override
  public int read(byte[] b, int off, int len) throws IOException {
    int n = super.read(b, off, len);
    if (n > 0) {
      digest.update(b, off, n);
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

  /** Reads what is left of the body and returns the fingerprint of all of it. */
  String finish() throws IOException {
    if (fingerprint == null) {
      byte[] rest = new byte[8192];
      while (read(rest, 0, rest.length) >= 0) {
        // hashed by read
      }
      fingerprint = HexFormat.of().formatHex(digest.digest());
    }
    return fingerprint;
  }
}
