package io.hindsight.server.http;

import io.hindsight.server.ApiException;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.function.Supplier;

/** Fails with the given exception once more than {@code max} bytes have been read. */
public final class BoundedInputStream extends FilterInputStream {
  private final long max;
  private final Supplier<ApiException> tooLarge;
  private long count;
  private int maxRatio;
  private java.util.function.LongSupplier sourceCount;
  private Supplier<ApiException> bomb;

  public BoundedInputStream(InputStream in, long max, Supplier<ApiException> tooLarge) {
    super(in);
    this.max = max;
    this.tooLarge = tooLarge;
  }

  @Override
  public int read() throws IOException {
    int b = super.read();
    if (b >= 0) {
      count(1);
    }
    return b;
  }

  @Override
  public int read(byte[] b, int off, int len) throws IOException {
    int n = super.read(b, off, len);
    if (n > 0) {
      count(n);
    }
    return n;
  }

  /**
   * Also fails once what was read exceeds {@code ratio} times what the source consumed: a body
   * that inflates that much is a bomb, refused before it is expanded further.
   */
  BoundedInputStream expandingAtMost(int ratio, java.util.function.LongSupplier sourceCount, Supplier<ApiException> bomb) {
    this.maxRatio = ratio;
    this.sourceCount = sourceCount;
    this.bomb = bomb;
    return this;
  }

  /** Bytes read so far. */
  long count() {
    return count;
  }

  private void count(long n) {
    count += n;
    if (count > max) {
      throw tooLarge.get();
    }
    // Small bodies compress well legitimately; judge the ratio once there is something to judge.
    if (sourceCount != null && count > (1 << 20) && count > (long) maxRatio * Math.max(1, sourceCount.getAsLong())) {
      throw bomb.get();
    }
  }
}
