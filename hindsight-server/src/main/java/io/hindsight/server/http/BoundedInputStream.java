package io.hindsight.server.http;

import io.hindsight.server.ApiException;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.function.Supplier;

/** Fails with the given exception once more than {@code max} bytes have been read. */
final class BoundedInputStream extends FilterInputStream {
  private final long max;
  private final Supplier<ApiException> tooLarge;
  private long count;

  BoundedInputStream(InputStream in, long max, Supplier<ApiException> tooLarge) {
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

  private void count(long n) {
    count += n;
    if (count > max) {
      throw tooLarge.get();
    }
  }
}
