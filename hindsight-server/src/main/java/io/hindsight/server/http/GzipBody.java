package io.hindsight.server.http;

import io.hindsight.server.ApiException;
import java.io.EOFException;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import org.apache.commons.compress.compressors.gzip.GzipCompressorInputStream;

/**
 * A gzip request body, read as exactly that: one or more gzip members (RFC 1952) and nothing else.
 * The JDK's GZIPInputStream ignores bytes after the last member and says "null" or "Unexpected end
 * of ZLIB input stream" for a body cut short; here each of those is a 400 that names the problem.
 * A failure of the connection itself passes through unchanged, for the HTTP layer to answer.
 */
final class GzipBody extends FilterInputStream {
  private final Source source;

  private GzipBody(InputStream gzip, Source source) {
    super(gzip);
    this.source = source;
  }

  /** Opens {@code raw} as gzip; a body that does not start as gzip is refused at once. */
  static InputStream open(InputStream raw) throws IOException {
    Source source = new Source(raw);
    try {
      return new GzipBody(
          GzipCompressorInputStream.builder().setInputStream(source).setDecompressConcatenated(true).get(), source);
    } catch (IOException e) {
      throw refusal(e, source);
    }
  }

  @Override
  public int read() throws IOException {
    try {
      return super.read();
    } catch (IOException e) {
      throw refusal(e, source);
    }
  }

  @Override
  public int read(byte[] b, int off, int len) throws IOException {
    try {
      return super.read(b, off, len);
    } catch (IOException e) {
      throw refusal(e, source);
    }
  }

  /** The 400 for a gzip problem; the connection's own failure is rethrown as it was. */
  private static IOException refusal(IOException e, Source source) throws IOException {
    if (source.failure != null) {
      throw source.failure;
    }
    if (e instanceof EOFException) {
      throw ApiException.badRequest(
          "the gzip body ends early: it was cut off before the end of its compressed data; nothing was stored");
    }
    throw ApiException.badRequest(
        "the body is not valid gzip ("
            + (e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage())
            + "); send the gzip data alone, or no Content-Encoding; nothing was stored");
  }

  /** The compressed bytes as they arrive; remembers a failure of the connection. */
  private static final class Source extends FilterInputStream {
    IOException failure;

    Source(InputStream in) {
      super(in);
    }

    @Override
    public int read() throws IOException {
      try {
        return super.read();
      } catch (IOException e) {
        failure = e;
        throw e;
      }
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
      try {
        return super.read(b, off, len);
      } catch (IOException e) {
        failure = e;
        throw e;
      }
    }
  }
}
